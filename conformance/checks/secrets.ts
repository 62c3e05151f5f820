import { expect } from 'chai';
import { SecretSpellings } from '../redact.js';
import { expectNoResponses } from './assert.js';
import type { LoggedResponse } from './context/exchange-log.js';
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
    const { entries } = ctx.log;
    const echoed = new Set(echoedPasswords(entries));
    expectNoResponses(
      ctx,
      entries.filter((e) => e.passwordHits.length > 0 || echoed.has(e)),
      'contain a password',
    );
    ctx.note(`${entries.length} responses searched`);
    return Promise.resolve();
  },
});

/**
 * The given users' passwords are searched in every response (SecretBook); the wrong ones the run sends are
 * not, though one made from a real password (case changed, truncated, a look-alike) shows most of it when
 * echoed. So each Basic request's own password, from 8 characters on (below that it occurs in words by
 * chance), is sought in its own answer, in every spelling but halves. It counts as echoed only when the server
 * does not write it unasked: found in an answer to a request whose password does not contain it (no password,
 * or another one), it is the server's own text ("invalid password" holds the truncation of "password123").
 */
export function echoedPasswords(entries: readonly LoggedResponse[]): LoggedResponse[] {
  const search = new SecretSpellings();
  for (const e of entries)
    for (const pw of e.sentPasswords)
      if (Array.from(pw).length >= MIN_ECHOED) search.add(pw, '', { partials: false, encodings: true });
  if (search.size === 0) return [];
  const secrets = search.secrets();
  const unasked = new Set<number>();
  const echoes: { entry: LoggedResponse; secret: number }[] = [];
  // Most answers repeat the same error body and header values: each distinct text is searched once.
  const inText = new Map<string, readonly number[]>();
  const hitsIn = (text: string): readonly number[] => {
    let hits = inText.get(text);
    if (hits === undefined) {
      hits = text === '' ? [] : search.find(text).map((h) => h.secret);
      inText.set(text, hits);
    }
    return hits;
  };
  for (const e of entries) {
    const found = new Set<number>();
    for (const text of [e.errorBody ?? '', ...Object.values(e.headers)]) for (const i of hitsIn(text)) found.add(i);
    for (const i of found) {
      const pw = secrets[i] ?? '';
      if (e.sentPasswords.includes(pw)) echoes.push({ entry: e, secret: i });
      else if (!e.sentPasswords.some((sent) => sent.includes(pw))) unasked.add(i);
    }
  }
  return [...new Set(echoes.filter((x) => !unasked.has(x.secret)).map((x) => x.entry))];
}

/** As the redactor's partial secrets (MIN_PARTIAL): from 8 characters a string does not occur by chance. */
const MIN_ECHOED = 8;

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
