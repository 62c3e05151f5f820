import { expect } from 'chai';
import { isPreconditionError, PreconditionError } from '../errors.js';
import type { HttpResponse } from '../http.js';
import { addFirstPartyCaveat, parseToken, serializeToken, type Macaroon } from '../token/index.js';
import { expectAuthError, expectSameList } from './assert.js';
import { restObstacle, type Obstacle } from './caveats.js';
import type { CheckContext, TokenList } from './types.js';
import { defineCheck } from './types.js';

/**
 * Token authentication. Macaroons can be attenuated by anyone holding one, without the secret (a caveat is
 * appended and the signature chained over it): that is how the runner proves the server really verifies the
 * HMAC chain and the caveats, instead of looking the identifier up and waving the token through.
 */

const SECURITY = '#/components/securitySchemes';
const GET_401 = '#/paths/~1user~1client_tokens/get/responses/401';

/** With huge lists, authenticate a bounded sample: the rule is per token, the cost must not be. */
const SAME_USER_SAMPLE = 10;
/** Requests in flight at once for short lists. */
const CONCURRENCY = 5;
/**
 * List bytes the answers in flight may carry together: each answer is its body plus its parsed copy, so with
 * a 10,000-token list (2 MB) five at once were most of the run's peak memory; long lists go one at a time.
 */
const BYTES_IN_FLIGHT = 1 << 20;

function concurrencyFor(list: TokenList): number {
  return Math.max(1, Math.min(CONCURRENCY, Math.floor(BYTES_IN_FLIGHT / Math.max(1, list.res.bodyText.length))));
}

async function decodedToken(ctx: CheckContext): Promise<Macaroon> {
  const token = await ctx.token();
  try {
    return parseToken(token);
  } catch (e) {
    throw new PreconditionError('P_STATE', `the token to attenuate cannot be decoded: ${(e as Error).message}`);
  }
}

/** Serializes a derived token and registers it as a secret before it is sent. */
function derived(ctx: CheckContext, m: Macaroon): string {
  return ctx.secret(serializeToken(m));
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export const xAuthToken = defineCheck({
  id: 'auth-token-x-auth-token',
  level: 'MUST',
  title: 'authenticates a listed token sent in X-Auth-Token and serves the same list as Basic',
  category: 'authentication',
  specRef: SECURITY,
  requires: ['token-auth'],
  async run(ctx) {
    const token = await ctx.token();
    const { tokens } = await ctx.userList();
    expectSameList(await ctx.get({ kind: 'x-auth-token', token }, { as: 'user' }), tokens, 'X-Auth-Token');
  },
});

export const macaroonHeader = defineCheck({
  id: 'auth-token-macaroon-header',
  level: 'MUST',
  title: 'authenticates a listed token sent in the Macaroon header and serves the same list',
  category: 'authentication',
  specRef: SECURITY,
  requires: ['token-auth', 'macaroon-header'],
  async run(ctx) {
    const token = await ctx.token();
    const { tokens } = await ctx.userList();
    expectSameList(await ctx.get({ kind: 'macaroon', token }, { as: 'user' }), tokens, 'Macaroon header');
  },
});

export const garbage = defineCheck({
  id: 'auth-token-garbage',
  level: 'MUST',
  title: 'rejects a garbage token in X-Auth-Token and in Macaroon with 401 and an Error body',
  category: 'authentication',
  specRef: GET_401,
  requires: ['verifies-credentials'],
  async run(ctx) {
    const value = 'conformance-garbage-token';
    const [x, m] = await Promise.all([
      ctx.get({ kind: 'x-auth-token', token: value }),
      ctx.get({ kind: 'macaroon', token: value }),
    ]);
    expectAuthError(ctx, x);
    expectAuthError(ctx, m);
  },
});

export const tamperedSignature = defineCheck({
  id: 'auth-token-tampered-signature',
  level: 'MUST',
  title: 'rejects a listed token whose signature was altered with 401',
  category: 'authentication',
  specRef: GET_401,
  requires: ['verifies-credentials', 'token-auth'],
  async run(ctx) {
    const m = await decodedToken(ctx);
    const signature = Uint8Array.from(m.signature);
    signature[0] = (signature[0] ?? 0) ^ 0x01;
    expectAuthError(ctx, await ctx.get({ kind: 'x-auth-token', token: derived(ctx, { ...m, signature }) }));
  },
});

export const expiredCaveat = defineCheck({
  id: 'auth-token-expired-caveat',
  level: 'MUST',
  title: 'rejects a token attenuated with an expired `time < N` caveat with 401',
  category: 'authentication',
  specRef: GET_401,
  requires: ['verifies-credentials', 'token-auth'],
  async run(ctx) {
    const m = addFirstPartyCaveat(await decodedToken(ctx), `time < ${nowSeconds() - 3600}`);
    expectAuthError(ctx, await ctx.get({ kind: 'x-auth-token', token: derived(ctx, m) }));
  },
});

export const futureCaveat = defineCheck({
  id: 'auth-token-future-caveat',
  level: 'MUST',
  title: 'accepts a token attenuated with a future `time < N` caveat and serves the same list',
  category: 'authentication',
  specRef: SECURITY,
  requires: ['verifies-credentials', 'token-auth'],
  async run(ctx) {
    const m = addFirstPartyCaveat(await decodedToken(ctx), `time < ${nowSeconds() + 3600}`);
    const { tokens } = await ctx.userList();
    expectSameList(
      await ctx.get({ kind: 'x-auth-token', token: derived(ctx, m) }, { as: 'user' }),
      tokens,
      'the attenuated token',
    );
  },
});

export const unknownCaveat = defineCheck({
  id: 'auth-token-unknown-caveat',
  level: 'MUST',
  title: 'rejects a token attenuated with a first-party caveat the server does not know with 401',
  category: 'authentication',
  specRef: GET_401,
  requires: ['verifies-credentials', 'token-auth'],
  async run(ctx) {
    const m = addFirstPartyCaveat(await decodedToken(ctx), 'conformance-caveat = unknown');
    expectAuthError(ctx, await ctx.get({ kind: 'x-auth-token', token: derived(ctx, m) }));
  },
});

/** How many of a user's visibly unusable tokens (expired, restricted) to try, to see them rejected properly. */
const DEAD_SAMPLE = 4;
/** authError ids (20.02+) that fit each visible cause; revocation (server state) fits every one. */
const FITTING_AUTH_ERRORS: Readonly<Record<Obstacle['kind'], readonly string[]>> = {
  expired: ['tokenCaveatUnverified', 'tokenRevoked'],
  restricted: ['tokenCaveatUnverified', 'tokenCaveatUnknown', 'tokenRevoked'],
};

function sample<T>(items: readonly T[], size = SAME_USER_SAMPLE): T[] {
  if (items.length <= size) return [...items];
  const half = size / 2;
  return [...items.slice(0, half), ...items.slice(-half)];
}

/** The id of a 20.02+ `unauthorized` error's inner cause, when the body has one. */
function authErrorId(res: HttpResponse): string | undefined {
  const id = (res.json as { error?: { details?: { authError?: { id?: unknown } } } } | undefined)?.error?.details
    ?.authError?.id;
  return typeof id === 'string' ? id : undefined;
}

interface Tried {
  readonly token: string;
  readonly position: number;
  readonly obstacle: Obstacle | undefined;
}

/**
 * What one listed token's answer says, or the failure it shows. A token authenticates only as its owner (the
 * same list as the owner's Basic); a rejected one gets 401, with an inner cause that fits what its caveats show.
 */
function judgeListed(
  who: 'user' | 'other',
  list: TokenList,
  t: Tried,
  res: HttpResponse,
): { verdict: 'authenticated' | 'rejected-visibly' | 'rejected-unexplained' } | { failure: Error } {
  const label = `the ${who}'s listed token #${t.position}`;
  try {
    if (res.status >= 200 && res.status < 300) {
      expectSameList(res, list.tokens, `${label} authenticates as someone else: it`);
      if (t.obstacle?.kind === 'expired')
        expect.fail(`${label} authenticates although it ${t.obstacle.text}: ${res.summary}`);
      return { verdict: 'authenticated' };
    }
    expect(res.status, `${label} is rejected with ${res.status}, not 401: ${res.summary}`).to.equal(401);
    if (!t.obstacle) return { verdict: 'rejected-unexplained' };
    const id = authErrorId(res);
    if (id !== undefined)
      expect(
        FITTING_AUTH_ERRORS[t.obstacle.kind],
        `${label} (${t.obstacle.text}) is rejected as ${id}: ${res.summary}`,
      ).to.include(id);
    return { verdict: 'rejected-visibly' };
  } catch (e) {
    return { failure: e instanceof Error ? e : new Error(String(e)) };
  }
}

export const sameUser = defineCheck({
  id: 'auth-token-same-user',
  level: 'MUST',
  title: 'authenticates listed tokens only as their owner, at least one of them, and rejects the others with 401',
  category: 'authentication',
  specRef: SECURITY,
  requires: ['token-auth', 'basic'],
  async run(ctx) {
    // From 20.02 a list holds expired, revoked and caveated tokens (real-server-2102.md §1.6, §1.8): only what
    // the caveats show is expected of each; a rejection without a visible cause (revoked) is a note.
    const lists: Array<{ who: 'user' | 'other'; list: TokenList }> = [{ who: 'user', list: await ctx.userList() }];
    if (ctx.otherUser) lists.push({ who: 'other', list: await ctx.otherList() });
    let chosen: string | undefined;
    try {
      chosen = await ctx.token();
    } catch (e) {
      if (!isPreconditionError(e)) throw e;
    }
    const notes: string[] = [];
    let tried = 0;
    const now = nowSeconds();
    for (const { who, list } of lists) {
      const all: Tried[] = list.tokens.map((token, i) => {
        const facts = ctx.tokenFacts(token);
        return { token, position: i + 1, obstacle: facts.ok ? restObstacle(facts.caveats, now) : undefined };
      });
      const live = all.filter((t) => !t.obstacle);
      const dead = all.filter((t) => t.obstacle);
      const liveSample = sample(live);
      // The token the run authenticates with was seen to work: a sample that missed it proves nothing less.
      const mine = who === 'user' ? live.find((t) => t.token === chosen) : undefined;
      if (mine && !liveSample.includes(mine)) liveSample.push(mine);
      const deadSample = sample(dead, DEAD_SAMPLE);
      if (liveSample.length < live.length)
        notes.push(`sampled ${liveSample.length} of the ${who}'s ${live.length} usable-looking tokens`);
      if (dead.length > 0)
        notes.push(
          `${dead.length} of the ${who}'s tokens cannot authenticate REST by their caveats (${deadSample.length} tried)`,
        );
      const batch = [...liveSample, ...deadSample];
      const width = concurrencyFor(list);
      let authenticated = 0;
      let unexplained = 0;
      for (let start = 0; start < batch.length; start += width) {
        // Each answer is judged as it arrives and only the verdict kept, so no list outlives its judgement;
        // the first failure in token order is the one reported.
        const verdicts = await Promise.all(
          batch.slice(start, start + width).map(async (t) => {
            const res = await ctx.get({ kind: 'x-auth-token', token: t.token }, { as: who });
            return judgeListed(who, list, t, res);
          }),
        );
        for (const v of verdicts) {
          if ('failure' in v) throw v.failure;
          if (v.verdict === 'authenticated') authenticated++;
          if (v.verdict === 'rejected-unexplained') unexplained++;
        }
      }
      if (liveSample.length > 0 && authenticated === 0)
        expect.fail(
          `none of the ${liveSample.length} tried tokens of the ${who} whose caveats allow a REST request authenticates` +
            ' (unless every one of them is revoked: then give --token)',
        );
      if (unexplained > 0)
        notes.push(`${unexplained} of the ${who}'s tokens rejected with 401 without a visible cause (revoked?)`);
      tried += batch.length;
    }
    if (tried === 0) throw new PreconditionError('P_STATE', 'no listed tokens to try');
    for (const n of notes) ctx.note(n);
  },
});

export const wellFormed = defineCheck({
  id: 'tokens-well-formed',
  level: 'MUST',
  title: 'lists only well-formed Onedata tokens (base62-escaped V1 macaroons with a 32-byte signature)',
  category: 'tokens',
  specRef: '#/components/schemas/ClientTokens',
  async run(ctx) {
    const { tokens } = await ctx.userList();
    for (const [i, t] of tokens.entries()) {
      const r = ctx.tokenFacts(t);
      if (!r.ok) expect.fail(`token #${i + 1} is not well formed: ${r.reason}`);
    }
  },
});
