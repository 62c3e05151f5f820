import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { runConformance } from '../run.js';

/** The mock profile passes against Prism serving spec/ (what `npm run mock` starts). */

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`prism exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100)); // polling a starting process: no event to wait on
    }
  }
  throw new Error('prism did not start in time');
}

describe('runner against Prism (mock profile)', function () {
  this.timeout(60000);
  let prism: ChildProcess | undefined;
  let base = '';

  before(async () => {
    const port = await freePort();
    prism = spawn(
      fromRoot('node_modules', '.bin', 'prism'),
      ['mock', fromRoot('spec', 'mock', 'onezone-17.06.prism.json'), '--host', '127.0.0.1', '--port', String(port)],
      {
        stdio: 'ignore',
      },
    );
    const root = `http://127.0.0.1:${port}`;
    await waitUntilUp(`${root}/`, prism, 45000);
    // The same file `npm run mock` serves: the spec with the API prefix in every path, because Prism 5.14
    // ignores the base path of `servers`. The runner must reach it under the same URL form as a real Onezone.
    base = `${root}/api/v3/onezone`;
  });

  after(() => {
    prism?.kill();
  });

  it('passes with exit 0, judging the list shape and skipping what a mock cannot show', async () => {
    const r = await runConformance({
      target: base,
      user: { name: 'alice', password: 'mock-password' },
      insecure: false,
      allowWrites: false,
      profile: 'mock',
      timeoutMs: 5000,
      reportDir: 'unused',
      embedded: false,
    });
    const bad = r.checks
      .filter((c) => c.status === 'failed' || c.status === 'errored')
      .map((c) => `${c.id}: ${c.message}`);
    expect(bad, bad.join('\n')).to.have.length(0);
    expect(r.exitCode).to.equal(0);
    const passed = r.checks.filter((c) => c.status === 'passed').map((c) => c.id);
    expect(passed).to.include.members([
      'auth-none-rejected',
      'auth-basic-valid',
      'shape-list-schema',
      'shape-list-content-type',
      'tokens-well-formed',
    ]);
    for (const c of r.checks.filter((x) => x.category === 'lifecycle')) expect(c.status, c.id).to.equal('skipped');
  });

  it('--profile auto recognises Prism as a mock and says why', async () => {
    const r = await runConformance({
      target: base,
      user: { name: 'alice', password: 'mock-password' },
      insecure: false,
      allowWrites: false,
      profile: 'auto',
      timeoutMs: 5000,
      reportDir: 'unused',
      embedded: false,
    });
    expect(r.target.detection?.profile).to.equal('mock');
    expect(r.target.detection?.reason).to.match(/Prism/);
    expect(r.exitCode).to.equal(0);
  });
});
