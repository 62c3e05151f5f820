import { expect } from 'chai';
import type { ValidateFunction } from 'ajv';
import { bodyKey, type HttpResponse } from '../http.js';
import { schemaErrors, type SchemaName } from './schemas.js';
import { tokenSetOf, tokensOf } from './list.js';
import type { LoggedResponse } from './context/exchange-log.js';
import type { CheckContext } from './types.js';

/**
 * Verdicts on a body that several checks reach again (the same list, served to each credential): made once per
 * distinct body and, compared by identity, per validator or expected list. A body differing in any byte is judged anew.
 */
const SCHEMA_VERDICT = bodyKey<WeakMap<ValidateFunction, string | undefined>>('assert:schema-verdict');
const LIST_DIFF = bodyKey<WeakMap<readonly string[], { missing: number; extra: number }>>('assert:list-diff');

/** Shared assertions. Every failure message ends with the response summary: the evidence a user needs. */

export function expectStatus(res: HttpResponse, expected: number | readonly number[]): void {
  const list = typeof expected === 'number' ? [expected] : expected;
  expect(list, `status ${res.status}, expected ${list.join(' or ')}: ${res.summary}`).to.include(res.status);
}

export function expectValid(ctx: CheckContext, res: HttpResponse, name: SchemaName): void {
  expect(res.json, `body is not JSON (${res.jsonError ?? ''}), expected ${name}: ${res.summary}`).to.not.equal(
    undefined,
  );
  const v = ctx.schemas[name];
  const errors = res.body.deriveWith(SCHEMA_VERDICT, v, () => (v(res.json) ? undefined : schemaErrors(v)));
  if (errors !== undefined) expect.fail(`body does not validate against ${name}: ${errors}: ${res.summary}`);
}

/** 401 with a JSON body that validates against Error. No content-type is required: real servers send none. */
export function expectAuthError(ctx: CheckContext, res: HttpResponse): void {
  expectStatus(res, 401);
  expectValid(ctx, res, 'Error');
}

/** 200 with the same token list as `expected`, compared as sets (upstream tests compare order-insensitively). */
export function expectSameList(res: HttpResponse, expected: readonly string[], what: string): void {
  expectStatus(res, 200);
  const got = tokensOf(res);
  const { missing, extra } = res.body.deriveWith(LIST_DIFF, expected, () => {
    const gotSet = tokenSetOf(res);
    const expectedSet = new Set(expected);
    return {
      missing: expected.filter((t) => !gotSet.has(t)).length,
      extra: got.filter((t) => !expectedSet.has(t)).length,
    };
  });
  expect(
    missing === 0 && extra === 0 && got.length === expected.length,
    `${what} yields a different list (${missing} missing, ${extra} extra, ${got.length} vs ${expected.length} items): ${res.summary}`,
  ).to.equal(true);
}

/**
 * For the checks that judge the run's responses: fails when any response is `bad`, naming the first three
 * (with `why` each) and attaching them as evidence; a long run's every hit would bury the report.
 */
export function expectNoResponses(
  ctx: CheckContext,
  bad: readonly LoggedResponse[],
  what: string,
  why?: (e: LoggedResponse) => string,
): void {
  const shown = bad.slice(0, 3);
  for (const e of shown) ctx.attach(e);
  const named = shown.map((e) => (why ? `${why(e)}: ${e.summary}` : e.summary)).join(' | ');
  expect(bad.length, `${bad.length} response(s) ${what}: ${named}`).to.equal(0);
}
