import { expect } from 'chai';
import { PreconditionError } from '../errors.js';
import { tokenPath } from '../guard.js';
import { checkWellFormed } from '../token/index.js';
import { expectAuthError, expectStatus, expectValid } from './assert.js';
import { tokensOf } from './list.js';
import type { CheckContext } from './types.js';
import { defineCheck } from './types.js';

/**
 * Create, list, authenticate, delete (real-server-behaviour.md §4). Only with --allow-writes. The checks run
 * in registry order and hand the created token on through the ledger; whatever the run created and did not
 * delete is removed by the runner's cleanup, also when a check fails or the run is interrupted.
 */

const POST = '#/paths/~1user~1client_tokens/post';
const DELETE = '#/paths/~1user~1client_tokens~1{tid}/delete';
const REQUIRES = ['writes', 'lifecycle', 'basic'] as const;
/** The checks that judge the token lifecycle-create made, and those that judge the one lifecycle-delete removed. */
const AFTER_CREATE = ['lifecycle-create'];
const AFTER_DELETE = ['lifecycle-delete'];

async function freshList(ctx: CheckContext<'basic'>): Promise<readonly string[]> {
  const res = await ctx.get({ kind: 'basic', user: ctx.user }, { as: 'user' });
  expectStatus(res, 200);
  return tokensOf(res);
}

export const create = defineCheck({
  id: 'lifecycle-create',
  level: 'MUST',
  title: 'creates a well-formed token on POST with Content-Type: application/json (200 ClientToken)',
  category: 'lifecycle',
  specRef: POST,
  requires: REQUIRES,
  async run(ctx) {
    // Handed on even when the status is wrong, so that the later checks still judge their own rule.
    const { res, token } = await ctx.ledger.create('user', { handOn: true });
    expectStatus(res, 200);
    expectValid(ctx, res, 'ClientToken');
    const wf = checkWellFormed(token ?? '');
    if (!wf.ok) expect.fail(`the created token is not well formed: ${wf.reason}`);
  },
});

export const createdListed = defineCheck({
  id: 'lifecycle-created-listed',
  level: 'MUST',
  title: 'lists a created token',
  category: 'lifecycle',
  specRef: POST,
  requires: REQUIRES,
  dependsOn: AFTER_CREATE,
  async run(ctx) {
    const token = ctx.ledger.created();
    expect((await freshList(ctx)).includes(token), 'the created token is not listed').to.equal(true);
  },
});

export const createdFirst = defineCheck({
  id: 'lifecycle-created-first',
  level: 'SHOULD',
  title: 'lists a created token first (newest first)',
  category: 'lifecycle',
  specRef: POST,
  requires: [...REQUIRES, 'lists-newest-first'],
  dependsOn: AFTER_CREATE,
  async run(ctx) {
    const token = ctx.ledger.created();
    const list = await freshList(ctx);
    expect(list.indexOf(token), 'position of the created token in the list').to.equal(0);
  },
});

export const createdAuthenticates = defineCheck({
  id: 'lifecycle-created-authenticates',
  level: 'MUST',
  title: 'authenticates a created token',
  category: 'lifecycle',
  specRef: POST,
  requires: REQUIRES,
  dependsOn: AFTER_CREATE,
  async run(ctx) {
    const res = await ctx.get({ kind: 'x-auth-token', token: ctx.ledger.created() }, { as: 'user' });
    expectStatus(res, 200);
  },
});

export const remove = defineCheck({
  id: 'lifecycle-delete',
  level: 'MUST',
  title: 'deletes a created token on DELETE /user/client_tokens/{tid} (202 in 17.06, 204 from 18.02)',
  category: 'lifecycle',
  specRef: DELETE,
  requires: REQUIRES,
  dependsOn: AFTER_CREATE,
  async run(ctx) {
    const token = ctx.ledger.created();
    const path = tokenPath(token);
    // lifecycle-create fails such a token; putting it in a path would let the target choose what is deleted.
    if (path === undefined)
      throw new PreconditionError('P_STATE', 'the created token is not of token form; it is not put in a path');
    const res = await ctx.send('DELETE', { kind: 'basic', user: ctx.user }, { path, as: 'user' });
    if (res.status >= 200 && res.status < 300) ctx.ledger.markDeleted(token);
    expectStatus(res, ctx.profile.deleteStatus);
  },
});

export const deletedUnlisted = defineCheck({
  id: 'lifecycle-deleted-unlisted',
  level: 'MUST',
  title: 'no longer lists a deleted token',
  category: 'lifecycle',
  specRef: DELETE,
  requires: REQUIRES,
  dependsOn: AFTER_DELETE,
  async run(ctx) {
    const token = ctx.ledger.deleted();
    const listed = (await freshList(ctx)).includes(token);
    // Still there: the cleanup must try again.
    if (listed) ctx.ledger.markStillPresent(token);
    expect(listed, 'the deleted token is still listed').to.equal(false);
  },
});

export const deletedRejected = defineCheck({
  id: 'lifecycle-deleted-rejected',
  level: 'MUST',
  title: 'rejects a deleted token with 401',
  category: 'lifecycle',
  specRef: DELETE,
  requires: REQUIRES,
  dependsOn: AFTER_DELETE,
  async run(ctx) {
    const res = await ctx.get({ kind: 'x-auth-token', token: ctx.ledger.deleted() });
    if (res.status === 200) ctx.ledger.markStillPresent(ctx.ledger.deleted());
    expectAuthError(ctx, res);
  },
});
