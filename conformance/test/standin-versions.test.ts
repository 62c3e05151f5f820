import { expect } from 'chai';
import { addFirstPartyCaveat, parseToken, serializeToken } from '../token/index.js';
import { startStandin, type OnezoneVersion, type RunningStandin } from '../standin/server.js';
import { asUser, basic, call, createToken, firstToken, listOf, userOf } from '../standin/testkit.js';

/** Per-release differences (real-server-behaviour.md §2-§4), each pinned by status, exact body and headers. */

/** Fresh accounts: these tests pin per-release rules; lived-in lists have their own tests (standin-2102). */
async function withVersion(
  version: OnezoneVersion,
  quirks: boolean,
  fn: (s: RunningStandin) => Promise<void>,
  now?: () => number,
): Promise<void> {
  const s = await startStandin({ version, quirks, account: 'fresh', ...(now && { now }) });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

const nowS = (): number => Math.floor(Date.now() / 1000);
const malformedBasic = { authorization: 'Basic ' + Buffer.from('no-colon').toString('base64') };

describe('stand-in 18.02', () => {
  it('accepts Authorization: Bearer; DELETE answers 204', () =>
    withVersion('18.02', true, async (s) => {
      const t = await firstToken(s);
      expect((await call(s, { headers: { authorization: `Bearer ${t}` } })).status).to.equal(200);
      const created = await createToken(s);
      const del = await call(s, { method: 'DELETE', path: `/user/client_tokens/${created}`, headers: asUser(s) });
      expect(del.status).to.equal(204);
      expect(del.text).to.equal('');
    }));

  it('bad tokens get the 18.02 text; quirks: 404 for nobody and 500 for malformed Basic', () =>
    withVersion('18.02', true, async (s) => {
      const bad = await call(s, { headers: { 'x-auth-token': 'garbage' } });
      expect(bad.status).to.equal(401);
      expect(bad.text).to.equal('{"error":"Provided authorization token could not be understood by the server"}');
      expect(bad.headers['content-type']).to.equal(undefined);
      expect((await call(s)).status).to.equal(404);
      expect((await call(s, { headers: malformedBasic })).status).to.equal(500);
    }));

  it('a POST without a body accepts any content type; with a body it still needs application/json', () =>
    withVersion('18.02', false, async (s) => {
      expect(
        (await call(s, { method: 'POST', headers: { ...asUser(s), 'content-type': 'text/plain' } })).status,
      ).to.equal(200);
      expect(
        (await call(s, { method: 'POST', headers: { ...asUser(s), 'content-type': 'text/plain' }, body: '{}' })).status,
      ).to.equal(415);
    }));

  it('serves GET /configuration (public) with version 18.02.3', () =>
    withVersion('18.02', false, async (s) => {
      const a = await call(s, { path: '/configuration' });
      expect(a.status).to.equal(200);
      expect(JSON.parse(a.text)).to.include({ version: '18.02.3', domain: '127.0.0.1' });
    }));
});

describe('stand-in 19.02', () => {
  it('no credentials → 401 {"error":{"id":"unauthorized"}} with content-type json (also in quirks mode)', () =>
    withVersion('19.02', true, async (s) => {
      const a = await call(s);
      expect(a.status).to.equal(401);
      expect(a.text).to.equal('{"error":{"id":"unauthorized"}}');
      expect(a.headers['content-type']).to.equal('application/json');
    }));

  it('error bodies are objects with the 19.02 ids and descriptions; no content-type on auth errors', () =>
    withVersion('19.02', true, async (s) => {
      const tok = await call(s, { headers: { 'x-auth-token': 'garbage' } });
      expect(tok.text).to.equal(
        '{"error":{"id":"badMacaroon","description":"Provided authorization token could not be understood by the server"}}',
      );
      expect(tok.headers['content-type']).to.equal(undefined);
      const bas = await call(s, { headers: basic(userOf(s, 0).name, 'nope') });
      expect(bas.text).to.equal(
        '{"error":{"id":"badBasicCredentials","description":"Provided basic authorization credentials are not valid"}}',
      );
      const mal = await call(s, { headers: malformedBasic });
      expect([mal.status, mal.text]).to.deep.equal([500, '{"error":{"id":"internalServerError"}}']);
      const nf = await call(s, { method: 'DELETE', path: '/user/client_tokens/nope', headers: asUser(s) });
      expect([nf.status, nf.text]).to.deep.equal([404, '{"error":{"id":"notFound"}}']);
    }));

  it('token location is the domain; X-Auth-Token wins over Bearer and Macaroon', () =>
    withVersion('19.02', false, async (s) => {
      const t = await firstToken(s);
      expect(parseToken(t).location).to.equal('127.0.0.1');
      expect(
        (await call(s, { headers: { 'x-auth-token': t, authorization: 'Bearer garbage', macaroon: 'garbage' } }))
          .status,
      ).to.equal(200);
      expect((await call(s, { headers: { 'x-auth-token': 'garbage', macaroon: t } })).status).to.equal(401);
      expect((await call(s, { headers: { authorization: `Bearer ${t}`, macaroon: 'garbage' } })).status).to.equal(200);
    }));
});

describe('stand-in with a configured domain', () => {
  it('19.02 tokens carry the domain as location, and /configuration reports it', async () => {
    const s = await startStandin({ version: '19.02', domain: 'zone.example' });
    try {
      expect(parseToken(await firstToken(s)).location).to.equal('zone.example');
      const conf = JSON.parse((await call(s, { path: '/configuration' })).text) as { domain: string; version: string };
      expect(conf).to.include({ domain: 'zone.example', version: '19.02.5' });
    } finally {
      await s.close();
    }
  });
});

describe('stand-in 20.02', () => {
  it('tries tokens before Basic: a valid token wins over a wrong password', () =>
    withVersion('20.02', false, async (s) => {
      const t = await firstToken(s);
      expect((await call(s, { headers: { ...basic(userOf(s, 0).name, 'nope'), 'x-auth-token': t } })).status).to.equal(
        200,
      );
    }));

  it('uses version-2 identifiers 2/nmd/usr-<uid>/act/<32hex>ch<4hex> (CW datastore_key:new)', () =>
    withVersion('20.02', false, async (s) => {
      expect(parseToken(await firstToken(s)).identifier).to.match(
        /^2\/nmd\/usr-[0-9a-f]{32}\/act\/[0-9a-f]{32}ch[0-9a-f]{4}$/,
      );
    }));

  it('lists by token name, so POST-created tokens come out oldest first', async () => {
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    await withVersion(
      '20.02',
      false,
      async (s) => {
        clock.now += 60_000;
        const older = await createToken(s);
        clock.now += 60_000;
        const newer = await createToken(s);
        const list = await listOf(s);
        expect(list.indexOf(older)).to.be.below(list.indexOf(newer));
      },
      () => clock.now,
    );
  });

  it('wraps every authentication failure as unauthorized with the inner error; malformed Basic is 401 even in quirks', () =>
    withVersion('20.02', true, async (s) => {
      const wrap = (inner: object): string =>
        JSON.stringify({
          error: {
            id: 'unauthorized',
            details: { authError: inner },
            description: 'Provided authentication is not valid (see details).',
          },
        });
      const garbage = await call(s, { headers: { 'x-auth-token': 'garbage' } });
      expect(garbage.text).to.equal(
        wrap({ id: 'badToken', description: 'Provided token could not be understood by the server.' }),
      );
      const mal = await call(s, { headers: malformedBasic });
      expect([mal.status, mal.text]).to.deep.equal([
        401,
        wrap({ id: 'badBasicCredentials', description: 'Invalid username or password.' }),
      ]);
      const until = nowS() - 10;
      const expired = serializeToken(addFirstPartyCaveat(parseToken(await firstToken(s)), `time < ${until}`));
      const exp = JSON.parse((await call(s, { headers: { 'x-auth-token': expired } })).text) as {
        error: { details: { authError: { id: string; details: unknown } } };
      };
      expect(exp.error.details.authError.id).to.equal('tokenCaveatUnverified');
      expect(exp.error.details.authError.details).to.deep.equal({ caveat: { type: 'time', validUntil: until } });
      const none = await call(s);
      expect([none.status, none.text]).to.deep.equal([
        401,
        '{"error":{"id":"unauthorized","description":"You must authenticate yourself to perform this operation."}}',
      ]);
      expect(none.headers['content-type']).to.equal('application/json');
    }));

  it('HEAD and OPTIONS still crash in quirks mode (500), like every release', () =>
    withVersion('20.02', true, async (s) => {
      for (const method of ['HEAD', 'OPTIONS'])
        expect((await call(s, { method, headers: asUser(s) })).status).to.equal(500);
    }));
});

describe('stand-in switches in the releases before 21.02', () => {
  it('18.02: Basic turned off is 400 {"error":"This operation is not supported"} (18.02.3 rest_auth_test_SUITE)', async () => {
    const s = await startStandin({ version: '18.02' });
    try {
      const token = await firstToken(s);
      s.setSwitches({ basicAuthDisabled: true });
      const a = await call(s, { headers: asUser(s) });
      expect([a.status, a.text, a.headers['content-type']]).to.deep.equal([
        400,
        '{"error":"This operation is not supported"}',
        undefined,
      ]);
      expect((await call(s, { headers: { 'x-auth-token': token } })).status).to.equal(200);
    } finally {
      await s.close();
    }
  });

  it('19.02: Basic turned off is 401 basicAuthNotSupported', async () => {
    const s = await startStandin({ version: '19.02', basicAuthDisabled: true });
    try {
      const a = await call(s, { headers: basic(userOf(s, 0).name, 'wrong') });
      expect([a.status, a.text]).to.deep.equal([
        401,
        '{"error":{"id":"basicAuthNotSupported","description":"Basic auth is not supported by this Onezone."}}',
      ]);
    } finally {
      await s.close();
    }
  });

  it('refuses states the release does not have: Basic off in 17.06, blocked users and GUI sessions in 20.02.1', async () => {
    const attempts: Array<Parameters<typeof startStandin>[0]> = [
      { version: '17.06', basicAuthDisabled: true },
      { version: '20.02', blockedUsers: ['alice'] },
      { version: '20.02', guiSession: true },
    ];
    for (const opts of attempts) {
      let code: string | undefined;
      try {
        await (await startStandin(opts)).close();
      } catch (e) {
        code = (e as { code?: string }).code;
      }
      expect(code, JSON.stringify(opts)).to.equal('S_USAGE');
    }
    const s = await startStandin({ version: '20.02' });
    try {
      expect(() => {
        s.setSwitches({ breakerOpen: true });
      }).to.throw(/21\.02\.6/);
    } finally {
      await s.close();
    }
  });

  it('20.02.1 ignores a SID cookie (the session check arrived in 20.02.2)', () =>
    withVersion('20.02', false, async (s) => {
      const t = await firstToken(s);
      expect((await call(s, { headers: { 'x-auth-token': t, cookie: 'SID=nonce|session' } })).status).to.equal(200);
    }));
});

describe("stand-in: cowboy's header limits", () => {
  it('17.06 (cowboy 1) answers a header value over 4096 bytes with 400; 18.02 on (cowboy 2.3) with 431', async () => {
    for (const [version, status] of [
      ['17.06', 400],
      ['18.02', 431],
      ['20.02', 431],
    ] as const) {
      await withVersion(version, false, async (s) => {
        const a = await call(s, { headers: { 'x-auth-token': 'A'.repeat(4097) } });
        expect([a.status, a.text, a.headers['content-type']], version).to.deep.equal([status, '', undefined]);
        expect((await call(s, { headers: { ...asUser(s), 'x-padding': 'A'.repeat(4096) } })).status).to.equal(200);
      });
    }
  });
});
