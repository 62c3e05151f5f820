import { expect } from 'chai';
import { CHECKS, CHECK_IDS, checkById } from '../checks/index.js';
import { unmetDependency, unmetPrecondition } from '../checks/preconditions.js';
import { defineCheck } from '../checks/types.js';
import { capabilitiesOf, getProfile, PROFILES } from '../profiles.js';
import { executeCheck, executionOrder } from '../run.js';
import { loadSpec, onezoneExpectationsOf } from '../spec.js';
import { ALICE, sessionAgainst } from './support/session.js';

/** Preconditions are data (issue 10 item 3): requirements, capabilities from the spec, dependencies. */

describe('check preconditions', () => {
  it('derives the profile-dependent capabilities from x-onezone-expectations', () => {
    const e1706 = onezoneExpectationsOf(loadSpec('17.06'));
    const e2002 = onezoneExpectationsOf(loadSpec('20.02'));
    expect(capabilitiesOf(e1706))
      .to.include.members(['macaroon-header', 'lists-newest-first'])
      .and.not.include('bearer');
    expect(capabilitiesOf(e2002))
      .to.include.members(['macaroon-header', 'bearer'])
      .and.not.include('lists-newest-first');
    // The spec's value is read, not overridden: a version that stopped serving the header loses the capability.
    const removed = { ...e2002, macaroonHeader: 'removed' } as unknown as typeof e2002;
    expect(capabilitiesOf(removed)).not.to.include('macaroon-header');
    expect(PROFILES['onezone-17.06'].capabilities).to.deep.equal(capabilitiesOf(e1706));
  });

  it('skips a check whose profile lacks a capability with P_PROFILE and the reason, before it runs', () => {
    const why = unmetPrecondition(
      { requires: ['bearer'] },
      { profile: getProfile('onezone-17.06'), allowWrites: true, user: ALICE },
      () => undefined,
    );
    expect(why?.code).to.equal('P_PROFILE');
    expect(why?.message).to.match(/onezone-17\.06.*bearer.*18\.02/);
    expect(
      unmetPrecondition(
        { requires: ['bearer'] },
        { profile: getProfile('onezone-18.02'), allowWrites: false },
        () => undefined,
      ),
    ).to.equal(undefined);
  });

  it('skips a dependent check with P_DEPENDENCY unless every check it depends on passed', () => {
    const dependent = { dependsOn: ['a', 'b'] };
    expect(unmetDependency(dependent, () => 'passed')).to.equal(undefined);
    for (const status of ['failed', 'errored', 'skipped'] as const) {
      const why = unmetDependency(dependent, (id) => (id === 'b' ? status : 'passed'));
      expect(why?.code, status).to.equal('P_DEPENDENCY');
      expect(why?.message).to.equal(`depends on b, which ${status}`);
    }
    expect(unmetDependency(dependent, () => undefined)?.message).to.equal('depends on a, which did not run');
  });

  it('declares dependencies only on earlier checks, by existing IDs', () => {
    for (const c of CHECKS)
      for (const id of c.dependsOn ?? []) {
        expect(CHECK_IDS, `${c.id} depends on ${id}`).to.include(id);
        expect(CHECK_IDS.indexOf(id), `${c.id} depends on a later ${id}`).to.be.below(CHECK_IDS.indexOf(c.id));
      }
  });

  it('states the three profile conditions as data: no check body throws P_PROFILE any more', () => {
    expect(checkById('auth-token-bearer')?.requires).to.include('bearer');
    expect(checkById('auth-token-macaroon-header')?.requires).to.include('macaroon-header');
    expect(checkById('lifecycle-created-first')?.requires).to.include('lists-newest-first');
  });

  it('runs the checks that judge the whole run after every other check, wherever they are registered', () => {
    const body = (): Promise<void> => Promise.resolve();
    const base = { level: 'MUST', title: 't', category: 'secrets', specRef: '#/', run: body } as const;
    const order = executionOrder([
      defineCheck({ ...base, id: 'log', judgesTheRun: true }),
      defineCheck({ ...base, id: 'a' }),
      defineCheck({ ...base, id: 'b' }),
    ]).map((c) => c.id);
    expect(order).to.deep.equal(['a', 'b', 'log']);
    // Every judge of the run comes after every check that sends, in registry order (issue 11 appended more).
    const registry = executionOrder(CHECKS).map((c) => c.id);
    const judges = CHECKS.filter((c) => c.judgesTheRun).map((c) => c.id);
    expect(registry.slice(-judges.length)).to.deep.equal(judges);
    expect(judges).to.include.members(['shape-error-bodies', 'secrets-no-password', 'secrets-no-foreign-token']);
  });

  it('types the context by the requirements: `basic` gives a user, without it the user may be absent', () => {
    const typed = defineCheck({
      id: 'typed',
      level: 'MUST',
      title: 't',
      category: 'authentication',
      specRef: '#/',
      requires: ['basic'],
      run: (ctx) => Promise.resolve(ctx.user.name).then(() => undefined),
    });
    defineCheck({
      id: 'untyped',
      level: 'MUST',
      title: 't',
      category: 'authentication',
      specRef: '#/',
      // @ts-expect-error -- without requires: ['basic'] the user may be undefined
      run: (ctx) => Promise.resolve(ctx.user.name).then(() => undefined),
    });
    expect(typed.requires).to.deep.equal(['basic']);
  });
});

describe('a token that cannot be created for a check that needs one', () => {
  it('skips the check with P_NO_TOKEN and the POST as evidence, instead of failing it', async () => {
    const { session, close } = await sessionAgainst(
      (req, res) => {
        if (req.method === 'POST') res.writeHead(500).end('{"error":"internal"}');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"tokens":[]}');
      },
      { allowWrites: true },
    );
    try {
      const check = checkById('auth-token-x-auth-token');
      if (!check) throw new Error('no check');
      const o = await executeCheck(check, session);
      expect(o).to.include({ status: 'skipped', code: 'P_NO_TOKEN' });
      expect(o.message).to.match(/a token could not be created/);
      expect(o.exchanges.map((x) => x.request.method)).to.include('POST');
    } finally {
      await session.cleanup();
      await close();
    }
  });
});
