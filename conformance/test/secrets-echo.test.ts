import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'chai';
import { checkById } from '../checks/index.js';
import { defineCheck } from '../checks/types.js';
import { findSecretSpellings } from '../redact.js';
import { executeCheck, runConformance, type CheckOutcome } from '../run.js';
import { proxyTo } from './support/hostile.js';
import { standinRunConfig, withSeededStandin } from './support/run.js';
import { ALICE, ALICE_BASIC, sessionAgainst } from './support/session.js';

/**
 * secrets-no-password and the wrong passwords the run makes from the real one. ALICE's password is 19
 * characters, so its truncation to 8 ("alice-un") holds neither half of it: only the search for each request's
 * own password can see it echoed.
 */

const TRUNCATED = ALICE.password.slice(0, 8);

/** Sends, as the generated attacks do, Basic requests with these wrong passwords; judges nothing. */
const sending = (passwords: readonly string[]) =>
  defineCheck({
    id: 'test-sends-wrong-passwords',
    level: 'MAY',
    title: 'sends wrong passwords',
    category: 'secrets',
    specRef: '#/components/securitySchemes/basic',
    async run(ctx) {
      for (const password of passwords)
        await ctx.get({ kind: 'basic', user: { name: ALICE.name, password } }, { as: 'nobody' });
    },
  });

const passwordOf = (q: IncomingMessage): string =>
  Buffer.from((q.headers.authorization ?? '').slice(6), 'base64')
    .toString()
    .split(':')
    .slice(1)
    .join(':');

/** A 17.06-like server whose 401 for Basic says `message(password)`. */
const server =
  (message: (password: string) => string) =>
  (q: IncomingMessage, s: ServerResponse): void => {
    if (q.headers.authorization === ALICE_BASIC) {
      s.writeHead(200, { 'content-type': 'application/json' }).end('{"tokens":[]}');
      return;
    }
    s.writeHead(401).end(JSON.stringify({ error: message(passwordOf(q)) }));
  };

async function judged(message: (password: string) => string, passwords: readonly string[]): Promise<CheckOutcome> {
  const { session, close } = await sessionAgainst(server(message));
  try {
    await executeCheck(sending(passwords), session);
    const check = checkById('secrets-no-password');
    if (!check) throw new Error('no check secrets-no-password');
    return await executeCheck(check, session);
  } finally {
    await close();
  }
}

const TOO_SHORT = (pw: string): string =>
  pw.length < 12 ? `the password '${pw}' is shorter than 12 characters` : 'invalid credentials';

describe('secrets-no-password: wrong passwords made from the real one', function () {
  this.timeout(10000);

  it('fails when a 401 quotes a truncated wrong password that holds neither half of the real one', async () => {
    const o = await judged(TOO_SHORT, [TRUNCATED, 'wrong-password-xyz']);
    expect(o.status, o.message).to.equal('failed');
    expect(o.message).to.match(/1 response\(s\) contain a password/);
  });

  it('fails on the echo in another spelling (base64)', async () => {
    const b64 = await judged((pw) => `bad: ${Buffer.from(pw).toString('base64')}`, [TRUNCATED]);
    expect(b64.status, b64.message).to.equal('failed');
  });

  it('passes on the same server when no short wrong password was sent', async () => {
    const o = await judged(TOO_SHORT, ['wrong-password-xyz']);
    expect(o.status, o.message).to.equal('passed');
  });

  it("passes when the wrong password is the server's own text, written also to requests without it", async () => {
    // "password1" truncated to 8 is "password", which every 401 of this server says.
    const o = await judged(() => 'invalid user name or password', ['password', 'not-the-right-one']);
    expect(o.status, o.message).to.equal('passed');
  });

  it('does not take a longer echoed password for the text of the server', async () => {
    // "alice-un" occurs in the answer to "alice-unX…" too: that answer was asked for it, so it is still an echo.
    const o = await judged((pw) => `bad password ${pw}`, [TRUNCATED, `${TRUNCATED}-and-more`]);
    expect(o.status, o.message).to.equal('failed');
  });

  it('leaves passwords under 8 characters alone: they occur in words by chance', async () => {
    const o = await judged((pw) => `bad password ${pw}`, ['alice-u']);
    expect(o.status, o.message).to.equal('passed');
  });

  it('masks the echoed wrong password in its evidence', async () => {
    const o = await judged(TOO_SHORT, [TRUNCATED]);
    expect(o.status).to.equal('failed');
    expect(findSecretSpellings(JSON.stringify(o), TRUNCATED)).to.deep.equal([]);
  });
});

describe('secrets-no-password in a whole run: the generated wrong passwords', function () {
  this.timeout(30000);

  it('fails when a proxy quotes only the short wrong passwords of a user whose password is 24 characters', async () => {
    // 24 characters: the generated truncation to 8 holds no half (12) of it, so the search for the real
    // password cannot see the quote; the run's own wrong password must be sought.
    const users = [
      { name: 'alice', password: 'alice-long-standin-pw-24', tokens: 1 },
      { name: 'bob', password: 'bob-standin-pw', tokens: 1 },
    ];
    const r = await withSeededStandin(users, {}, async (s) => {
      const proxy = await proxyTo(s.url, (req, status) => {
        const pw = passwordOf(req);
        return status === 401 && pw !== '' && pw.length < 12
          ? { status, body: JSON.stringify({ error: `the password '${pw}' is too short` }) }
          : undefined;
      });
      try {
        return await runConformance(standinRunConfig(s, {}, { target: proxy.url + new URL(s.url).pathname }));
      } finally {
        await proxy.close();
      }
    });
    const check = r.checks.find((c) => c.id === 'secrets-no-password');
    expect(check?.status, check?.message).to.equal('failed');
    expect(JSON.stringify(r)).not.to.include('alice-lo');
  });
});
