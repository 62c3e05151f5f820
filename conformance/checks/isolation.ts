import { expect } from 'chai';
import { PreconditionError } from '../errors.js';
import { expectStatus } from './assert.js';
import { tokensOf } from './list.js';
import { defineCheck } from './types.js';

/** Users see only their own tokens (real-server-behaviour.md §1: the path always targets the caller). */

export const disjoint = defineCheck({
  id: 'isolation-disjoint',
  level: 'MUST',
  title: "keeps two users' lists disjoint: neither user's credentials reveal the other's tokens",
  category: 'isolation',
  specRef: '#/paths/~1user~1client_tokens/get',
  requires: ['isolation', 'other-user', 'basic'],
  async run(ctx) {
    const { user } = ctx;
    let mine = (await ctx.userList()).tokens;
    let theirs = (await ctx.otherList()).tokens;
    if (theirs.length === 0) {
      if (!ctx.allowWrites)
        throw new PreconditionError(
          'P_STATE',
          'the other user has no tokens, so a leak could not show; --allow-writes lets the run create one',
        );
      const { res, token } = await ctx.ledger.create('other');
      if (token === undefined)
        throw new PreconditionError('P_STATE', `could not create a token for the other user: ${res.summary}`);
      theirs = [token];
      const fresh = await ctx.get({ kind: 'basic', user }, { as: 'user' });
      expectStatus(fresh, 200);
      mine = tokensOf(fresh);
    }
    const theirSet = new Set(theirs);
    const shared = mine.filter((t) => theirSet.has(t)).length;
    expect(shared, `${shared} token(s) appear in both users' lists`).to.equal(0);
  },
});
