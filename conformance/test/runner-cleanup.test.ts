import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { RunConfig } from '../config.js';
import type { ReportDocument } from '../report/types.js';
import { runConformance } from '../run.js';
import { startStandin, type RunningStandin } from '../standin/server.js';
import { listOf } from '../standin/testkit.js';
import { proxyTo, type HostileServer, type Rewrite } from './support/hostile.js';
import { runCommandLine } from './support/command.js';
import { standinRunConfig } from './support/run.js';
import type { IncomingMessage } from 'node:http';
import { LIST_PATH } from '../checks/list.js';

/**
 * The run leaves nothing behind, whatever happens to its POST: a token whose POST was interrupted in flight or
 * answered after --timeout is found by listing and removed; a DELETE the target ignores, or one that cannot be
 * made in time, is reported with the token's fingerprint and the DELETE to send by hand.
 */

const configFor = (s: RunningStandin, target: string, over: Partial<RunConfig> = {}): RunConfig =>
  standinRunConfig(s, over, { target });

const codes = (r: ReportDocument): string[] => r.errors.map((e) => e.code);
const cleanupText = (r: ReportDocument): string =>
  r.errors
    .filter((e) => e.code === 'E_CLEANUP')
    .map((e) => e.message)
    .join('\n');

/** A list answer (GET of the collection) whose tokens a lying target changes; other answers pass unchanged. */
function lyingList(req: IncomingMessage, status: number, body: string, lie: (tokens: string[]) => string[]): Rewrite {
  if (req.method !== 'GET' || !req.url?.endsWith(LIST_PATH) || status !== 200) return undefined;
  const json = JSON.parse(body) as { tokens: string[] };
  return { status, body: JSON.stringify({ ...json, tokens: lie(json.tokens) }) };
}

/** The token of a POST's answer as the target sent it. */
const postedToken = (body: string): string | undefined => (JSON.parse(body) as { token?: string }).token;

/** Adds the token of a POST's answer (when it has one) to `created`. */
function remember(created: Set<string>, body: string): void {
  const t = postedToken(body);
  if (t !== undefined) created.add(t);
}
const FINGERPRINTED = /DELETE \/api\/v3\/onezone\/user\/client_tokens\/<the token of \S+ with fingerprint [0-9a-f]{8}>/;

describe('cleanup of created tokens', function () {
  this.timeout(30000);
  let s: RunningStandin;
  let proxy: HostileServer | undefined;
  beforeEach(async () => {
    s = await startStandin({});
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await s.close();
  });

  const through = async (rewrite: (req: IncomingMessage, status: number, body: string) => Rewrite): Promise<string> => {
    proxy = await proxyTo(s.url, rewrite);
    return proxy.url + new URL(s.url).pathname;
  };

  it('finds and removes the token of a POST interrupted while in flight', async () => {
    const before = [await listOf(s, 0), await listOf(s, 1)];
    const controller = new AbortController();
    const target = await through((req) => {
      if (req.method !== 'POST') return undefined;
      // The target has created the token; the runner is interrupted before it hears of it.
      controller.abort();
      return 'hold';
    });
    const r = await runConformance(configFor(s, target), { signal: controller.signal });
    expect(codes(r)).to.include('E_INTERRUPTED');
    expect(codes(r)).not.to.include('E_CLEANUP');
    expect(r.exitCode).to.equal(2);
    expect([await listOf(s, 0), await listOf(s, 1)]).to.deep.equal(before);
  });

  it('finds and removes the token of a POST whose answer came after --timeout', async () => {
    const before = [await listOf(s, 0), await listOf(s, 1)];
    const timeoutMs = 600;
    const target = await through((req) => (req.method === 'POST' ? { delayMs: timeoutMs + 300 } : undefined));
    const r = await runConformance(configFor(s, target, { timeoutMs }));
    expect(r.checks.find((c) => c.id === 'lifecycle-create')?.code).to.equal('E_TIMEOUT');
    expect(codes(r)).not.to.include('E_CLEANUP');
    // The late answer may still be on its way: the stand-in created the token before the delay.
    expect([await listOf(s, 0), await listOf(s, 1)]).to.deep.equal(before);
  });

  it('an endless answer to the POST: the run ends (E_BODY_TOO_LARGE) and the created token is removed', async () => {
    const before = [await listOf(s, 0), await listOf(s, 1)];
    const target = await through((req) => (req.method === 'POST' ? 'endless' : undefined));
    const r = await runConformance(configFor(s, target, { maxBodyBytes: 1 << 20 }));
    expect(r.checks.find((c) => c.id === 'lifecycle-create')?.code).to.equal('E_BODY_TOO_LARGE');
    expect(codes(r)).not.to.include('E_CLEANUP');
    expect([await listOf(s, 0), await listOf(s, 1)]).to.deep.equal(before);
  });

  it('does not take a token the run did not create for one of its own', async () => {
    const timeoutMs = 600;
    let planted: string | undefined;
    const target = await through((req) => {
      if (req.method !== 'POST') return undefined;
      // Someone else creates a token for the same user while the run's POST is in doubt.
      planted ??= s.mintTokens(s.users[0]?.name ?? '', 1)[0];
      return { delayMs: timeoutMs + 300 };
    });
    const r = await runConformance(configFor(s, target, { timeoutMs }));
    expect(planted).to.be.a('string');
    expect(await listOf(s, 0)).to.include(planted);
    const problem = r.errors.find((e) => e.code === 'E_CLEANUP');
    expect(problem?.message).to.match(/cannot tell its own from others/);
    expect(problem?.message).not.to.include(planted);
  });

  it('reports a DELETE that is accepted but ignored (the token is still listed)', async () => {
    await s.close();
    s = await startStandin({ faults: ['delete-ignored'] });
    const r = await runConformance(configFor(s, s.url));
    const problems = r.errors.filter((e) => e.code === 'E_CLEANUP');
    expect(problems.map((p) => p.message).join('\n')).to.match(/accepted but the token is still listed/);
    expect(problems[0]?.message).to.match(FINGERPRINTED);
    for (const t of await listOf(s, 0)) expect(JSON.stringify(r.errors)).not.to.include(t);
  });

  it('reports, within its deadline, what it could not remove, by fingerprint and the DELETE to send', async () => {
    // Every DELETE reaches nobody: the created tokens stay.
    const target = await through((req) =>
      req.method === 'DELETE' && req.url?.includes('/client_tokens/') ? 'hold' : undefined,
    );
    const r = await runConformance(configFor(s, target, { timeoutMs: 1000 }), { cleanupDeadlineMs: 300 });
    const problems = r.errors.filter((e) => e.code === 'E_CLEANUP');
    expect(problems.length, JSON.stringify(r.errors)).to.be.at.least(1);
    for (const p of problems) expect(p.message).to.match(FINGERPRINTED);
    const left = [...(await listOf(s, 0)), ...(await listOf(s, 1))];
    for (const t of left) expect(JSON.stringify(r)).not.to.include(t);
  });

  describe('a target whose lists lie', () => {
    const deletesOf = (p: HostileServer | undefined): string[] =>
      (p?.seen ?? []).filter((r) => r.method === 'DELETE').map((r) => r.path);
    const timeoutMs = 600;

    /** A target whose lists leave out every token its POSTs answered with (the run's), and those tokens. */
    const hidingCreated = async (): Promise<{ target: string; created: Set<string> }> => {
      const created = new Set<string>();
      const target = await through((req, status, body) => {
        if (req.method === 'POST' && status === 200) remember(created, body);
        return lyingList(req, status, body, (ts) => ts.filter((t) => !created.has(t)));
      });
      return { target, created };
    };

    /**
     * The target creates the token of the run's first POST but answers after --timeout (so the run cannot name
     * it), and its lists lie as `lie` says, given that token once the POST has been answered.
     */
    const doubtfulPost = async (
      lie: (runs: string | undefined) => (tokens: string[]) => string[],
    ): Promise<{ target: string; runs: () => string | undefined }> => {
      let runs: string | undefined;
      const target = await through((req, status, body) => {
        if (req.method === 'POST' && runs === undefined) {
          runs = postedToken(body);
          return { delayMs: timeoutMs + 300 };
        }
        return lyingList(req, status, body, lie(runs));
      });
      return { target, runs: () => runs };
    };

    it('leaving out the tokens the run created: each is still deleted by the token the POST gave', async () => {
      const before = [await listOf(s, 0), await listOf(s, 1)];
      const { target, created } = await hidingCreated();
      const r = await runConformance(configFor(s, target));
      expect(created.size).to.be.at.least(1);
      expect(codes(r)).not.to.include('E_CLEANUP');
      expect([await listOf(s, 0), await listOf(s, 1)]).to.deep.equal(before);
    });

    it('leaving out a token whose DELETE it ignored: reported as not removed (it still authenticates)', async () => {
      await s.close();
      s = await startStandin({ faults: ['delete-ignored'] });
      const { target, created } = await hidingCreated();
      const r = await runConformance(configFor(s, target));
      expect(cleanupText(r)).to.match(/not removed \(the DELETE was accepted but the token still authenticates\)/);
      expect(cleanupText(r)).to.match(FINGERPRINTED);
      for (const t of created) expect(JSON.stringify(r)).not.to.include(t);
    });

    it('a DELETE left unconfirmed is printed by the command as a line saying the token was not removed', async () => {
      await s.close();
      s = await startStandin({ faults: ['delete-ignored'] });
      const { target, created } = await hidingCreated();
      const dir = mkdtempSync(join(tmpdir(), 'oz-cleanup-'));
      try {
        const u = s.users[0];
        const r = await runCommandLine(['run', '--target', target, '--allow-writes', '--report-dir', dir], {
          ONEZONE_USER: `${u?.name ?? ''}:${u?.password ?? ''}`,
        });
        expect(r.stdout + r.stderr).to.match(
          /^error E_CLEANUP: a token the run created was not removed \(the DELETE was accepted but the token still authenticates\)/m,
        );
        for (const t of created) expect(r.stdout + r.stderr).not.to.include(t);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("showing the user's own older token as new after a POST of unknown outcome: it is never deleted", async () => {
      await s.close();
      s = await startStandin({ version: '21.02', account: 'lived-in' });
      const alice = s.users[0]?.name ?? '';
      // A token of POST form the user made 200 days ago: new to the list only because the list hid it.
      const own = s.tokenKinds(alice).find((t) => t.kind === 'revoked')?.token ?? '';
      expect(own).to.have.length.above(100);
      // Until the POST, the list hides the user's token; from then on it shows it instead of the run's.
      const { target, runs } = await doubtfulPost(
        (posted) => (ts) => (posted === undefined ? ts.filter((t) => t !== own) : ts.filter((t) => t !== posted)),
      );
      const r = await runConformance(configFor(s, target, { timeoutMs, profile: 'onezone-21.02' }));
      expect(runs()).to.be.a('string');
      expect(deletesOf(proxy).filter((p) => p.includes(own))).to.deep.equal([]);
      expect(s.tokenKinds(alice).map((t) => t.token)).to.include(own);
      expect(cleanupText(r)).to.match(/new to the list after 1 POST\(s\) of unknown outcome.*none of them was deleted/);
      expect(JSON.stringify(r)).not.to.include(own);
    });

    it('showing no new token after a POST of unknown outcome: says that one may be left behind', async () => {
      const { target, runs } = await doubtfulPost((posted) => (ts) => ts.filter((t) => t !== posted));
      const r = await runConformance(configFor(s, target, { timeoutMs }));
      expect(runs()).to.be.a('string');
      expect(cleanupText(r)).to.match(/1 POST\(s\) for \S+ ended without a usable answer.*no new token is listed/);
      expect(cleanupText(r)).to.match(/list them with GET \/api\/v3\/onezone\/user\/client_tokens/);
    });

    it("listing another user's token among the user's: the run never deletes it", async () => {
      const bobs = (await listOf(s, 1))[0] ?? '';
      const target = await through((req, status, body) =>
        lyingList(req, status, body, (ts) => (ts.includes(bobs) ? ts : [...ts, bobs])),
      );
      await runConformance(configFor(s, target));
      expect(deletesOf(proxy).filter((p) => p.includes(bobs))).to.deep.equal([]);
      expect(await listOf(s, 1)).to.include(bobs);
    });
  });
});
