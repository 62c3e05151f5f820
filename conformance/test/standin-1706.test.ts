import { expect } from 'chai';
import { addFirstPartyCaveat, checkWellFormed, mintToken, parseToken, serializeToken } from '../token/index.js';
import { startStandin, type RunningStandin } from '../standin/server.js';
import {
  asUser,
  basic,
  call,
  createToken,
  firstToken,
  identifierOf,
  listOf,
  tokensIn,
  userOf,
  type Answer,
} from '../standin/testkit.js';

/** The §7 checklist of real-server-behaviour.md against the default stand-in (17.06.2, idealised). */

const TOKEN_401 = '{"error":"Provided authorization token is not valid"}';
const BASIC_401 = '{"error":"Provided basic authorization credentials are not valid"}';

/** §3: authentication errors carry a JSON body but no content-type and never WWW-Authenticate. */
function expectAuthError(a: Answer, body: string): void {
  expect(a.status, a.text).to.equal(401);
  expect(a.text).to.equal(body);
  expect(a.headers['content-type']).to.equal(undefined);
  expect(a.headers['www-authenticate']).to.equal(undefined);
}

function expectEmpty(a: Answer, status: number): void {
  expect(a.status, a.text).to.equal(status);
  expect(a.text).to.equal('');
}

describe('stand-in 17.06.2 (idealised): the §7 checklist', () => {
  // Real time plus an offset the tests can move: attenuations below are computed from the real clock.
  const clock = { offsetMs: 0 };
  let s: RunningStandin;
  before(async () => {
    s = await startStandin({ now: () => Date.now() + clock.offsetMs });
  });
  after(() => s.close());

  describe('success', () => {
    it('lists with 200, exactly {"tokens":[...]}, compact, content-type application/json, server Cowboy', async () => {
      const a = await call(s, { headers: asUser(s) });
      expect(a.status).to.equal(200);
      expect(a.headers['content-type']).to.equal('application/json');
      expect(a.headers['server']).to.equal('Cowboy');
      expect(Object.keys(JSON.parse(a.text) as object)).to.deep.equal(['tokens']);
      expect(a.text).to.equal(JSON.stringify({ tokens: tokensIn(a) }));
      expect(tokensIn(a)).to.have.length(2); // seed.json: alice starts with 2
    });

    it('serves real 17.06.2 tokens: location onezone, 43-char identifier, one `time < now+1y` caveat', async () => {
      for (const t of await listOf(s)) {
        const verdict = checkWellFormed(t);
        expect(verdict.ok, JSON.stringify(verdict)).to.equal(true);
        const m = parseToken(t);
        expect(m.location).to.equal('onezone');
        expect(m.identifier).to.match(/^[A-Za-z0-9_-]{43}$/);
        expect(m.caveats).to.have.length(1);
        const n = Number(/^time < (\d+)$/.exec(m.caveats[0]?.cid ?? '')?.[1]);
        expect(Math.abs(n - (nowS() + 31_536_000))).to.be.below(120);
      }
    });

    it('keeps users apart: the lists of alice and bob are disjoint', async () => {
      const [a, b] = await Promise.all([listOf(s, 0), listOf(s, 1)]);
      expect(b).to.have.length.greaterThan(0);
      expect(a.filter((t) => b.includes(t))).to.deep.equal([]);
    });

    it('authenticates a listed token in X-Auth-Token and in Macaroon, serving the same list', async () => {
      const list = await listOf(s);
      const t = list[1] ?? '';
      for (const h of ['x-auth-token', 'macaroon']) {
        const a = await call(s, { headers: { [h]: t } });
        expect(a.status, h).to.equal(200);
        expect(tokensIn(a), h).to.deep.equal(list);
      }
    });

    it('accepts a trailing slash and ignores the query string', async () => {
      const list = await listOf(s);
      expect(tokensIn(await call(s, { path: '/user/client_tokens/', headers: asUser(s) }))).to.deep.equal(list);
      expect(tokensIn(await call(s, { path: '/user/client_tokens?x=1', headers: asUser(s) }))).to.deep.equal(list);
    });

    it('accepts Accept */*, application/*, application/json;q=0.5', async () => {
      for (const accept of ['*/*', 'application/*', 'application/json;q=0.5', 'text/html, application/json']) {
        expect((await call(s, { headers: { ...asUser(s), accept } })).status, accept).to.equal(200);
      }
    });
  });

  describe('authentication order and precedence (§2)', () => {
    it('a wrong Basic password fails even with a valid X-Auth-Token (Basic is tried first)', async () => {
      const t = await firstToken(s);
      expectAuthError(
        await call(s, { headers: { ...basic(userOf(s, 0).name, 'wrong'), 'x-auth-token': t } }),
        BASIC_401,
      );
    });

    it('the Macaroon header wins over X-Auth-Token', async () => {
      const t = await firstToken(s);
      expect((await call(s, { headers: { macaroon: t, 'x-auth-token': 'garbage' } })).status).to.equal(200);
      expectAuthError(await call(s, { headers: { macaroon: 'garbage', 'x-auth-token': t } }), TOKEN_401);
    });

    it('ignores Authorization: Bearer and a lower-case `basic` (the client is nobody)', async () => {
      const t = await firstToken(s);
      const u = userOf(s, 0);
      for (const authorization of [
        `Bearer ${t}`,
        'basic ' + Buffer.from(`${u.name}:${u.password}`).toString('base64'),
      ]) {
        const a = await call(s, { headers: { authorization } });
        expect(a.status, authorization.slice(0, 6)).to.equal(401);
        expect(a.text, 'no list is served to nobody').not.to.include('tokens');
      }
    });
  });

  describe('authentication errors (§3)', () => {
    it('wrong password and unknown user: 401 with the basic text, no content-type', async () => {
      expectAuthError(await call(s, { headers: basic(userOf(s, 0).name, 'nope') }), BASIC_401);
      expectAuthError(await call(s, { headers: basic('nobody-here', 'nope') }), BASIC_401);
    });

    it('garbage, unknown identifier, tampered signature, unknown caveat, expired caveat: 401 token text', async () => {
      const m = parseToken(await firstToken(s));
      const tampered = { ...m, signature: Uint8Array.from(m.signature, (b, i) => (i === 3 ? b ^ 0x80 : b)) };
      const stranger = mintToken({
        location: 'onezone',
        identifier: 'x'.repeat(43),
        secret: 'a'.repeat(64),
        caveats: [`time < ${nowS() + 60}`],
      });
      const cases = {
        garbage: 'bad-macaroon',
        unknownIdentifier: serializeToken(stranger),
        tampered: serializeToken(tampered),
        unknownCaveat: serializeToken(addFirstPartyCaveat(m, 'conformance = 1')),
        // validate_token(<<>>, …): a REST caller is no provider, so a named provider never matches.
        otherProvider: serializeToken(addFirstPartyCaveat(m, 'providerId = some-provider')),
        expired: serializeToken(addFirstPartyCaveat(m, `time < ${nowS() - 10}`)),
      };
      for (const [what, token] of Object.entries(cases)) {
        const a = await call(s, { headers: { 'x-auth-token': token } });
        expect(a.status, what).to.equal(401);
        expectAuthError(a, TOKEN_401);
      }
    });

    it('accepts attenuation by a future `time <` and by the empty `providerId = ` of a REST caller', async () => {
      const m = parseToken(await firstToken(s));
      for (const caveat of [`time < ${nowS() + 600}`, 'providerId = ']) {
        expect(
          (await call(s, { headers: { 'x-auth-token': serializeToken(addFirstPartyCaveat(m, caveat)) } })).status,
          caveat,
        ).to.equal(200);
      }
    });

    it('rejects a token once the clock passes its one-year caveat', async () => {
      const t = await firstToken(s);
      clock.offsetMs = 366 * 24 * 3600 * 1000;
      try {
        expectAuthError(await call(s, { headers: { 'x-auth-token': t } }), TOKEN_401);
      } finally {
        clock.offsetMs = 0;
      }
      expect((await call(s, { headers: { 'x-auth-token': t } })).status).to.equal(200);
    });

    it('idealised: no credentials → 401 {"error": …}, no content-type; malformed Basic → 401 basic text', async () => {
      expectAuthError(await call(s), '{"error":"You must authenticate yourself to perform this operation."}');
      expectAuthError(await call(s, { headers: { authorization: 'Basic !!!not*base64!!!' } }), BASIC_401);
      expectAuthError(
        await call(s, { headers: { authorization: 'Basic ' + Buffer.from('no-colon').toString('base64') } }),
        BASIC_401,
      );
    });
  });

  describe('HTTP rules (§1)', () => {
    it('PUT, PATCH and DELETE on the collection: 405, allow GET, POST, empty, before authentication', async () => {
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const a = await call(s, { method, headers: { authorization: 'Basic !!!' } });
        expectEmpty(a, 405);
        expect(a.headers['allow'], method).to.equal('GET, POST');
        expect(a.headers['content-type']).to.equal(undefined);
      }
    });

    it('idealised: HEAD and OPTIONS get 405 with allow', async () => {
      for (const method of ['HEAD', 'OPTIONS']) {
        const a = await call(s, { method, headers: asUser(s) });
        expectEmpty(a, 405);
        expect(a.headers['allow']).to.equal('GET, POST');
      }
    });

    it('406 (empty, no content-type) for text/html and application/json; charset=utf-8, after authentication', async () => {
      for (const accept of ['text/html', 'application/json; charset=utf-8']) {
        const a = await call(s, { headers: { ...asUser(s), accept } });
        expectEmpty(a, 406);
        expect(a.headers['content-type']).to.equal(undefined);
      }
      expect((await call(s, { headers: { ...basic('x', 'y'), accept: 'text/html' } })).status).to.equal(401);
    });

    it('double slash, wrong path and wrong prefix: 404 empty without content-type', async () => {
      for (const path of ['/user//client_tokens', '/user/client_token', '/user/client_tokens/a/b']) {
        const a = await call(s, { path, headers: asUser(s) });
        expectEmpty(a, 404);
        expect(a.headers['content-type'], path).to.equal(undefined);
      }
      expect((await call(s, { path: '/../v2/user/client_tokens', headers: asUser(s) })).status).to.equal(404);
    });

    it('17.06 has no /configuration endpoint', async () => {
      expectEmpty(await call(s, { path: '/configuration' }), 404);
    });
  });

  describe('lifecycle (§4)', () => {
    it('POST → 200 {"token"}, the new token listed first; it authenticates', async () => {
      const before = await listOf(s);
      const a = await call(s, {
        method: 'POST',
        headers: { ...asUser(s), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(a.status).to.equal(200);
      expect(a.headers['content-type']).to.equal('application/json');
      const { token } = JSON.parse(a.text) as { token: string };
      expect(Object.keys(JSON.parse(a.text) as object)).to.deep.equal(['token']);
      expect(await listOf(s)).to.deep.equal([token, ...before]);
      expect((await call(s, { headers: { 'x-auth-token': token } })).status).to.equal(200);
    });

    it('POST without a body is fine; a non-object body is 400', async () => {
      expect(
        (await call(s, { method: 'POST', headers: { ...asUser(s), 'content-type': 'application/json' } })).status,
      ).to.equal(200);
      const bad = await call(s, {
        method: 'POST',
        headers: { ...asUser(s), 'content-type': 'application/json' },
        body: '[1',
      });
      expect(bad.status).to.equal(400);
      expect(bad.text).to.equal('{"error":"Provided data could not be understood by the server"}');
    });

    it('POST needs exactly Content-Type: application/json, else 415', async () => {
      const n = (await listOf(s)).length;
      for (const ct of [undefined, 'application/json; charset=utf-8', 'text/plain;charset=UTF-8']) {
        const headers = { ...asUser(s), ...(ct !== undefined && { 'content-type': ct }) };
        const a = await call(s, { method: 'POST', headers, body: '{}' });
        expectEmpty(a, 415);
        // cowboy_rest's set_content_type runs before accept_resource, so the 415 carries it.
        expect(a.headers['content-type']).to.equal('application/json');
      }
      expect(await listOf(s)).to.have.length(n);
    });

    it('DELETE /user/client_tokens/{token} → 202 empty; the token is unlisted and rejected', async () => {
      const t = await createToken(s);
      const a = await call(s, { method: 'DELETE', path: `/user/client_tokens/${t}`, headers: asUser(s) });
      expectEmpty(a, 202);
      expect(await listOf(s)).not.to.include(t);
      expectAuthError(await call(s, { headers: { 'x-auth-token': t } }), TOKEN_401);
    });

    it("DELETE of an unknown token or another user's token → 404, nothing changes", async () => {
      const bobs = await firstToken(s, 1);
      expectEmpty(await call(s, { method: 'DELETE', path: `/user/client_tokens/${bobs}`, headers: asUser(s, 0) }), 404);
      expectEmpty(await call(s, { method: 'DELETE', path: '/user/client_tokens/nope', headers: asUser(s, 0) }), 404);
      expect(await listOf(s, 1)).to.include(bobs);
      expect((await call(s, { headers: { 'x-auth-token': bobs } })).status).to.equal(200);
    });

    // Speed is measured by `npm run bench`, not asserted here.
    it('mintTokens seeds many tokens, newest first, each verifiable', async () => {
      const minted = s.mintTokens(userOf(s, 1).name, 2000);
      const list = await listOf(s, 1);
      expect(list.slice(0, 2000)).to.deep.equal([...minted].reverse());
      expect((await call(s, { headers: { 'x-auth-token': minted[0] ?? '' } })).status).to.equal(200);
      expect(new Set(minted.map(identifierOf)).size).to.equal(2000);
    });
  });
});

describe('stand-in 17.06.2 quirks mode', () => {
  let s: RunningStandin;
  before(async () => {
    s = await startStandin({ quirks: true });
  });
  after(() => s.close());

  it('no credentials → 404, empty body, content-type application/json', async () => {
    const a = await call(s);
    expectEmpty(a, 404);
    expect(a.headers['content-type']).to.equal('application/json');
  });

  it('malformed Basic (not base64, no colon) → 500 empty', async () => {
    expectEmpty(await call(s, { headers: { authorization: 'Basic !!!not*base64!!!' } }), 500);
    expectEmpty(
      await call(s, { headers: { authorization: 'Basic ' + Buffer.from('no-colon').toString('base64') } }),
      500,
    );
  });

  it('HEAD and OPTIONS → 500 empty', async () => {
    for (const method of ['HEAD', 'OPTIONS']) expectEmpty(await call(s, { method, headers: asUser(s) }), 500);
  });

  it('everything else stays faithful (wrong password 401, list 200)', async () => {
    expectAuthError(await call(s, { headers: basic(userOf(s, 0).name, 'nope') }), BASIC_401);
    expect((await call(s, { headers: asUser(s) })).status).to.equal(200);
  });
});

const nowS = (): number => Math.floor(Date.now() / 1000);
