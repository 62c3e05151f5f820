import { expect } from 'chai';
import { PreconditionError } from '../errors.js';
import { addFirstPartyCaveat, parseToken, serializeToken, type Macaroon } from '../token/index.js';
import { expectAuthError, expectSameList } from './assert.js';
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

/** True when a token carries a `time < N` caveat that has passed: the server may list those (§4). */
function expired(ctx: CheckContext, token: string): boolean {
  try {
    const facts = ctx.tokenFacts(token);
    if (!facts.ok) return false;
    const now = nowSeconds();
    return facts.caveats.some((cid) => {
      const n = /^time < (\d+)$/.exec(cid)?.[1];
      return n !== undefined && Number(n) <= now;
    });
  } catch {
    return false;
  }
}

function sample(tokens: readonly string[]): string[] {
  if (tokens.length <= SAME_USER_SAMPLE) return [...tokens];
  const half = SAME_USER_SAMPLE / 2;
  return [...tokens.slice(0, half), ...tokens.slice(-half)];
}

export const sameUser = defineCheck({
  id: 'auth-token-same-user',
  level: 'MUST',
  title: 'authenticates each listed token as its owner, serving the same list as Basic',
  category: 'authentication',
  specRef: SECURITY,
  requires: ['token-auth', 'basic'],
  async run(ctx) {
    const lists: Array<{ who: 'user' | 'other'; list: TokenList }> = [{ who: 'user', list: await ctx.userList() }];
    if (ctx.otherUser) lists.push({ who: 'other', list: await ctx.otherList() });
    const notes: string[] = [];
    let tried = 0;
    for (const { who, list } of lists) {
      const live = list.tokens.filter((t) => !expired(ctx, t));
      if (live.length < list.tokens.length)
        notes.push(`${list.tokens.length - live.length} expired token(s) of the ${who} not tried`);
      const chosen = sample(live);
      if (chosen.length < live.length)
        notes.push(`sampled ${chosen.length} of the ${who}'s ${live.length} tokens (first and last)`);
      const width = concurrencyFor(list);
      for (let start = 0; start < chosen.length; start += width) {
        const batch = chosen.slice(start, start + width);
        // Each answer is judged as it arrives and only the verdict kept, so no list outlives its judgement;
        // the first failure in token order is the one reported, as before.
        const verdicts = await Promise.all(
          batch.map(async (token, i) => {
            const res = await ctx.get({ kind: 'x-auth-token', token }, { as: who });
            try {
              expectSameList(res, list.tokens, `the ${who}'s listed token #${start + i + 1}`);
              return undefined;
            } catch (e) {
              return e instanceof Error ? e : new Error(String(e));
            }
          }),
        );
        const failure = verdicts.find((v) => v !== undefined);
        if (failure !== undefined) throw failure;
      }
      tried += chosen.length;
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
