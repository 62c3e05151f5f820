import { expect } from 'chai';
import type { HttpResponse } from '../http.js';
import { schemaErrors, type SchemaName } from './schemas.js';
import { tokensOf } from './list.js';
import type { CheckContext } from './types.js';

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
  if (!v(res.json)) expect.fail(`body does not validate against ${name}: ${schemaErrors(v)}: ${res.summary}`);
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
  const gotSet = new Set(got);
  const expectedSet = new Set(expected);
  const missing = expected.filter((t) => !gotSet.has(t)).length;
  const extra = got.filter((t) => !expectedSet.has(t)).length;
  expect(
    missing === 0 && extra === 0 && got.length === expected.length,
    `${what} yields a different list (${missing} missing, ${extra} extra, ${got.length} vs ${expected.length} items): ${res.summary}`,
  ).to.equal(true);
}
