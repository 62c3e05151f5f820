import { expect } from 'chai';
import fc from 'fast-check';
import { budgetOf, parseDepth } from '../attacks/budget.js';
import { runProperty, type CaseVerdict } from '../attacks/engine.js';
import { attackExamples, goodExamples } from '../attacks/examples.js';
import { attack, credsOf, goodRequest, type Attack } from '../attacks/generators.js';
import { decisiveExpectation, expectationOf, judge } from '../attacks/judge.js';
import { materialise, sameAuthority, type AttackSecrets } from '../attacks/materialise.js';
import { readOrder } from '../attacks/precedence.js';
import { decodedForms, findSecrets } from '../attacks/spellings.js';
import type { WireResponse } from '../attacks/wire.js';
import { PROFILES } from '../profiles.js';
import { escape62, mintToken, parseToken, serializeToken, unescape62 } from '../token/index.js';

/** The generated attacks' pure parts: generators, the model of the answer, the invariants, the engine. */

const now = 1_800_000_000;
const mint = (id: string, secret: string): string =>
  serializeToken(mintToken({ location: 'onezone', identifier: id, secret, caveats: [`time < ${now + 1000}`] }));
const userToken = mint('user-identifier-0123456789012345678901234567', 'user-secret');
const otherToken = mint('other-identifier-012345678901234567890123456', 'other-secret');
const revoked = mint('revoked-identifier-0123456789012345678901234', 'revoked-secret');

const secrets: AttackSecrets = {
  users: { user: { name: 'alice', password: 'alice-standin-pw' }, other: { name: 'bob', password: 'bob-standin-pw' } },
  tokens: { user: userToken, other: otherToken },
  revoked,
  nowSeconds: now,
};

const res = (status: number, body: unknown, headers: Record<string, string> = {}): WireResponse => {
  const bodyText = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    headers,
    bodyText,
    ...(typeof body !== 'string' && { json: body }),
    summary: `GET → ${status}`,
  };
};

const lists = { user: new Set([userToken]), other: new Set([otherToken]) };

describe('attacks: the model of the decisive credential', () => {
  const expectFor = (a: Attack, profile: keyof typeof PROFILES, model = expectationOf) => {
    const m = materialise(a, secrets);
    if (m === undefined) throw new Error('not applicable');
    return model(m, readOrder(PROFILES[profile]));
  };
  const badBasicGoodToken: Attack = {
    first: {
      cred: { kind: 'basic', owner: 'user', name: { name: 'own' }, password: { shape: 'suffix', extra: '#' } },
      place: 'basic',
      nameCase: false,
    },
    second: { cred: { kind: 'token', owner: 'user', attenuated: 'no' }, place: 'x-auth-token', nameCase: false },
    path: 'canonical',
  };
  const badTokenGoodBasic: Attack = {
    first: {
      cred: { kind: 'token', owner: 'user', mutation: { m: 'flipped-signature', bit: 3 } },
      place: 'x-auth-token',
      nameCase: false,
    },
    second: { cred: { kind: 'basic', owner: 'user' }, place: 'basic', nameCase: false },
    path: 'canonical',
  };

  it("follows each version's reading order (SHOULD): Basic decides before 20.02, tokens from 20.02", () => {
    const d = decisiveExpectation;
    expect(expectFor(badBasicGoodToken, 'onezone-17.06', d).kind).to.equal('reject');
    expect(expectFor(badBasicGoodToken, 'onezone-19.02', d).kind).to.equal('reject');
    expect(expectFor(badBasicGoodToken, 'onezone-20.02', d)).to.deep.equal({ kind: 'accept', owner: 'user' });
    expect(expectFor(badTokenGoodBasic, 'onezone-17.06', d)).to.deep.equal({ kind: 'accept', owner: 'user' });
    expect(expectFor(badTokenGoodBasic, 'onezone-20.02', d).kind).to.equal('reject');
  });

  it("demands of every version (MUST) only what leaks nothing: the good credential's owner's list or nothing", () => {
    for (const p of ['onezone-17.06', 'onezone-20.02'] as const)
      for (const a of [badBasicGoodToken, badTokenGoodBasic])
        expect(expectFor(a, p)).to.deep.equal({ kind: 'owner-or-nothing', owners: ['user'] });
  });

  it('takes Bearer as nobody on 17.06 and as a credential from 18.02', () => {
    const a: Attack = {
      first: { cred: { kind: 'token', owner: 'other', attenuated: 'no' }, place: 'bearer', nameCase: false },
      path: 'canonical',
    };
    expect(expectFor(a, 'onezone-17.06').kind).to.equal('reject');
    expect(expectFor(a, 'onezone-18.02')).to.deep.equal({ kind: 'accept', owner: 'other' });
  });

  it('never lets a good credential in the query string, a cookie or an identity header count', () => {
    for (const place of ['query-access_token', 'query-token', 'cookie-access_token', 'cookie-macaroon'] as const) {
      const a: Attack = {
        first: { identity: 'user', place: 'x-remote-user' },
        second: { cred: { kind: 'token', owner: 'user', attenuated: 'no' }, place, nameCase: false },
        path: 'canonical',
      };
      for (const p of ['onezone-17.06', 'onezone-20.02'] as const)
        expect(expectFor(a, p).kind, place).to.equal('reject');
    }
  });

  it('lets an empty header in front of a good credential only narrow the expectation', () => {
    const a: Attack = {
      first: { cred: { kind: 'token', owner: 'user', mutation: { m: 'empty' } }, place: 'macaroon', nameCase: false },
      second: { cred: { kind: 'token', owner: 'user', attenuated: 'no' }, place: 'x-auth-token', nameCase: false },
      path: 'canonical',
    };
    expect(expectFor(a, 'onezone-17.06', decisiveExpectation)).to.deep.equal({
      kind: 'owner-or-nothing',
      owners: ['user'],
    });
  });
});

describe('attacks: materialising generated cases', () => {
  it('materialises every fixed example with two users, and registers every credential it sends', () => {
    for (const a of [...attackExamples(), ...goodExamples()]) {
      const m = materialise(a, secrets);
      expect(m, JSON.stringify(a)).to.not.equal(undefined);
      if (!m) continue;
      // Every token sent is registered (raw, or inside the Basic value it is the password of).
      const sent = decodedForms([m.request.path, ...Object.values(m.request.headers)]).join('\n');
      for (const s of m.secrets) if (s.kind === 'token' && s.value !== '') expect(sent).to.include(s.value);
      // The description is evidence: no password and no token in it.
      for (const secret of ['alice-standin-pw', 'bob-standin-pw', userToken, otherToken, revoked])
        expect(m.description).not.to.include(secret);
    }
  });

  it('lists whole Authorization values apart from passwords: halves of `Basic Og==` are no secret', () => {
    // Registered as passwords, their halves (`Basic ` and a few characters) were "found" by the report
    // scrubber in every check title naming the scheme (report.html contained secret #28 … partial, 5×).
    fc.assert(
      fc.property(attack, (a) => {
        const m = materialise(a, secrets);
        if (m === undefined) return;
        for (const s of m.secrets) if (s.kind === 'password') expect(s.value).not.to.match(/^Basic /);
        const basic = Object.values(m.request.headers).filter((v) => /^Basic /i.test(v));
        for (const v of basic) expect(m.secrets).to.deep.include({ value: v, kind: 'header' });
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('makes every generated bad token differ in authority from the real one', () => {
    fc.assert(
      fc.property(attack, (a) => {
        const m = materialise(a, secrets);
        if (m === undefined) return;
        for (const e of m.entries) if (e.valid === undefined) expect(e.label).to.be.a('string');
        for (const s of m.secrets)
          if (
            s.kind === 'token' &&
            s.value !== userToken &&
            s.value !== otherToken &&
            credsOf(a).length === 1 &&
            'cred' in a.first &&
            a.first.cred.kind === 'token'
          )
            expect(sameAuthority(userToken, s.value) || sameAuthority(otherToken, s.value)).to.equal(false);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('sees that a token whose location alone changed keeps its authority (the location is not signed)', () => {
    const m = parseToken(userToken);
    expect(sameAuthority(userToken, serializeToken({ ...m, location: 'Onezone' }))).to.equal(true);
    expect(sameAuthority(userToken, escape62(userToken))).to.equal(false);
    expect(sameAuthority(userToken, unescape62(userToken))).to.equal(true); // 17.06 reads plain base64url too
  });

  it('sends dot segments, double slashes and escapes as written', () => {
    const paths = attackExamples().map((a) => materialise(a, secrets)?.request.path ?? '');
    expect(paths).to.include.members(['/user/./client_tokens', '/user//client_tokens', '/user/%63lient_tokens']);
  });
});

describe('attacks: the invariants', () => {
  it('fails a 2xx to a rejected request, and any token in a rejected answer in any spelling', () => {
    const reject = { kind: 'reject', why: 'x' } as const;
    expect(judge(reject, res(200, { tokens: [] }), lists, [])).to.match(/answered 200/);
    expect(judge(reject, res(401, { error: 'x' }), lists, [])).to.equal(undefined);
    const b64 = Buffer.from(`token=${userToken}`).toString('base64');
    expect(judge(reject, res(401, { error: 'x' }, { 'x-debug': b64 }), lists, [])).to.match(/carries 1 token/);
    expect(judge(reject, res(401, `{"error":"${encodeURIComponent(otherToken)}"}`), lists, [])).to.match(/carries/);
  });

  it("fails an answer that is not exactly the owner's list, compared as sets", () => {
    const accept = { kind: 'accept', owner: 'user' } as const;
    expect(judge(accept, res(200, { tokens: [userToken] }), lists, [])).to.equal(undefined);
    expect(judge(accept, res(200, { tokens: [userToken, otherToken] }), lists, [])).to.match(/1 of the other's/);
    expect(judge(accept, res(200, { tokens: [otherToken] }), lists, [])).to.match(/not exactly the user's/);
    expect(judge(accept, res(401, { error: 'x' }), lists, [])).to.match(/answered 401/);
    const either = { kind: 'owner-or-nothing', owners: ['other'] } as const;
    expect(judge(either, res(404, ''), lists, [])).to.equal(undefined);
    expect(judge(either, res(200, { tokens: [userToken] }), lists, [])).to.match(/not exactly the other's/);
    const both = { kind: 'owner-or-nothing', owners: ['user', 'other'] } as const;
    expect(judge(both, res(200, { tokens: [otherToken] }), lists, [])).to.equal(undefined);
    expect(judge(both, res(200, { tokens: [otherToken, userToken] }), lists, [])).to.match(/not exactly either/);
  });

  it('finds secrets raw, JSON-escaped, URL-encoded and base64-encoded, and passwords inside Basic values', () => {
    const set = new Set([userToken]);
    const escaped = JSON.stringify(userToken).replace(/A/g, '\\u0041');
    expect(findSecrets([escaped], set)).to.deep.equal([userToken]);
    expect(findSecrets([Buffer.from(userToken).toString('base64url')], set)).to.deep.equal([userToken]);
    const basic = Buffer.from('alice:alice-standin-pw').toString('base64');
    expect(findSecrets([`echo ${basic}`], new Set(), ['alice-standin-pw'])).to.deep.equal(['alice-standin-pw']);
    expect(findSecrets(['alice%2Dstandin%2Dpw'], new Set(), ['alice-standin-pw'])).to.have.length(1);
    expect(findSecrets(['nothing here'], set, ['alice-standin-pw'])).to.have.length(0);
  });
});

describe('attacks: seed, budget, shrinking', () => {
  it('replays exactly from a seed', async () => {
    const seen: string[][] = [[], []];
    for (const i of [0, 1]) {
      await runProperty(
        attack,
        (a) => {
          seen[i]?.push(JSON.stringify(a));
          return Promise.resolve(undefined);
        },
        { seed: 1234, runs: 30, shrinkBudget: 10 },
      );
    }
    expect(seen[0]).to.have.length(30);
    expect(seen[0]).to.deep.equal(seen[1]);
  });

  it('shrinks a failure to the simplest failing case, within the shrink budget, with that case as evidence', async () => {
    const r = await runProperty(
      goodRequest,
      (a) => Promise.resolve(a.path !== 'canonical' ? { message: a.path, evidence: a } : undefined),
      { seed: 99, runs: 200, shrinkBudget: 50 },
    );
    expect(r.failure?.value.path).to.not.equal('canonical');
    expect(r.failure?.evidence).to.equal(r.failure?.value);
    expect(r.shrinkCases).to.be.at.most(50);
    const bounded = await runProperty(attack, () => Promise.resolve({ message: 'x', evidence: 0 }), {
      seed: 5,
      runs: 10,
      shrinkBudget: 3,
    });
    expect(bounded.shrinkCases).to.be.at.most(3);
    expect(bounded.cases).to.equal(1);
  });

  it('tries the fixed examples first, in addition to the generated cases', async () => {
    const seen: Attack[] = [];
    const examples = attackExamples();
    await runProperty(
      attack,
      (a) => {
        seen.push(a);
        return Promise.resolve(undefined);
      },
      { seed: 3, runs: 5, shrinkBudget: 0, examples },
    );
    expect(seen).to.have.length(examples.length + 5);
    expect(seen.slice(0, examples.length)).to.deep.equal(examples);
  });

  it('rethrows a harness error instead of shrinking towards it', async () => {
    let calls = 0;
    const boom = Object.assign(new Error('target gone'), { code: 'E_CONNECT' });
    const run = runProperty(
      attack,
      () => {
        calls++;
        return Promise.reject(boom);
      },
      { seed: 1, runs: 50, shrinkBudget: 50 },
    );
    let thrown: unknown;
    await run.catch((e: unknown) => (thrown = e));
    expect(thrown).to.equal(boom);
    expect(calls).to.equal(1);
  });

  it('judges cases concurrently: the same cases as one at a time, at most `concurrency` in flight', async () => {
    const inOrder: string[] = [];
    const sequential = await runProperty(
      attack,
      (a) => {
        inOrder.push(JSON.stringify(a));
        return Promise.resolve(undefined);
      },
      { seed: 77, runs: 40, shrinkBudget: 10, examples: attackExamples() },
    );
    const seen: string[] = [];
    let inFlight = 0;
    let most = 0;
    const concurrent = await runProperty(
      attack,
      async (a) => {
        seen.push(JSON.stringify(a));
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        return undefined;
      },
      { seed: 77, runs: 40, shrinkBudget: 10, examples: attackExamples(), concurrency: 6 },
    );
    expect(seen).to.deep.equal(inOrder); // started in generation order
    expect(concurrent).to.deep.equal(sequential);
    expect(most).to.equal(6);
  });

  it('with concurrency, reports the failure the sequential run finds: same case, shrinking and replay path', async () => {
    const fails = (a: { path: string }): { message: string; evidence: string } | undefined =>
      a.path !== 'canonical' ? { message: a.path, evidence: a.path } : undefined;
    const opts = { seed: 99, runs: 200, shrinkBudget: 50 };
    const sequential = await runProperty(goodRequest, (a) => Promise.resolve(fails(a)), opts);
    const concurrent = await runProperty(goodRequest, (a) => Promise.resolve(fails(a)), { ...opts, concurrency: 8 });
    expect(sequential.failure).to.not.equal(undefined);
    expect(concurrent).to.deep.equal(sequential);
  });

  it('with concurrency, a failure that is not seen again one case at a time is still reported', async () => {
    let first = true;
    const r = await runProperty(
      attack,
      () => {
        const verdict = first ? { message: 'leaked', evidence: 1 } : undefined;
        first = false;
        return Promise.resolve(verdict);
      },
      { seed: 4, runs: 20, shrinkBudget: 10, concurrency: 4 },
    );
    expect(r.failure?.message).to.equal('leaked (seen with 4 requests at once, not when sent one at a time)');
    expect(r.failure?.evidence).to.equal(1);
    expect(r.failure?.path).to.equal('0');
  });

  it('with concurrency, a harness error stops the cases and is rethrown when it happens again one at a time', async () => {
    let calls = 0;
    const boom = Object.assign(new Error('target gone'), { code: 'E_CONNECT' });
    let thrown: unknown;
    await runProperty(
      attack,
      () => {
        calls++;
        return Promise.reject(boom);
      },
      { seed: 1, runs: 50, shrinkBudget: 50, concurrency: 4 },
    ).catch((e: unknown) => (thrown = e));
    expect(thrown).to.equal(boom);
    expect(calls, '4 at once, then the first of the run one at a time').to.equal(5);
  });

  it('with concurrency, an error or a refusal seen only under load leaves the verdict to the run one at a time', async () => {
    const underLoad = async (fail: () => Promise<CaseVerdict<number>>) => {
      let inFlight = 0;
      return runProperty(
        attack,
        async () => {
          inFlight++;
          await new Promise((resolve) => setTimeout(resolve, 1));
          const crowded = inFlight > 1;
          inFlight--;
          return crowded ? fail() : undefined;
        },
        { seed: 2, runs: 30, shrinkBudget: 10, concurrency: 4 },
      );
    };
    const refused = await underLoad(() =>
      Promise.resolve({ message: 'answered 429 to a valid credential', evidence: 0, declined: true }),
    );
    expect(refused.failure).to.equal(undefined);
    expect(refused.concurrencyNote).to.equal(
      'with 4 requests at once the target answered a refusal (answered 429 to a valid credential); judged one at a time',
    );
    const errored = await underLoad(() => Promise.reject(new Error('503 Service Unavailable')));
    expect(errored.failure).to.equal(undefined);
    expect(errored.concurrencyNote).to.match(/answered an error \(503 Service Unavailable\); judged one at a time$/);
    // A breach seen only under load is not a refusal: it stays a failure.
    const breach = await underLoad(() => Promise.resolve({ message: 'answered 200 to a wrong password', evidence: 1 }));
    expect(breach.failure?.message).to.equal(
      'answered 200 to a wrong password (seen with 4 requests at once, not when sent one at a time)',
    );
  });

  it('with concurrency, a breach among the cases in flight is kept over an earlier refusal', async () => {
    let calls = 0;
    const r = await runProperty(
      attack,
      async () => {
        const call = ++calls;
        await new Promise((resolve) => setTimeout(resolve, call === 1 ? 1 : 5));
        if (call === 1) return { message: 'answered 503 to a valid credential', evidence: 1, declined: true };
        if (call === 2) return { message: 'answered 200 to a wrong password', evidence: 2 };
        return undefined;
      },
      { seed: 6, runs: 20, shrinkBudget: 10, concurrency: 4 },
    );
    expect(r.failure?.message).to.equal(
      'answered 200 to a wrong password (seen with 4 requests at once, not when sent one at a time)',
    );
    expect(r.failure?.path).to.equal('1');
  });

  it('a refusal that happens one at a time too is a failure, as without concurrency', async () => {
    const refuse = (): Promise<CaseVerdict<number>> =>
      Promise.resolve({ message: 'answered 429 to a valid credential', evidence: 0, declined: true });
    const opts = { seed: 3, runs: 10, shrinkBudget: 5 };
    const sequential = await runProperty(attack, refuse, opts);
    expect(sequential.failure?.message).to.equal('answered 429 to a valid credential');
    expect(await runProperty(attack, refuse, { ...opts, concurrency: 4 })).to.deep.equal(sequential);
  });

  it('parses --depth and keeps the default budget small', () => {
    expect(parseDepth('default')).to.equal('default');
    expect(parseDepth('thorough')).to.equal('thorough');
    expect(parseDepth('250')).to.equal(250);
    // 0 is "no generated cases" (a smoke run; the bench's baseline), not a usage error.
    expect(parseDepth('0')).to.equal(0);
    expect(budgetOf(0)).to.deep.equal({ attacks: 0, goods: 0, lifecycleRuns: 0, lifecycleCommands: 0, shrink: 0 });
    for (const bad of ['00', '-1', '1.5', 'deep', '']) expect(parseDepth(bad), bad).to.equal(undefined);
    expect(budgetOf('default').attacks).to.be.below(30);
    expect(budgetOf('thorough').attacks).to.be.at.least(2000);
  });
});
