import { expect } from 'chai';
import { addFirstPartyCaveat, checkWellFormed, parseToken, serializeToken } from '../token/index.js';
import { FAULTS, type FaultId } from '../standin/faults.js';
import { startStandin, type RunningStandin } from '../standin/server.js';
import {
  asUser,
  basic,
  call,
  createToken,
  firstToken,
  listOf,
  tokensIn,
  userOf,
  type Answer,
} from '../standin/testkit.js';

/**
 * Each fault switch breaks exactly the rule it names: its probe says "broken" under the fault and "intact"
 * on the faithful stand-in. The runner's own tests then show that the runner's checks catch each one.
 */

type Probe = (s: RunningStandin) => Promise<boolean>;

const SLOW_MS = 300;
const nowS = (): number => Math.floor(Date.now() / 1000);
const wrongPassword = (s: RunningStandin): Promise<Answer> =>
  call(s, { headers: basic(userOf(s, 0).name, 'wrong-password-xyz') });
const withToken = async (s: RunningStandin, token: string): Promise<Answer> =>
  call(s, { headers: { 'x-auth-token': token } });
const attenuated = async (s: RunningStandin, caveat: string): Promise<string> =>
  serializeToken(addFirstPartyCaveat(parseToken(await firstToken(s)), caveat));
const parsesAsJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};
const deleteToken = (s: RunningStandin, t: string): Promise<Answer> =>
  call(s, { method: 'DELETE', path: `/user/client_tokens/${t}`, headers: asUser(s) });

const PROBES: Record<FaultId, Probe> = {
  'auth-bypass': async (s) => (await call(s)).status === 200,
  'basic-any-password': async (s) => (await wrongPassword(s)).status === 200,
  'basic-unknown-user-ok': async (s) => {
    const a = await call(s, { headers: basic('no-such-user', 'x') });
    return a.status === 200 && a.text === '{"tokens":[]}';
  },
  'basic-malformed-ok': async (s) =>
    (await call(s, { headers: { authorization: 'Basic !!!not*base64!!!' } })).status === 200,
  'auth-error-403': async (s) =>
    (await wrongPassword(s)).status === 403 && (await withToken(s, 'garbage')).status === 403,
  'auth-error-text-body': async (s) => {
    const a = await wrongPassword(s);
    return a.status === 401 && !parsesAsJson(a.text);
  },
  'auth-error-wrong-shape': async (s) => {
    const a = await wrongPassword(s);
    return a.status === 401 && !('error' in (JSON.parse(a.text) as object));
  },
  'token-auth-unsupported': async (s) => {
    const t = await firstToken(s);
    return (await withToken(s, t)).status !== 200 && (await call(s, { headers: { macaroon: t } })).status !== 200;
  },
  'macaroon-header-unsupported': async (s) => {
    const t = await firstToken(s);
    return (await call(s, { headers: { macaroon: t } })).status !== 200 && (await withToken(s, t)).status === 200;
  },
  'garbage-token-500': async (s) => (await withToken(s, 'conformance-garbage-token')).status === 500,
  'signature-not-verified': async (s) => {
    const m = parseToken(await firstToken(s));
    const tampered = { ...m, signature: Uint8Array.from(m.signature, (b, i) => (i === 0 ? b ^ 1 : b)) };
    return (await withToken(s, serializeToken(tampered))).status === 200;
  },
  'time-caveat-not-verified': async (s) =>
    (await withToken(s, await attenuated(s, `time < ${nowS() - 3600}`))).status === 200,
  'time-caveat-rejected': async (s) =>
    (await withToken(s, await attenuated(s, `time < ${nowS() + 3600}`))).status === 401,
  'unknown-caveat-accepted': async (s) =>
    (await withToken(s, await attenuated(s, 'conformance-caveat = unknown'))).status === 200,
  'token-wrong-user': async (s) => {
    const bobs = await listOf(s, 1);
    const a = await withToken(s, bobs[0] ?? '');
    return (
      a.status === 200 && JSON.stringify((JSON.parse(a.text) as { tokens: string[] }).tokens) !== JSON.stringify(bobs)
    );
  },
  'cross-user-leak': async (s) => {
    const bob = await firstToken(s, 1);
    return (await listOf(s, 0)).includes(bob);
  },
  'secret-echo': async (s) => (await wrongPassword(s)).text.includes('wrong-password-xyz'),
  'foreign-token-in-error': async (s) => /MDAx[A-Za-z0-9]{20,}/.test((await wrongPassword(s)).text),
  'list-wrong-status': async (s) => (await call(s, { headers: asUser(s) })).status === 203,
  'list-wrong-content-type': async (s) =>
    (await call(s, { headers: asUser(s) })).headers['content-type'] !== 'application/json',
  'list-wrong-shape': async (s) =>
    !Array.isArray((JSON.parse((await call(s, { headers: asUser(s) })).text) as { tokens: unknown }).tokens),
  'list-null-item': async (s) =>
    (JSON.parse((await call(s, { headers: asUser(s) })).text) as { tokens: unknown[] }).tokens.includes(null),
  'list-duplicate-item': async (s) => {
    const tokens = await listOf(s);
    return new Set(tokens).size !== tokens.length;
  },
  'list-malformed-token': async (s) => (await listOf(s)).some((t) => !checkWellFormed(t).ok),
  'list-not-json': async (s) => !parsesAsJson((await call(s, { headers: asUser(s) })).text),
  'method-not-allowed-404': async (s) => (await call(s, { method: 'PUT' })).status === 404,
  'allow-header-missing': async (s) => {
    const a = await call(s, { method: 'PATCH' });
    return a.status === 405 && a.headers['allow'] === undefined;
  },
  'accept-ignored': async (s) => (await call(s, { headers: { ...asUser(s), accept: 'text/html' } })).status === 200,
  'truncated-body': async (s) => {
    try {
      const a = await call(s, { headers: asUser(s) });
      return Buffer.byteLength(a.text) < Number(a.headers['content-length']);
    } catch {
      return true; // undici reports the body that ended before its content-length
    }
  },
  'create-wrong-status': async (s) =>
    (await call(s, { method: 'POST', headers: { ...asUser(s), 'content-type': 'application/json' }, body: '{}' }))
      .status === 201,
  'created-not-listed': async (s) => {
    const t = await createToken(s);
    return !(await listOf(s)).includes(t) && (await withToken(s, t)).status === 200;
  },
  'created-appended': async (s) => {
    const t = await createToken(s);
    const list = await listOf(s);
    return list[0] !== t && list[list.length - 1] === t;
  },
  'delete-ignored': async (s) => {
    const t = await createToken(s);
    const del = await deleteToken(s, t);
    return del.status === 202 && (await listOf(s)).includes(t) && (await withToken(s, t)).status === 200;
  },
  'deleted-still-valid': async (s) => {
    const t = await createToken(s);
    await deleteToken(s, t);
    return !(await listOf(s)).includes(t) && (await withToken(s, t)).status === 200;
  },
  // issue 11
  'query-token-accepted': async (s) =>
    (await call(s, { path: `/user/client_tokens?access_token=${await firstToken(s)}` })).status === 200,
  'identity-header-trusted': async (s) =>
    (await call(s, { headers: { 'x-remote-user': userOf(s, 0).name } })).status === 200,
  'path-case-bypass': async (s) => (await call(s, { path: '/user/Client_tokens' })).status === 200,
  'macaroon-header-first-user': async (s) => {
    const a = await call(s, { headers: { macaroon: await firstToken(s, 1) } });
    return a.status === 200 && tokensIn(a).join() === (await listOf(s, 0)).join();
  },
  'bad-basic-falls-through': async (s) =>
    (
      await call(s, {
        headers: { ...basic(userOf(s, 0).name, 'wrong-password-xyz'), 'x-auth-token': await firstToken(s) },
      })
    ).status === 200,
  'list-cache-public': async (s) =>
    String((await call(s, { headers: asUser(s) })).headers['cache-control']).includes('public'),
  'cors-reflect-origin': async (s) => {
    const a = await call(s, { headers: { ...asUser(s), origin: 'https://attacker.example' } });
    return (
      a.headers['access-control-allow-origin'] === 'https://attacker.example' &&
      a.headers['access-control-allow-credentials'] === 'true'
    );
  },
  'json-bom': async (s) => {
    const a = await call(s, { headers: asUser(s) });
    return a.text.startsWith('\uFEFF') || Number(a.headers['content-length']) !== Buffer.byteLength(a.text);
  },
  'false-content-encoding': async (s) => {
    const a = await call(s, { headers: asUser(s) });
    return a.headers['content-encoding'] === 'gzip' && a.text.startsWith('{');
  },
  'token-encoded-in-error': async (s) => {
    const header = (await wrongPassword(s)).headers['x-debug-token'];
    const decoded = typeof header === 'string' ? Buffer.from(header, 'base64').toString('utf8') : '';
    return [...(await listOf(s, 0)), ...(await listOf(s, 1))].some((t) => decoded.includes(t));
  },
  'delete-other-users-token': async (s) => {
    const t = await firstToken(s, 1);
    await call(s, { method: 'DELETE', path: `/user/client_tokens/${t}`, headers: asUser(s, 0) });
    return !(await listOf(s, 1)).includes(t);
  },
  'list-capped': async (s) => {
    for (let i = 0; i < 3; i++) await createToken(s);
    return (await listOf(s)).length <= 3;
  },
  slow: async (s) => {
    const started = Date.now();
    await call(s, { headers: asUser(s) });
    return Date.now() - started >= SLOW_MS - 20;
  },
};

describe('stand-in fault switches', function () {
  this.timeout(10000);

  it('has a probe for every fault in the table, and the table ids are unique', () => {
    expect(Object.keys(PROBES)).to.have.members(FAULTS.map((f) => f.id));
    expect(new Set(FAULTS.map((f) => f.id)).size).to.equal(FAULTS.length);
  });

  describe('the faithful stand-in breaks none of the rules', () => {
    let s: RunningStandin;
    before(async () => {
      s = await startStandin({ slowMs: SLOW_MS });
    });
    after(() => s.close());
    for (const f of FAULTS) {
      it(`intact: ${f.id}`, async () => expect(await PROBES[f.id](s)).to.equal(false));
    }
  });

  describe('each fault breaks its rule', () => {
    for (const f of FAULTS) {
      it(`${f.id}: ${f.description}`, async () => {
        const s = await startStandin({ faults: [f.id], slowMs: SLOW_MS });
        try {
          expect(await PROBES[f.id](s)).to.equal(true);
        } finally {
          await s.close();
        }
      });
    }
  });

  it('list-malformed-token: the unescaped listings still authenticate and can be deleted (only their form is broken)', async () => {
    const s = await startStandin({ faults: ['list-malformed-token'] });
    try {
      const [t] = await listOf(s);
      expect(t).to.match(/[-_]|^[A-Za-z0-9]+$/);
      expect((await withToken(s, t ?? '')).status).to.equal(200);
      expect((await deleteToken(s, t ?? '')).status).to.equal(202);
      expect((await withToken(s, t ?? '')).status).to.equal(401);
    } finally {
      await s.close();
    }
  });

  it('rejects an unknown fault id', async () => {
    let code: string | undefined;
    try {
      await startStandin({ faults: ['no-such-fault' as FaultId] });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).to.equal('S_USAGE');
  });
});
