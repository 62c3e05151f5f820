import { expect } from 'chai';
import { findSecrets, type TokenLookup } from '../attacks/spellings.js';
import { PreconditionError } from '../errors.js';
import { expectNoResponses } from './assert.js';
import type { LoggedResponse } from './context/exchange-log.js';
import { defineCheck, type Auth, type CheckContext } from './types.js';

/**
 * Response hygiene (issue 11 item 4), over every exchange of the run where the rule is about answers the run
 * already saw, and with a request of their own where the rule needs one (a foreign Origin, an Accept-Encoding).
 */

/** A foreign origin no deployment allows: reflecting it means reflecting any. */
const FOREIGN_ORIGIN = 'https://conformance-attacker.example';

const isListPath = (e: LoggedResponse): boolean =>
  /\/user\/+client_tokens\/?(\?.*)?$/i.test(e.exchange.request.url) && e.exchange.request.method === 'GET';

export const noTokenInAnySpelling = defineCheck({
  id: 'secrets-no-token-in-any-spelling',
  level: 'MUST',
  title:
    'never returns a token to anyone but its owner, in any spelling (base64, JSON- or URL-escaped), in a header or an error body',
  category: 'secrets',
  specRef: '#/paths/~1user~1client_tokens/get',
  judgesTheRun: true,
  run(ctx) {
    const user = ctx.log.knownTokens('user');
    const other = ctx.log.knownTokens('other');
    // A view of both, not a copy of 100,000 tokens: only membership is asked (and whether there is any).
    const everyone: TokenLookup = { size: user.size + other.size, has: (t) => user.has(t) || other.has(t) };
    const bad: LoggedResponse[] = [];
    for (const e of ctx.log.entries) {
      const who = ctx.log.principalOf(e);
      const forbidden = who === 'user' ? other : who === 'other' ? user : everyone;
      if (forbidden.size === 0) continue;
      // A list body is the owner's own tokens: its headers are searched, its body by secrets-no-foreign-token.
      const texts = [...Object.values(e.headers), ...(e.errorBody !== undefined ? [e.errorBody] : [])];
      if (findSecrets(texts, forbidden).length > 0) bad.push(e);
    }
    expectNoResponses(ctx, bad, "carry a token that is not the caller's", (e) => `to ${ctx.log.principalOf(e)}`);
    ctx.note(`${ctx.log.entries.length} responses searched`);
    return Promise.resolve();
  },
});

const SHARED_STORABLE = /(^|[\s,])(public|s-maxage\s*=)/i;

export const listNotSharedCacheable = defineCheck({
  id: 'http-list-not-shared-cacheable',
  level: 'MUST',
  title: 'never marks an authenticated list storable by shared caches (no Cache-Control public or s-maxage)',
  category: 'http',
  // RFC 9111 §3.5: a shared cache may reuse an answer to an authenticated request only when it says so.
  specRef: 'docs/attacks.md#shared-caches',
  judgesTheRun: true,
  run(ctx) {
    const lists = ctx.log.entries.filter((e) => e.status >= 200 && e.status < 300 && isListPath(e));
    if (lists.length === 0) throw new PreconditionError('P_STATE', 'the run saw no authenticated list');
    const bad = lists.filter((e) => SHARED_STORABLE.test(e.headers['cache-control'] ?? ''));
    expectNoResponses(
      ctx,
      bad,
      'let a shared cache store a list',
      (e) => `cache-control: ${e.headers['cache-control'] ?? ''}`,
    );
    ctx.note(`${lists.length} list answers judged`);
    return Promise.resolve();
  },
});

async function ownAuth(ctx: CheckContext): Promise<Auth> {
  return ctx.user ? { kind: 'basic', user: ctx.user } : { kind: 'x-auth-token', token: await ctx.token() };
}

export const corsNoCredentialedReflection = defineCheck({
  id: 'http-cors-no-credentialed-reflection',
  level: 'MUST',
  title: 'never reflects a foreign Origin together with Access-Control-Allow-Credentials: true',
  category: 'http',
  // Fetch, CORS protocol and credentials: reflecting any origin with credentials lets any site read the list.
  specRef: 'docs/attacks.md#cors-credentials',
  // A spec mock (Prism) reflects every Origin with credentials by design; it is not a server to judge here.
  requires: ['http-semantics'],
  async run(ctx) {
    const headers = { origin: FOREIGN_ORIGIN };
    const answers = [
      await ctx.get(await ownAuth(ctx), { headers, as: 'user' }),
      await ctx.get({ kind: 'none' }, { headers }),
    ];
    for (const res of answers) {
      const allowed = (res.headers['access-control-allow-origin'] ?? '').trim();
      const credentials = (res.headers['access-control-allow-credentials'] ?? '').trim().toLowerCase() === 'true';
      expect(
        credentials && (allowed === FOREIGN_ORIGIN || allowed === 'null'),
        `a foreign Origin is allowed with credentials (access-control-allow-origin: ${allowed}): ${res.summary}`,
      ).to.equal(false);
    }
  },
});

export const jsonNoBom = defineCheck({
  id: 'http-json-no-bom',
  level: 'MUST',
  title: 'sends JSON without a byte-order mark',
  category: 'http',
  // RFC 8259 §8.1: implementations MUST NOT add a byte order mark to a networked JSON text.
  specRef: 'docs/attacks.md#json-bom',
  judgesTheRun: true,
  run(ctx) {
    const bad = ctx.log.entries.filter((e) => e.bom === true);
    expectNoResponses(ctx, bad, 'start with a byte-order mark', () => 'EF BB BF');
    ctx.note(`${ctx.log.entries.length} responses judged`);
    return Promise.resolve();
  },
});

export const contentEncodingTrue = defineCheck({
  id: 'http-content-encoding-true',
  level: 'MUST',
  title: 'sends a body that decodes as its Content-Encoding says, also when compression is offered',
  category: 'http',
  // RFC 9110 §8.4: the content coding is what was applied; a body that does not decode as labelled is broken.
  specRef: 'docs/attacks.md#content-coding',
  requires: ['http-semantics'],
  async run(ctx) {
    const res = await ctx.get(await ownAuth(ctx), { headers: { 'accept-encoding': 'gzip, deflate, br' }, as: 'user' });
    expect(res.encodingError, `${res.encodingError ?? ''}: ${res.summary}`).to.equal(undefined);
    const bad = ctx.log.entries.filter((e) => e.encodingError !== undefined);
    expectNoResponses(ctx, bad, 'do not decode as labelled', (e) => e.encodingError ?? '');
  },
});
