import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { StandinError } from '../standin/errors.js';
import type { RunningStandin, StandinSwitches } from '../standin/server.js';
import { asUser, basic, call, createToken, listOf, userOf, type Answer } from '../standin/testkit.js';
import { addFirstPartyCaveat, parseToken, serializeToken, unescape62 } from '../token/index.js';
import { withSeededStandin, withStandin } from './support/run.js';

/**
 * The stand-in's 21.02 answers, case by case, against the facts in conformance/test/fixtures/onezone-2102/
 * (copied from the research on oz-worker 21.02.7, each with its evidence), plus lived-in accounts and the
 * patch levels inside 21.02.
 */

interface FactCase {
  id: string;
  evidence: string;
  request: {
    method: string;
    path?: string;
    auth: string;
    headers?: Record<string, string>;
    body?: string;
    switches?: StandinSwitches;
  };
  expect: { status: number; body: unknown; contentType: string | null; acao: boolean; allow?: string };
}

const FACTS = JSON.parse(
  readFileSync(fromRoot('conformance', 'test', 'fixtures', 'onezone-2102', 'facts.json'), 'utf8'),
) as { cases: FactCase[] };

function tokenOfKind(s: RunningStandin, kind: string, user = 0): string {
  const t = s.tokenKinds(userOf(s, user).name).find((k) => k.kind === kind)?.token;
  if (t === undefined) throw new Error(`no ${kind} token`);
  return t;
}

async function deletedToken(s: RunningStandin): Promise<string> {
  const t = await createToken(s);
  const del = await call(s, { method: 'DELETE', path: `/user/client_tokens/${t}`, headers: asUser(s) });
  if (del.status !== 204) throw new Error(`delete failed: ${del.status}`);
  return t;
}

async function authHeaders(s: RunningStandin, auth: string): Promise<Record<string, string>> {
  const [kind, sub, ...rest] = auth.split(':');
  const arg = rest.join(':');
  if (kind === 'none') return {};
  if (kind === 'basic') {
    if (sub === 'valid') return asUser(s);
    if (sub === 'wrong') return basic(userOf(s, 0).name, 'wrong-password');
    return { authorization: 'Basic ' + Buffer.from('no-colon').toString('base64') };
  }
  const token =
    sub === 'valid'
      ? tokenOfKind(s, 'valid')
      : sub === 'deleted'
        ? await deletedToken(s)
        : sub === 'kind'
          ? tokenOfKind(s, arg)
          : sub === 'literal'
            ? arg
            : serializeToken(addFirstPartyCaveat(parseToken(tokenOfKind(s, 'valid')), arg));
  return { 'x-auth-token': token };
}

async function pathOf(s: RunningStandin, path: string | undefined): Promise<string> {
  if (path === undefined) return '/user/client_tokens';
  if (path.startsWith('raw:')) return path.slice('raw:'.length);
  const which = path.slice('item:'.length);
  const tid =
    which === 'own'
      ? tokenOfKind(s, 'valid')
      : which === 'deleted'
        ? await deletedToken(s)
        : which === 'other-user'
          ? tokenOfKind(s, 'valid', 1)
          : 'garbage';
  return `/user/client_tokens/${tid}`;
}

function expectBody(a: Answer, body: unknown, id: string): void {
  if (body === null) {
    expect(a.text, id).to.equal('');
    return;
  }
  const parsed = JSON.parse(a.text) as Record<string, unknown>;
  if (body === 'token') expect(parsed['token'], id).to.be.a('string');
  else if (body === 'tokens') expect(parsed['tokens'], id).to.be.an('array');
  else if (typeof body === 'string' && body.startsWith('id:')) {
    const e = parsed as { error: { details: { authError: { id: string } } } };
    expect(e.error.details.authError.id, id).to.equal(body.slice(3));
  } else expect(parsed, id).to.deep.equal(body);
}

async function replay(version: '21.02' | '21.02.4', c: FactCase): Promise<void> {
  await withStandin({ version, quirks: true }, async (s) => {
    const switches = c.request.switches;
    if (switches !== undefined) {
      const blocked = switches.blockedUsers?.map((u) => (u === '$user' ? userOf(s, 0).name : u));
      s.setSwitches({ ...switches, ...(blocked && { blockedUsers: blocked }) });
    }
    const a = await call(s, {
      method: c.request.method,
      path: await pathOf(s, c.request.path),
      headers: { ...(await authHeaders(s, c.request.auth)), ...c.request.headers },
      ...(c.request.body !== undefined && { body: c.request.body }),
    });
    const where = `${c.id} (${c.evidence}) → ${a.status} ${a.text}`;
    expect(a.status, where).to.equal(c.expect.status);
    if (c.request.method !== 'HEAD') expectBody(a, c.expect.body, where);
    expect(a.headers['content-type'] ?? null, where).to.equal(c.expect.contentType);
    expect(a.headers['www-authenticate'], where).to.equal(undefined);
    const acao = version === '21.02' && c.expect.acao ? '*' : undefined;
    expect(a.headers['access-control-allow-origin'], `ACAO on ${version}: ${where}`).to.equal(acao);
    if (c.expect.allow !== undefined) expect(a.headers['allow'], where).to.equal(c.expect.allow);
  });
}

describe('stand-in 21.02.7 against the facts of the real server (fixtures/onezone-2102/facts.json)', () => {
  for (const c of FACTS.cases) it(`${c.id}: ${c.evidence}`, () => replay('21.02', c));
});

describe('stand-in 21.02.4: the same answers, without access-control-allow-origin (D1 arrives in 21.02.5)', () => {
  for (const c of FACTS.cases.filter((x) => x.request.switches?.breakerOpen !== true))
    it(c.id, () => replay('21.02.4', c));
});

describe('stand-in 21.02 patch levels', () => {
  it('the breaker exists from 21.02.6 only: switching it on for 21.02.5 or 20.02 is a usage error', async () => {
    for (const version of ['21.02.5', '20.02'] as const) {
      let code: string | undefined;
      try {
        await withStandin({ version, breakerOpen: true }, () => Promise.resolve());
      } catch (e) {
        code = (e as StandinError).code;
      }
      expect(code, version).to.equal('S_USAGE');
    }
    await withStandin({ version: '21.02.6', breakerOpen: true }, async (s) => {
      expect((await call(s)).status).to.equal(503);
      s.setSwitches({ breakerOpen: false });
      expect((await call(s)).status).to.equal(401);
    });
  });

  it('/configuration reports the patch release; the breaker answers it too', async () => {
    await withStandin({ version: '21.02.3' }, async (s) => {
      expect(JSON.parse((await call(s, { path: '/configuration' })).text)).to.include({ version: '21.02.3' });
    });
    await withStandin({ version: '21.02', breakerOpen: true }, async (s) => {
      expect((await call(s, { path: '/configuration' })).status).to.equal(503);
    });
  });

  /** D3: an entity-logic crash (here: the state file cannot be written) is a 500 with a reference from 21.02.1. */
  async function crashedPost(version: '21.02.0' | '21.02.1' | '20.02'): Promise<Answer> {
    const dir = mkdtempSync(join(tmpdir(), 'standin-crash-'));
    try {
      return await withStandin({ version, dataFile: join(dir, 'state.json') }, async (s) => {
        rmSync(dir, { recursive: true, force: true });
        return call(s, { method: 'POST', headers: asUser(s) });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('21.02.1+: 500 internalServerError with details.reference, cited in the description', async () => {
    const a = await crashedPost('21.02.1');
    expect(a.status).to.equal(500);
    expect(a.headers['content-type']).to.equal('application/json');
    const e = (JSON.parse(a.text) as { error: { id: string; details: { reference: string }; description: string } })
      .error;
    expect(e.id).to.equal('internalServerError');
    expect(e.details.reference).to.match(/^[0-9a-f]{10}$/);
    expect(e.description).to.equal(
      'The server has encountered an error while processing this request. If the problem persists, please ' +
        `contact the site's administrators, citing the following reference: ${e.details.reference}.`,
    );
  });

  it('21.02.0 and 20.02: the old 500 body without a reference', async () => {
    for (const version of ['21.02.0', '20.02'] as const) {
      const a = await crashedPost(version);
      expect([a.status, JSON.parse(a.text)], version).to.deep.equal([
        500,
        {
          error: {
            id: 'internalServerError',
            description: 'The server has encountered an error while processing this request.',
          },
        },
      ]);
    }
  });
});

describe('stand-in lived-in accounts (real-server-2102.md §1.6)', () => {
  it('is the default from 20.02: expired, revoked, oneclient and rest tokens listed in name order; valid ones not first', async () => {
    for (const version of ['20.02', '21.02'] as const) {
      await withStandin({ version }, async (s) => {
        const kinds = s.tokenKinds(userOf(s, 0).name);
        expect(
          kinds.map((k) => k.kind),
          version,
        ).to.deep.equal(['expired', 'expired', 'revoked', 'valid', 'valid', 'interface-oneclient', 'rest-service']);
        const names = kinds.map((k) => k.name);
        expect(names).to.deep.equal([...names].sort());
        expect(names.slice(-2)).to.deep.equal(['oneclient.notebooks.egi.eu', 'onezone.notebooks.egi.eu']);
        expect(await listOf(s)).to.deep.equal(kinds.map((k) => k.token));
      });
    }
  });

  it('each listed token answers as on a real account: only the valid and the rest+service ones authenticate', async () => {
    await withStandin({ version: '21.02' }, async (s) => {
      const outcome = async (t: string): Promise<string> => {
        const a = await call(s, { headers: { 'x-auth-token': t } });
        if (a.status === 200) return 'ok';
        return (JSON.parse(a.text) as { error: { details: { authError: { id: string } } } }).error.details.authError.id;
      };
      const seen: Record<string, string[]> = {};
      for (const k of s.tokenKinds(userOf(s, 0).name)) (seen[k.kind] ??= []).push(await outcome(k.token));
      expect(seen).to.deep.equal({
        expired: ['tokenCaveatUnverified', 'tokenCaveatUnverified'],
        revoked: ['tokenRevoked'],
        valid: ['ok', 'ok'],
        'interface-oneclient': ['tokenCaveatUnverified'],
        'rest-service': ['ok'],
      });
    });
  });

  it('a revoked token stays listed; DELETE removes it (204) and then it is unknown', async () => {
    await withStandin({ version: '21.02' }, async (s) => {
      const revoked = tokenOfKind(s, 'revoked');
      expect(await listOf(s)).to.include(revoked);
      const del = await call(s, { method: 'DELETE', path: `/user/client_tokens/${revoked}`, headers: asUser(s) });
      expect(del.status).to.equal(204);
      expect(await listOf(s)).not.to.include(revoked);
      const again = await call(s, { method: 'DELETE', path: `/user/client_tokens/${revoked}`, headers: asUser(s) });
      expect(again.status).to.equal(404);
    });
  });

  it('account fresh lists only the seed; 19.02 and older are always fresh and refuse lived-in', async () => {
    const kindsOf = (s: RunningStandin): Promise<string[]> =>
      Promise.resolve(s.tokenKinds(userOf(s, 0).name).map((k) => k.kind));
    expect(await withStandin({ version: '21.02', account: 'fresh' }, kindsOf)).to.deep.equal(['valid', 'valid']);
    expect(await withStandin({ version: '19.02' }, kindsOf)).to.deep.equal(['valid', 'valid']);
    let code: string | undefined;
    try {
      await withStandin({ version: '19.02', account: 'lived-in' }, () => Promise.resolve());
    } catch (e) {
      code = (e as StandinError).code;
    }
    expect(code).to.equal('S_USAGE');
  });
});

describe('stand-in 20.02+ tokens', () => {
  it('a domain of 18-33 characters makes tokens start MDAy; 2-17 characters MDAx', async () => {
    await withStandin({ version: '21.02', domain: 'onezone.example.org' }, async (s) => {
      for (const t of await listOf(s)) {
        expect(t.startsWith('MDAy'), t.slice(0, 8)).to.equal(true);
        expect(parseToken(t).location).to.equal('onezone.example.org');
      }
      expect((await call(s, { headers: { 'x-auth-token': await createToken(s) } })).status).to.equal(200);
    });
    await withStandin({ version: '21.02', domain: 'zone.example' }, async (s) => {
      for (const t of await listOf(s)) expect(t.startsWith('MDAx')).to.equal(true);
    });
  });

  it('no plain-base64url fallback from 20.02 (badToken); 19.02 still reads the unescaped form', async () => {
    await withStandin({ version: '20.02', account: 'fresh' }, async (s) => {
      const plain = unescape62((await listOf(s))[0] ?? '');
      const a = await call(s, { headers: { 'x-auth-token': plain } });
      expect(a.status).to.equal(401);
      expect(a.text).to.include('"badToken"');
    });
    await withStandin({ version: '19.02' }, async (s) => {
      const plain = unescape62((await listOf(s))[0] ?? '');
      expect((await call(s, { headers: { 'x-auth-token': plain } })).status).to.equal(200);
    });
  });

  it('POST-made tokens carry the real identifier form and one year time caveat', async () => {
    await withStandin({ version: '21.02' }, async (s) => {
      const m = parseToken(await createToken(s));
      expect(m.identifier).to.match(/^2\/nmd\/usr-[0-9a-f]{32}\/act\/[0-9a-f]{32}ch[0-9a-f]{4}$/);
      expect(m.caveats.map((c) => c.cid)).to.have.length(1);
      expect(m.caveats[0]?.cid).to.match(/^time < \d+$/);
    });
  });
});

describe('stand-in seed passwords', () => {
  it('may contain ":" (Basic splits at the first colon)', async () => {
    const users = [
      { name: 'carol', password: 'a:b::c', tokens: 1 },
      { name: 'dan', password: 'd', tokens: 0 },
    ];
    await withSeededStandin(users, { version: '21.02' }, async (s) => {
      expect((await call(s, { headers: basic('carol', 'a:b::c') })).status).to.equal(200);
      expect((await call(s, { headers: basic('carol', 'a') })).status).to.equal(401);
    });
  });
});
