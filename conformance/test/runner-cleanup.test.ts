import { expect } from 'chai';
import type { RunConfig } from '../config.js';
import type { ReportDocument } from '../report/types.js';
import { runConformance } from '../run.js';
import { startStandin, type RunningStandin } from '../standin/server.js';
import { proxyTo, type HostileServer, type Rewrite } from './support/hostile.js';
import type { IncomingMessage } from 'node:http';

/**
 * The run leaves nothing behind, whatever happens to its POST: a token whose POST was interrupted in flight or
 * answered after --timeout is found by listing and removed; a DELETE the target ignores, or one that cannot be
 * made in time, is reported with the token's fingerprint and the DELETE to send by hand.
 */

async function listOf(s: RunningStandin, who = 0): Promise<string[]> {
  const u = s.users[who];
  if (!u) throw new Error('no user');
  const res = await fetch(`${s.url}/user/client_tokens`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${u.name}:${u.password}`).toString('base64') },
  });
  return ((await res.json()) as { tokens: string[] }).tokens;
}

function configFor(s: RunningStandin, target: string, over: Partial<RunConfig> = {}): RunConfig {
  const [user, other] = s.users;
  if (!user || !other) throw new Error('the stand-in must seed two users');
  return {
    target,
    user: { name: user.name, password: user.password },
    otherUser: { name: other.name, password: other.password },
    insecure: false,
    allowWrites: true,
    profile: 'onezone-17.06',
    timeoutMs: 2000,
    embedded: false,
    ...over,
  };
}

const codes = (r: ReportDocument): string[] => r.errors.map((e) => e.code);
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

  const through = async (rewrite: (req: IncomingMessage, status: number) => Rewrite): Promise<string> => {
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
});
