import { expect } from 'chai';
import type { HttpResponse } from '../http.js';
import { expectSameList, expectStatus } from './assert.js';
import { factKey } from './context/facts.js';
import { LIST_PATH } from './list.js';
import type { CheckContext } from './types.js';
import { defineCheck } from './types.js';

/** HTTP method, content negotiation and path rules of cowboy_rest (real-server-behaviour.md §1). */

const PATH = '#/paths/~1user~1client_tokens';
const NOT_ALLOWED = ['PUT', 'PATCH', 'DELETE'] as const;

/**
 * PUT, PATCH and DELETE on the collection, read once for both 405 checks. Sent WITHOUT credentials: cowboy
 * answers 405 before authentication in every version, and a request that cannot authenticate can never
 * change the target, even a broken one (the runner only writes with --allow-writes).
 */
const NOT_ALLOWED_ANSWERS = factKey<Array<{ method: string; res: HttpResponse }>>('405-answers');

function notAllowedAnswers(ctx: CheckContext): Promise<Array<{ method: string; res: HttpResponse }>> {
  return ctx.shared(NOT_ALLOWED_ANSWERS, (s) =>
    Promise.all(NOT_ALLOWED.map(async (method) => ({ method, res: await s.send(method, { kind: 'none' }) }))),
  );
}

export const notAllowed = defineCheck({
  id: 'http-405-not-allowed',
  level: 'MUST',
  title: 'answers PUT, PATCH and DELETE on the collection with 405',
  category: 'http',
  specRef: PATH,
  requires: ['http-semantics'],
  async run(ctx) {
    const answers = await notAllowedAnswers(ctx);
    for (const { res } of answers) expectStatus(res, 405);
  },
});

export const allowHeader = defineCheck({
  id: 'http-405-allow-header',
  level: 'MUST',
  title: 'names GET and POST in the Allow header of a 405',
  category: 'http',
  specRef: PATH,
  requires: ['http-semantics'],
  async run(ctx) {
    const answers = await notAllowedAnswers(ctx);
    for (const { method, res } of answers) {
      // The check of the status is http-405-not-allowed's; this one judges only the header of a 405.
      if (res.status !== 405) continue;
      const allow = (res.headers.allow ?? '').split(',').map((m) => m.trim().toUpperCase());
      expect(allow, `${method}: Allow is "${res.headers.allow ?? '(none)'}": ${res.summary}`).to.include.members([
        'GET',
        'POST',
      ]);
    }
  },
});

export const unacceptable = defineCheck({
  id: 'http-406-unacceptable',
  level: 'SHOULD',
  title: 'answers an Accept that excludes application/json with 406',
  category: 'http',
  specRef: PATH,
  requires: ['http-semantics', 'basic'],
  async run(ctx) {
    const { user } = ctx;
    expectStatus(await ctx.get({ kind: 'basic', user }, { headers: { accept: 'text/html' } }), 406);
  },
});

export const headOptions = defineCheck({
  id: 'http-head-options-no-5xx',
  level: 'SHOULD',
  title: 'answers HEAD and OPTIONS without a server error',
  category: 'http',
  specRef: PATH,
  requires: ['http-semantics', 'basic'],
  async run(ctx) {
    // Every upstream version crashes on these methods (500): a warning, by design of the level.
    const { user } = ctx;
    const answers = await Promise.all(['HEAD', 'OPTIONS'].map((m) => ctx.send(m, { kind: 'basic', user })));
    for (const res of answers) expect(res.status, res.summary).to.be.below(500);
  },
});

export const trailingSlash = defineCheck({
  id: 'http-trailing-slash',
  level: 'SHOULD',
  title: 'serves the same list at /user/client_tokens/ (trailing slash)',
  category: 'http',
  specRef: PATH,
  requires: ['http-semantics', 'basic'],
  async run(ctx) {
    const { user } = ctx;
    const { tokens } = await ctx.userList();
    expectSameList(
      await ctx.get({ kind: 'basic', user }, { path: `${LIST_PATH}/` }),
      tokens,
      'the path with a trailing slash',
    );
  },
});
