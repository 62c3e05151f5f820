import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DREDD_DEFAULTS, type DreddConfig } from '../dredd/config.js';
import { runDredd, type DreddResult } from '../dredd/run.js';
import { fromRoot } from '../paths.js';
import { withStandin } from '../standin/server.js';
import { freePort, startPrism, type RunningPrism } from './support/processes.js';

/**
 * `npm run dredd` end to end: Dredd 14.1.0 really runs (as a child process) against the stand-in and the
 * Prism mock. Each run takes 1-3 s, mostly Dredd's own start-up.
 */

const configFor = (target: string, user: { name: string; password: string }): DreddConfig => ({
  target,
  user,
  specFile: fromRoot(DREDD_DEFAULTS.specFile),
  insecure: false,
  timeoutMs: 5000,
});

/** Every secret the run knew or the target holds must be absent from what Dredd printed. */
function expectNoSecrets(result: DreddResult, secrets: readonly string[]): void {
  for (const s of secrets)
    expect(result.output.includes(s), `a secret (${s.length} chars) appears in Dredd's output`).to.equal(false);
}

describe('dredd against the stand-in', function () {
  // A Dredd run is ~2 s alone, but several times that on a machine busy with other test suites.
  this.timeout(60_000);

  it('passes both transactions in the default mode, and prints no credential or token', async () => {
    await withStandin({}, async (s) => {
      const user = s.users[0]!;
      const tokens = s.mintTokens(user.name, 2);
      const r = await runDredd(configFor(s.url, user));
      expect(r.exitCode, r.output).to.equal(0);
      expect(r.stats).to.include({ passing: 2, failing: 0, errors: 0 });
      expectNoSecrets(r, [user.password, Buffer.from(`${user.name}:${user.password}`).toString('base64'), ...tokens]);
      expect(r.output)
        .to.match(/pass: GET \(200\)/)
        .and.to.match(/pass: GET \(401\)/);
    });
  });

  it('fails the 200 transaction when the list is not an array (fault list-wrong-shape)', async () => {
    await withStandin({ faults: ['list-wrong-shape'] }, async (s) => {
      const user = s.users[0]!;
      const tokens = s.mintTokens(user.name, 1);
      const r = await runDredd(configFor(s.url, user));
      expect(r.exitCode, r.output).to.equal(1);
      expect(r.stats).to.include({ passing: 1, failing: 1 });
      expect(r.output).to.match(/fail: GET \(200\)/);
      // The failed test's request is printed by Dredd's reporter: the hooks must have masked it.
      expect(r.output).to.include('Authorization: Basic [REDACTED]');
      // Dredd prints the actual body too, which lists the user's tokens: the wrapper must have masked them.
      expect(r.output).to.include('[REDACTED token #');
      expectNoSecrets(r, [user.password, Buffer.from(`${user.name}:${user.password}`).toString('base64'), ...tokens]);
    });
  });

  it('fails the 401 transaction under quirks, where 17.06.2 answers 404 without credentials', async () => {
    await withStandin({ quirks: true }, async (s) => {
      const r = await runDredd(configFor(s.url, s.users[0]!));
      expect(r.exitCode, r.output).to.equal(1);
      expect(r.output).to.match(/fail: GET \(401\)/);
    });
  });

  it("trusts an HTTPS target through --ca (NODE_EXTRA_CA_CERTS in Dredd's environment)", async () => {
    await withStandin({ https: true }, async (s) => {
      const dir = mkdtempSync(join(tmpdir(), 'dredd-ca-'));
      try {
        const caFile = join(dir, 'ca.pem');
        writeFileSync(caFile, s.caPem ?? '');
        const r = await runDredd({ ...configFor(s.url, s.users[0]!), caFile });
        expect(r.exitCode, r.output).to.equal(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('cannot judge a target that refuses connections (exit 2), and still prints no credential', async () => {
    const port = await freePort();
    const user = { name: 'alice', password: 'refused-target-pw' };
    const r = await runDredd(configFor(`http://127.0.0.1:${port}/api/v3/onezone`, user));
    expect(r.exitCode, r.output).to.equal(2);
    // Dredd prints the request of an errored transaction too: hooks and wrapper must both have masked it.
    expect(r.output).to.include('Error connecting');
    expectNoSecrets(r, [user.password, Buffer.from(`${user.name}:${user.password}`).toString('base64')]);
  });
});

describe('dredd against the Prism mock', function () {
  this.timeout(60_000);
  let prism: RunningPrism | undefined;

  before(async () => {
    prism = await startPrism();
  });

  after(() => {
    prism?.close();
  });

  it('passes both transactions (Prism checks only that Basic is present and well formed)', async () => {
    const user = { name: 'alice', password: 'mock-password' };
    const r = await runDredd(configFor(prism!.base, user));
    expect(r.exitCode, r.output).to.equal(0);
    expect(r.stats).to.include({ passing: 2, failing: 0, errors: 0 });
    expectNoSecrets(r, [user.password]);
  });
});
