import { expect } from 'chai';
import { CHECKS, CHECK_IDS } from '../checks/index.js';
import { unmetRequirement } from '../checks/preconditions.js';
import { compileSchemas } from '../checks/schemas.js';
import type { CheckContext, Requirement } from '../checks/types.js';
import { isPreconditionError } from '../errors.js';
import { CAPABILITY_MEANING, PROFILES, type Capability } from '../profiles.js';
import { executionOrder } from '../run.js';
import { FAULTS } from '../standin/faults.js';

describe('check registry', () => {
  it('has unique IDs', () => {
    expect(new Set(CHECK_IDS).size).to.equal(CHECK_IDS.length);
  });

  it('uses kebab-case IDs and present-tense titles without "should"', () => {
    for (const c of CHECKS) {
      expect(c.id, c.id).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.title, c.id).not.to.match(/\bshould\b/i);
      expect(c.specRef, c.id).to.match(/^(#\/|docs\/)/);
    }
  });

  it('contains every check ID that a stand-in fault names in `catches`', () => {
    for (const f of FAULTS) for (const id of f.catches) expect(CHECK_IDS, `fault ${f.id}`).to.include(id);
  });

  it('grades every fault with the level of its catching checks (exit 0 faults are caught by SHOULD/MAY only)', () => {
    for (const f of FAULTS) {
      const levels = f.catches.map((id) => CHECKS.find((c) => c.id === id)?.level);
      if (f.exit === 0)
        expect(
          levels.every((l) => l !== 'MUST'),
          f.id,
        ).to.equal(true);
      if (f.exit === 1)
        expect(
          levels.some((l) => l === 'MUST'),
          f.id,
        ).to.equal(true);
    }
  });

  it('runs the checks that search every response after every check that makes requests', () => {
    // Whatever their place in the registry (new checks are appended): the secrets checks must see them all.
    const order = executionOrder(CHECKS);
    const firstJudge = order.findIndex((c) => c.judgesTheRun);
    expect(firstJudge, 'no check judges the run').to.be.above(0);
    for (const c of order.slice(firstJudge)) expect(c.judgesTheRun, `${c.id} runs among the judges`).to.equal(true);
    for (const c of CHECKS.filter((x) => x.category === 'secrets'))
      expect(c.judgesTheRun, `${c.id} searches the run, so it must run last`).to.equal(true);
  });

  it('lets the checks that judge the run send no request of their own', async () => {
    const sent = (): never => {
      throw new Error('sent a request');
    };
    const ctx = {
      profile: PROFILES['onezone-20.02'],
      schemas: compileSchemas('20.02'),
      log: { entries: [], knownTokens: () => new Set<string>(), principalOf: () => 'nobody' },
      get: sent,
      send: sent,
      listResponse: sent,
      userList: sent,
      otherList: sent,
      token: sent,
      shared: sent,
      note: () => undefined,
      attach: () => undefined,
    } as unknown as CheckContext<Requirement>;
    for (const c of CHECKS.filter((x) => x.judgesTheRun)) {
      // An empty log may leave nothing to judge (a precondition), but never a request.
      await Promise.resolve()
        .then(() => c.run(ctx))
        .catch((e: unknown) => {
          expect(isPreconditionError(e), `${c.id}: ${String(e)}`).to.equal(true);
        });
    }
  });

  it('keeps the mock profile free of checks a spec mock cannot satisfy: it has no capability at all', () => {
    // Every capability the code knows, so one added later is covered without editing this test.
    for (const cap of Object.keys(CAPABILITY_MEANING) as Capability[])
      expect(unmetRequirement(cap, { profile: PROFILES.mock, allowWrites: true })?.code, cap).to.equal('P_PROFILE');
  });
});
