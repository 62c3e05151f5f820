import { expect } from 'chai';
import { isOnedataToken } from './onedata-token.js';
import { defineCheck } from './types.js';

/**
 * Over every response of the run (so these run last): no password, and no token that is not the caller's.
 * A rejected request owns nothing, so any known or Onedata-looking token in an error body is a leak.
 */

export const noPassword = defineCheck({
  id: 'secrets-no-password',
  level: 'MUST',
  title: 'never returns a password in any response',
  category: 'secrets',
  specRef: '#/components/securitySchemes/basic',
  judgesTheRun: true,
  run(ctx) {
    // Judges what the run already saw: no request of its own.
    const hits = ctx.log.entries.filter((e) => e.passwordHits.length > 0);
    for (const e of hits) ctx.attach(e);
    expect(
      hits.length,
      `${hits.length} response(s) contain a password: ${hits
        .slice(0, 3)
        .map((e) => e.summary)
        .join(' | ')}`,
    ).to.equal(0);
    ctx.note(`${ctx.log.entries.length} responses searched`);
    return Promise.resolve();
  },
});

export const noForeignToken = defineCheck({
  id: 'secrets-no-foreign-token',
  level: 'MUST',
  title: "never returns a token that is not the caller's own",
  category: 'secrets',
  specRef: '#/paths/~1user~1client_tokens/get',
  judgesTheRun: true,
  run(ctx) {
    // Judges what the run already saw: no request of its own.
    const { log } = ctx;
    const known = { user: log.knownTokens('user'), other: log.knownTokens('other') };
    const leaks: string[] = [];
    for (const e of log.entries) {
      const who = log.principalOf(e);
      const foreign = e.found.filter((t) => {
        if (who === 'user') return known.other.has(t);
        if (who === 'other') return known.user.has(t);
        return known.user.has(t) || known.other.has(t) || isOnedataToken(t);
      });
      if (foreign.length > 0) {
        ctx.attach(e);
        leaks.push(`${foreign.length} foreign token(s) to ${who}: ${e.summary}`);
      }
    }
    expect(leaks, leaks.slice(0, 3).join(' | ')).to.have.length(0);
    ctx.note(`${ctx.log.entries.length} responses searched`);
    return Promise.resolve();
  },
});
