import { expect } from 'chai';
import { PreconditionError } from '../errors.js';
import type { HttpResponse } from '../http.js';
import { expectValid } from './assert.js';
import { tokenSetOf, tokensOf } from './list.js';
import { schemaErrors } from './schemas.js';
import type { CheckContext } from './types.js';
import { defineCheck } from './types.js';

/** The shape of the 200 list and of every error body the run saw (real-server-behaviour.md §3, §4). */

const GET_200 = '#/paths/~1user~1client_tokens/get/responses/200';

/** The user's list response, when it is a success worth judging for shape. */
async function successfulList(ctx: CheckContext): Promise<HttpResponse> {
  const res = await ctx.listResponse('user');
  if (res.status < 200 || res.status >= 300)
    throw new PreconditionError('P_STATE', `the list was not served: ${res.summary}`);
  return res;
}

async function tokenArray(ctx: CheckContext): Promise<{ res: HttpResponse; items: unknown[] }> {
  const res = await successfulList(ctx);
  const items = (res.json as { tokens?: unknown } | undefined)?.tokens;
  if (!Array.isArray(items))
    throw new PreconditionError('P_STATE', `the body has no tokens array (see shape-list-schema): ${res.summary}`);
  return { res, items };
}

const mediaType = (value: string | undefined): string => (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

export const listContentType = defineCheck({
  id: 'shape-list-content-type',
  level: 'MUST',
  title: 'serves the list as application/json',
  category: 'shape',
  specRef: GET_200,
  async run(ctx) {
    const res = await successfulList(ctx);
    expect(
      mediaType(res.headers['content-type']),
      `content-type ${res.headers['content-type'] ?? '(none)'}: ${res.summary}`,
    ).to.equal('application/json');
  },
});

export const listSchema = defineCheck({
  id: 'shape-list-schema',
  level: 'MUST',
  title: 'serves a JSON body that validates against ClientTokens',
  category: 'shape',
  specRef: '#/components/schemas/ClientTokens',
  async run(ctx) {
    expectValid(ctx, await successfulList(ctx), 'ClientTokens');
  },
});

export const listNoNull = defineCheck({
  id: 'shape-list-no-null',
  level: 'MUST',
  title: 'lists no null items',
  category: 'shape',
  specRef: '#/components/schemas/ClientTokens',
  async run(ctx) {
    const { res, items } = await tokenArray(ctx);
    const at = items.findIndex((t) => t === null);
    expect(at, `item #${at + 1} is null: ${res.summary}`).to.equal(-1);
  },
});

export const listNoDuplicates = defineCheck({
  id: 'shape-list-no-duplicates',
  level: 'MUST',
  title: 'lists every token once',
  category: 'shape',
  specRef: '#/components/schemas/ClientTokens',
  async run(ctx) {
    const { res, items } = await tokenArray(ctx);
    // When every item is a string, the body's one token set (list.ts) counts the distinct ones.
    const distinct = tokensOf(res).length === items.length ? tokenSetOf(res).size : new Set(items).size;
    const dupes = items.length - distinct;
    expect(dupes, `${dupes} duplicate item(s): ${res.summary}`).to.equal(0);
  },
});

export const errorBodies = defineCheck({
  id: 'shape-error-bodies',
  level: 'MUST',
  title: 'sends every error body that is present as JSON that validates against Error',
  category: 'shape',
  specRef: '#/components/schemas/Error',
  requires: ['error-bodies'],
  judgesTheRun: true,
  run(ctx) {
    const errors = ctx.log.entries.filter((e) => e.errorBody !== undefined && e.errorBody !== '');
    if (errors.length === 0) throw new PreconditionError('P_STATE', 'the run saw no error body');
    const v = ctx.schemas.Error;
    const bad: string[] = [];
    for (const e of errors) {
      let json: unknown;
      try {
        json = JSON.parse(e.errorBody ?? '');
      } catch {
        bad.push(`not JSON: ${e.summary}`);
        continue;
      }
      if (!v(json)) bad.push(`${schemaErrors(v)}: ${e.summary}`);
    }
    expect(
      bad,
      `${bad.length} of ${errors.length} error bodies are not Error JSON: ${bad.slice(0, 3).join(' | ')}`,
    ).to.have.length(0);
    ctx.note(`${errors.length} error bodies checked`);
    return Promise.resolve();
  },
});
