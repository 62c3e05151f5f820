import { expect } from 'chai';
import { CHECKS, CHECK_IDS } from '../checks/index.js';
import { unmetRequirement } from '../checks/preconditions.js';
import { compileSchemas } from '../checks/schemas.js';
import { defineCheck, type CheckContext, type CheckDefinition, type Requirement } from '../checks/types.js';
import { isPreconditionError } from '../errors.js';
import { CAPABILITY_MEANING, PROFILES, type Capability } from '../profiles.js';
import { executionOrder, runSuite, type CheckOutcome } from '../run.js';
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

describe('runSuite: the checks in order, each within its time bound', () => {
  const check = (id: string, judgesTheRun = false): CheckDefinition =>
    defineCheck({
      id,
      level: 'MUST',
      title: id,
      category: 'http',
      specRef: '#/paths',
      ...(judgesTheRun && { judgesTheRun }),
      run: () => Promise.resolve(),
    });
  const passed = (): CheckOutcome => ({ status: 'passed', message: '', durationMs: 0, exchanges: [] });

  it('runs one check at a time in execution order, reporting each as it finishes', async () => {
    const events: string[] = [];
    const outcomes = await runSuite(
      [check('a'), check('z', true), check('b')],
      async (c, statusOf) => {
        events.push(`start ${c.id} (a: ${statusOf('a') ?? 'not yet'})`);
        await new Promise((resolve) => setTimeout(resolve, 2));
        events.push(`end ${c.id}`);
        return passed();
      },
      1000,
      (c) => events.push(`reported ${c.id}`),
    );
    expect(events).to.deep.equal([
      'start a (a: not yet)',
      'end a',
      'reported a',
      'start b (a: passed)',
      'end b',
      'reported b',
      'start z (a: passed)',
      'end z',
      'reported z',
    ]);
    expect([...outcomes.keys()]).to.deep.equal(['a', 'b', 'z']);
  });

  it('errors a check that does not finish in time (E_TIMEOUT), ignores its late end, and goes on', async () => {
    let lateEnd: (() => void) | undefined;
    const outcomes = await runSuite(
      [check('slow'), check('next')],
      (c) =>
        c.id === 'slow'
          ? new Promise<CheckOutcome>(
              (resolve) =>
                (lateEnd = () => {
                  resolve({ ...passed(), message: 'late' });
                }),
            )
          : Promise.resolve(passed()),
      20,
      () => undefined,
    );
    expect(outcomes.get('slow')).to.include({ status: 'errored', code: 'E_TIMEOUT' });
    expect(outcomes.get('slow')?.message).to.equal('the check did not finish within 20 ms');
    expect(outcomes.get('next')?.status).to.equal('passed');
    lateEnd?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcomes.get('slow')?.status).to.equal('errored');
  });

  it("makes an exception nothing caught the running check's internal error, not the end of the run", async () => {
    // Mocha, running this test, catches uncaught exceptions too: its listeners step aside meanwhile.
    const mochas = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    try {
      const outcomes = await runSuite(
        [check('throws-later'), check('next')],
        (c) =>
          c.id === 'throws-later'
            ? new Promise<CheckOutcome>(() => {
                setImmediate(() => {
                  throw new Error('boom in a callback');
                });
              })
            : Promise.resolve(passed()),
        5000,
        () => undefined,
      );
      expect(outcomes.get('throws-later')).to.include({
        status: 'errored',
        code: 'E_INTERNAL',
        message: 'internal error: boom in a callback',
      });
      expect(outcomes.get('next')?.status).to.equal('passed');
      expect(process.listenerCount('uncaughtException'), 'its listener is removed').to.equal(0);
    } finally {
      for (const l of mochas) process.on('uncaughtException', l);
    }
  });
});
