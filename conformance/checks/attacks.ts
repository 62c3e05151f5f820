import { expect } from 'chai';
import * as fc from 'fast-check';
import { budgetOf } from '../attacks/budget.js';
import { runProperty, type EngineResult } from '../attacks/engine.js';
import { attackExamples, goodExamples, precedenceExamples } from '../attacks/examples.js';
import { attack, goodRequest, pair, twoUsers, type Attack, type Owner } from '../attacks/generators.js';
import { decisiveExpectation, expectationOf, judge, type Lists } from '../attacks/judge.js';
import { materialise, type AttackSecrets, type Materialised } from '../attacks/materialise.js';
import { readOrder } from '../attacks/precedence.js';
import { perBody, type Principal, type WireRequest, type WireResponse } from '../attacks/wire.js';
import { PreconditionError } from '../errors.js';
import { bodyKey, type HttpResponse } from '../http.js';
import type { Exchange } from '../report/types.js';
import { tokenPath } from '../guard.js';
import { restObstacle } from './caveats.js';
import { inFlightFor, tokenSetOf, tokensOf } from './list.js';
import { defineCheck, type CheckContext } from './types.js';

/**
 * Generated attacks (issue 11): instead of one wrong password and one flipped bit, hundreds of credentials that
 * must not authenticate — in every place a server or a misconfigured proxy might read one, alone or next to a
 * good one, on path variants that must reach the list or nothing — and good credentials that must yield exactly
 * their owner's list. Each property is seeded (the run's seed replays it), bounded (`--depth`), and a failure is
 * shrunk to the simplest request that still fails, whose redacted exchange is the evidence.
 */

const GET_401 = '#/paths/~1user~1client_tokens/get/responses/401';
const SECURITY = '#/components/securitySchemes';

/**
 * Generated requests in flight at once. Each is an independent GET (nothing a case sends changes the target),
 * so eight at a time keep the client and the server busy together instead of taking turns, and stay a light
 * load for any server; the verdict, the first failure and its shrinking are those of one at a time (engine.ts).
 */
const IN_FLIGHT = 8;

interface Sent {
  readonly res: HttpResponse;
}

/** Sends a generated request without making it evidence: only the shrunk failing one is attached. */
async function sendQuietly(
  ctx: CheckContext,
  req: WireRequest,
  as: Principal | ((res: HttpResponse) => Principal),
): Promise<Sent> {
  const res = await ctx.quiet.send(
    req.method,
    { kind: 'none' },
    { path: req.path, headers: req.headers, ...(req.body !== undefined && { body: req.body }), as },
  );
  return { res };
}

const toWire = (res: HttpResponse): WireResponse => ({
  status: res.status,
  headers: res.headers,
  bodyText: res.bodyText,
  ...(res.json !== undefined && { json: res.json }),
  summary: res.summary,
  body: res.body,
});

const IS_LIST = bodyKey<WeakMap<ReadonlySet<string>, boolean>>('attacks:is-list');

/**
 * Whose answer it is, for the run's log that the secrets checks judge: a request carrying two users' good
 * credentials may be answered with either list (whichever the server read first), so the answer tells.
 */
function whoseAnswer(lists: Lists, guess: Principal): (res: HttpResponse) => Principal {
  return (res) => {
    if (res.status >= 300) return 'nobody';
    const is = (want: ReadonlySet<string> | undefined): boolean => want !== undefined && isList(res, want);
    return is(lists.user) ? 'user' : is(lists.other) ? 'other' : guess;
  };
}

/** The answer lists as many tokens as `want` holds, each of them in it (once per distinct body and list). */
const isList = (res: HttpResponse, want: ReadonlySet<string>): boolean =>
  perBody(IS_LIST, res, want, () => {
    const got = tokensOf(res);
    return got.length === want.size && got.every((t) => want.has(t));
  });

/**
 * A token of `who` that is seen to authenticate them (lived-in lists hold expired and unusable tokens): tokens
 * whose caveats forbid a REST request now are not tried, as the session's token choice does not try them. The
 * requests are not recorded as they go but returned, for the caller to attach in a fixed order.
 */
async function workingToken(
  ctx: CheckContext,
  who: Owner,
  list: readonly string[],
  wanted: ReadonlySet<string>,
): Promise<{ token: string | undefined; sent: HttpResponse[] }> {
  const first = who === 'user' ? await ctx.token().catch(() => undefined) : undefined;
  const tried = new Set<string>();
  const sent: HttpResponse[] = [];
  const now = Math.floor(Date.now() / 1000);
  // The chosen token, then the list's, without copying the list: only the first eight distinct are tried.
  for (let i = -1; i < list.length && tried.size < 8; i++) {
    const t = i < 0 ? first : list[i];
    if (t === undefined || tried.has(t)) continue;
    const facts = ctx.tokenFacts(t);
    if (facts.ok && restObstacle(facts.caveats, now) !== undefined) continue;
    tried.add(t);
    const res = await ctx.unrecorded.get({ kind: 'x-auth-token', token: t }, { as: who });
    sent.push(res);
    if (res.status === 200 && isList(res, wanted)) return { token: t, sent };
  }
  return { token: undefined, sent };
}

/**
 * The users' lists read fresh with Basic (earlier checks may have created and deleted tokens), both at once;
 * the answers become the check's evidence in a fixed order (the user's, then the other's), and the user's
 * failure is reported first, whichever came back first.
 */
async function freshLists(
  ctx: CheckContext,
): Promise<{ lists: Lists; user: readonly string[]; other: readonly string[] | undefined; longest: number }> {
  const read = async (who: Owner): Promise<HttpResponse> => {
    const creds = who === 'user' ? ctx.user : ctx.otherUser;
    return creds
      ? ctx.unrecorded.get({ kind: 'basic', user: creds }, { as: who })
      : ctx.unrecorded.get({ kind: 'x-auth-token', token: await ctx.token() }, { as: who });
  };
  const [u, o] = await Promise.allSettled([read('user'), ctx.otherUser ? read('other') : Promise.resolve(undefined)]);
  for (const r of [u, o]) if (r.status === 'fulfilled' && r.value !== undefined) ctx.attach(r.value);
  if (u.status === 'rejected') throw u.reason;
  if (o.status === 'rejected') throw o.reason;
  const [user, other] = [u.value, o.value];
  for (const [who, res] of [
    ['user', user],
    ['other', other],
  ] as const)
    if (res !== undefined && res.status !== 200)
      throw new PreconditionError('P_STATE', `the ${who}'s list could not be read: ${res.summary}`);
  return {
    lists: { user: tokenSetOf(user), ...(other && { other: tokenSetOf(other) }) },
    user: tokensOf(user),
    other: other && tokensOf(other),
    longest: Math.max(user.bodyText.length, other?.bodyText.length ?? 0),
  };
}

/** A token the run created and deleted, for the "revoked" attacks (only with --allow-writes and Basic). */
async function revokedToken(ctx: CheckContext): Promise<string | undefined> {
  if (!ctx.allowWrites || !ctx.user) return undefined;
  const { token } = await ctx.ledger.create('user');
  const path = token === undefined ? undefined : tokenPath(token);
  if (token === undefined || path === undefined) return undefined;
  const res = await ctx.send('DELETE', { kind: 'basic', user: ctx.user }, { path, as: 'user' });
  if (res.status >= 300) return undefined; // still in the ledger: the cleanup retries
  ctx.ledger.markDeleted(token);
  return token;
}

async function secretsOf(
  ctx: CheckContext,
  withRevoked: boolean,
): Promise<{ secrets: AttackSecrets; lists: Lists; longest: number }> {
  const { lists, user, other, longest } = await freshLists(ctx);
  // The two users' tokens are independent: looked for at once, their requests attached in a fixed order.
  const [mine, theirs] = await Promise.all([
    workingToken(ctx, 'user', user, lists.user),
    other && lists.other ? workingToken(ctx, 'other', other, lists.other) : Promise.resolve(undefined),
  ]);
  for (const res of [...mine.sent, ...(theirs?.sent ?? [])]) ctx.attach(res);
  const userToken = mine.token;
  const otherToken = theirs?.token;
  const revoked = withRevoked ? await revokedToken(ctx) : undefined;
  const secrets: AttackSecrets = {
    users: { ...(ctx.user && { user: ctx.user }), ...(ctx.otherUser && { other: ctx.otherUser }) },
    tokens: { ...(userToken && { user: userToken }), ...(otherToken && { other: otherToken }) },
    ...(revoked && { revoked }),
    nowSeconds: Math.floor(Date.now() / 1000),
  };
  return { secrets, lists, longest };
}

/** Runs one generated property against the target and turns a (shrunk) failure into the check's verdict. */
async function attackProperty(
  ctx: CheckContext,
  arb: fc.Arbitrary<Attack>,
  examples: readonly Attack[],
  runs: number,
  what: string,
  opts: { withRevoked: boolean; model: typeof expectationOf },
): Promise<void> {
  const generated = ctx.generated;
  const budget = budgetOf(generated.depth);
  const { secrets, lists, longest } = await secretsOf(ctx, opts.withRevoked);
  const order = readOrder(ctx.profile);
  // Materialised once per case: the filter and the judge see the same instance, and tokens take HMACs to make.
  const made = new WeakMap<Attack, Materialised | undefined>();
  const materialised = (a: Attack): Materialised | undefined => {
    if (!made.has(a)) made.set(a, materialise(a, secrets));
    return made.get(a);
  };
  const applicable = arb.filter((a) => materialised(a) !== undefined);
  let requests = 0;
  const result: EngineResult<Attack, Exchange> = await runProperty(
    applicable,
    async (a) => {
      const m = materialised(a);
      if (m === undefined) return undefined;
      // A wrong password made from the real one shows most of it when a server echoes it: masked like a password
      // (one pass over a text for all secrets, so hundreds cost little). A whole Authorization value is not a
      // secret of its own: its parts are the scheme, a name and a password registered apart.
      for (const s of m.secrets) {
        if (s.kind === 'token') ctx.secret(s.value);
        else if (s.kind === 'password') ctx.secret(s.value, 'derived');
      }
      const exp = opts.model(m, order);
      // Whose answer it is, for the run's log: the owner the version's reading order names.
      const decisive = decisiveExpectation(m, order);
      const as =
        decisive.kind === 'reject'
          ? 'nobody'
          : decisive.kind === 'accept'
            ? decisive.owner
            : (decisive.owners[0] ?? 'nobody');
      const { res } = await sendQuietly(ctx, m.request, whoseAnswer(lists, as));
      requests++;
      const why = judge(exp, toWire(res), lists, m.liveTokens);
      if (why === undefined) return undefined;
      // A good credential answered 5xx: the server declined to serve, it did not let anything through (429 and
      // 503 never get here: the HTTP layer makes them E_RATE_LIMITED and E_UNAVAILABLE).
      const declined = exp.kind === 'accept' && res.status >= 500;
      return { message: `${m.description}: ${why}`, evidence: res.exchange, ...(declined && { declined }) };
    },
    { seed: generated.seed, runs, shrinkBudget: budget.shrink, examples, concurrency: inFlightFor(longest, IN_FLIGHT) },
  );
  generated.cases += result.cases + result.shrinkCases;
  const depth = generated.depth === 'default' ? '' : ` --depth ${generated.depth}`;
  const replay = `seed ${generated.seed}; replay with --seed ${generated.seed}${depth}`;
  if (result.failure) {
    ctx.attach({ exchange: result.failure.evidence });
    expect.fail(
      `shrunk to: ${result.failure.message} (after ${result.cases} generated ${what}, ${result.failure.shrinks} shrink step(s); ${replay})`,
    );
  }
  if (result.concurrencyNote !== undefined) ctx.note(result.concurrencyNote);
  ctx.note(`${result.cases} generated ${what} (${requests} requests; ${replay})`);
}

export const invalidRejected = defineCheck({
  id: 'attack-invalid-credentials-rejected',
  level: 'MUST',
  title:
    'rejects every generated credential that must not authenticate, wherever it is sent, and answers it with no token',
  category: 'authentication',
  specRef: GET_401,
  requires: ['generated', 'verifies-credentials'],
  run: (ctx) =>
    attackProperty(ctx, attack, attackExamples(), budgetOf(ctx.generated.depth).attacks, 'attacks', {
      withRevoked: true,
      model: expectationOf,
    }),
});

export const validOwnList = defineCheck({
  id: 'attack-valid-credentials-own-list',
  level: 'MUST',
  title: "serves a valid credential exactly its owner's list in every header that carries it, on every path variant",
  category: 'isolation',
  specRef: SECURITY,
  requires: ['generated', 'verifies-credentials', 'token-auth'],
  run: (ctx) =>
    attackProperty(
      ctx,
      fc.oneof(goodRequest, twoUsers),
      goodExamples(),
      budgetOf(ctx.generated.depth).goods,
      'good requests',
      { withRevoked: false, model: expectationOf },
    ),
});

export const precedence = defineCheck({
  id: 'attack-credential-precedence',
  level: 'SHOULD',
  title:
    "decides a request with two credentials by the first in the version's reading order, and that one's verdict is final",
  category: 'authentication',
  specRef: SECURITY,
  requires: ['generated', 'verifies-credentials', 'token-auth'],
  // Not a MUST: serving the owner of a good credential the request carried leaks nothing, whichever was read
  // first; but a server that reads credentials in another order than its version is not the version it claims.
  run: (ctx) =>
    attackProperty(ctx, fc.oneof(pair, twoUsers), precedenceExamples(), budgetOf(ctx.generated.depth).goods, 'pairs', {
      withRevoked: false,
      model: decisiveExpectation,
    }),
});
