import { expect } from 'chai';
import { CHECKS } from '../checks/index.js';
import type { RunConfig } from '../config.js';
import type { ReportDocument } from '../report/types.js';
import { runConformance } from '../run.js';
import { FAULTS } from '../standin/faults.js';
import type { RunningStandin } from '../standin/server.js';
import { standinRunConfig, withStandin } from './support/run.js';

/**
 * The heart of "done": the runner passes against a faithful stand-in, reports 17.06.2's quirks as warnings,
 * and under every fault switch fails exactly the checks that the fault table says catch it.
 */

const configFor = (s: RunningStandin, over: Partial<RunConfig> = {}, withOther = true): RunConfig =>
  standinRunConfig(s, over, { withOther });

const statusOf = (r: ReportDocument, id: string): string | undefined => r.checks.find((c) => c.id === id)?.status;

/** A readable account of what did not pass, for assertion messages. */
const notPassed = (r: ReportDocument): string =>
  r.checks
    .filter((c) => c.status !== 'passed')
    .map((c) => `${c.id}: ${c.status} ${c.message}`)
    .join('\n') + (r.errors.length ? '\nerrors: ' + JSON.stringify(r.errors) : '');

describe('runner against the stand-in', function () {
  this.timeout(20000);

  it('passes every check against the faithful stand-in (exit 0, no warnings, nothing skipped)', async () => {
    const r = await withStandin({}, (s) => runConformance(configFor(s)));
    const expectedSkips = ['auth-token-bearer']; // not a 17.06 scheme
    const unexpected = r.checks.filter((c) => c.status !== 'passed' && !expectedSkips.includes(c.id));
    expect(unexpected, notPassed(r)).to.have.length(0);
    expect(r.exitCode).to.equal(0);
    expect(r.summary.total).to.equal(CHECKS.length);
  });

  it("reports 17.06.2's quirks as warnings only (exit 0)", async () => {
    const r = await withStandin({ quirks: true }, (s) => runConformance(configFor(s)));
    expect(r.exitCode, notPassed(r)).to.equal(0);
    const warned = r.checks.filter((c) => c.status === 'failed').map((c) => c.id);
    expect(warned).to.have.members(['auth-none-401', 'auth-basic-malformed-4xx', 'http-head-options-no-5xx']);
    for (const id of warned) expect(CHECKS.find((c) => c.id === id)?.level).to.equal('SHOULD');
  });

  it('never changes the target without --allow-writes, and skips the lifecycle checks with the reason', async () => {
    await withStandin({}, async (s) => {
      const config = configFor(s, { allowWrites: false });
      const before = await listOf(s, config);
      const r = await runConformance(config);
      expect(r.exitCode, notPassed(r)).to.equal(0);
      for (const c of r.checks.filter((x) => x.category === 'lifecycle')) {
        expect(c, c.id).to.include({ status: 'skipped', code: 'P_NO_WRITES' });
      }
      expect(await listOf(s, config)).to.deep.equal(before);
    });
  });

  it('removes every token it created, leaving both lists as they were', async () => {
    await withStandin({}, async (s) => {
      const config = configFor(s);
      const before = [await listOf(s, config), await listOf(s, config, 'other')];
      const r = await runConformance(config);
      expect(r.checks.find((c) => c.id === 'lifecycle-create')?.status).to.equal('passed');
      expect([await listOf(s, config), await listOf(s, config, 'other')]).to.deep.equal(before);
    });
  });

  it('skips the checks that build on a failed lifecycle-create with P_DEPENDENCY, naming it', async () => {
    const r = await withStandin({ faults: ['create-wrong-status'] }, (s) => runConformance(configFor(s)));
    expect(statusOf(r, 'lifecycle-create')).to.equal('failed');
    for (const id of ['lifecycle-created-listed', 'lifecycle-delete', 'lifecycle-deleted-unlisted']) {
      const c = r.checks.find((x) => x.id === id);
      expect(c, id).to.include({ status: 'skipped', code: 'P_DEPENDENCY' });
      expect(c?.message, id).to.match(/^depends on lifecycle-(create|delete), which (failed|skipped)$/);
    }
  });

  it('skips the isolation check without --other-user', async () => {
    const r = await withStandin({}, (s) => runConformance(configFor(s, {}, false)));
    expect(r.checks.find((c) => c.id === 'isolation-disjoint')).to.include({
      status: 'skipped',
      code: 'P_NO_OTHER_USER',
    });
  });
});

async function listOf(s: RunningStandin, config: RunConfig, who: 'user' | 'other' = 'user'): Promise<string[]> {
  const creds = who === 'user' ? config.user : config.otherUser;
  if (!creds) throw new Error('no credentials');
  const res = await fetch(`${s.url}/user/client_tokens`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${creds.name}:${creds.password}`).toString('base64') },
  });
  return ((await res.json()) as { tokens: string[] }).tokens;
}

describe('runner against every stand-in fault', function () {
  this.timeout(20000);

  for (const fault of FAULTS) {
    it(`${fault.id}: exit ${fault.exit}, caught by ${fault.catches.join(', ') || 'the preflight'}`, async () => {
      const slow = fault.id === 'slow';
      const r = await withStandin({ faults: [fault.id], ...(slow && { slowMs: 3000 }) }, (s) =>
        runConformance(configFor(s, slow ? { timeoutMs: 300 } : {})),
      );
      expect(r.exitCode, notPassed(r)).to.equal(fault.exit);
      for (const id of fault.catches) {
        const want = fault.exit === 2 ? ['errored'] : ['failed'];
        expect(want, `${id} under ${fault.id}:\n${notPassed(r)}`).to.include(statusOf(r, id));
      }
      if (slow) {
        // A target that does not answer ends the run within about twice the timeout, reported as E_TIMEOUT.
        expect(r.errors.map((e) => e.code)).to.include('E_TIMEOUT');
        expect(r.durationMs).to.be.below(2 * 300 + 500); // margin: a loaded CI machine
      }
    });
  }
});
