import { createRequire } from 'node:module';
import { expect } from 'chai';
import { resolveDreddConfig, type DreddConfig } from '../dredd/config.js';
import { childEnv, judge, parseSummary, redactorFor } from '../dredd/run.js';
import { isHarnessError } from '../errors.js';
import { fromRoot } from '../paths.js';

/** The Dredd wrapper's pure parts: configuration, verdict, and the hook logic without Dredd. */

interface Tx {
  name: string;
  request: { method: string; uri: string; headers: Record<string, string> };
  expected: { headers?: Record<string, string>; statusCode?: string };
  skip?: boolean;
  fail?: boolean | string;
}
interface HookLogic {
  classify(t: Tx): 'list-200' | 'list-401' | 'other';
  prepare(t: Tx, env: Record<string, string | undefined>): void;
  mask(t: Tx): void;
}
// The hook logic is CommonJS beside the source (Dredd require()s it); tsc does not copy it to dist/.
const logic = createRequire(import.meta.url)(fromRoot('conformance', 'dredd', 'hook-logic.cjs')) as HookLogic;

const tx = (method: string, uri: string, status: string, headers: Record<string, string> = {}): Tx => ({
  name: `${uri} > ${method} > ${status}`,
  request: { method, uri, headers: { Accept: 'application/json', ...headers } },
  expected: { headers: { 'Content-Type': 'application/json' }, statusCode: status },
});

const usageCode = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isHarnessError(e) ? e.code : 'not a HarnessError';
  }
  return undefined;
};

describe('dredd: configuration', () => {
  it("takes the runner's environment variables, and flags win over them", () => {
    const env = { ONEZONE_TARGET: 'http://127.0.0.1:1/api/v3/onezone/', ONEZONE_USER: 'env:pw' };
    const fromEnv = resolveDreddConfig([], env);
    expect(fromEnv.kind).to.equal('run');
    if (fromEnv.kind !== 'run') return;
    expect(fromEnv.config.target).to.equal('http://127.0.0.1:1/api/v3/onezone');
    expect(fromEnv.config.user).to.deep.equal({ name: 'env', password: 'pw' });
    const flags = resolveDreddConfig(['--user', 'flag:a:b', '--target', 'https://h/api/v3/onezone'], env);
    if (flags.kind !== 'run') throw new Error('expected a run');
    expect(flags.config.user).to.deep.equal({ name: 'flag', password: 'a:b' });
    expect(flags.config.target).to.equal('https://h/api/v3/onezone');
  });

  it('rejects a missing target, missing credentials and credentials in the URL with E_USAGE', () => {
    expect(usageCode(() => resolveDreddConfig(['--user', 'a:b'], {}))).to.equal('E_USAGE');
    expect(usageCode(() => resolveDreddConfig(['--target', 'http://h'], {}))).to.equal('E_USAGE');
    expect(usageCode(() => resolveDreddConfig(['--target', 'http://a:b@h', '--user', 'a:b'], {}))).to.equal('E_USAGE');
    expect(usageCode(() => resolveDreddConfig(['--target', 'http://h', '--user', 'nocolon'], {}))).to.equal('E_USAGE');
    expect(usageCode(() => resolveDreddConfig(['--bogus'], {}))).to.equal('E_USAGE');
  });

  it('hands credentials and TLS settings to Dredd through its environment, replacing inherited ones', () => {
    const config: DreddConfig = {
      target: 'https://h',
      user: { name: 'u', password: 'p w' },
      specFile: 's',
      caFile: '/ca.pem',
      insecure: false,
      timeoutMs: 1,
    };
    const env = childEnv(config, { ONEZONE_USER: 'old:old', ONEZONE_TOKEN: 'stale', PATH: '/bin' });
    expect(env.ONEZONE_USER).to.equal('u:p w');
    expect(env.ONEZONE_TOKEN).to.equal(undefined);
    expect(env.NODE_EXTRA_CA_CERTS).to.equal('/ca.pem');
    expect(env.NODE_TLS_REJECT_UNAUTHORIZED).to.equal(undefined);
    expect(env.PATH).to.equal('/bin');
  });
});

describe("dredd: verdict from Dredd's summary", () => {
  it('parses the summary line, colours or not', () => {
    expect(
      parseSummary('x\n\u001b[32mcomplete\u001b[39m: 2 passing, 1 failing, 0 errors, 12 skipped, 15 total\n'),
    ).to.deep.equal({
      passing: 2,
      failing: 1,
      errors: 0,
      skipped: 12,
      total: 15,
    });
    expect(parseSummary('error: unable to parse the API description')).to.equal(undefined);
  });

  it('maps outcomes to 0, 1 and 2', () => {
    const s = (passing: number, failing: number, errors: number) => ({
      passing,
      failing,
      errors,
      skipped: 12,
      total: 14,
    });
    expect(judge(s(2, 0, 0), 0, false).exitCode).to.equal(0);
    expect(judge(s(1, 1, 0), 1, false).exitCode).to.equal(1);
    expect(judge(s(0, 0, 2), 1, false).exitCode).to.equal(2);
    expect(judge(s(1, 0, 0), 0, false).exitCode, 'a transaction went missing from the spec').to.equal(2);
    expect(judge(undefined, 1, false).exitCode).to.equal(2);
    expect(judge(s(2, 0, 0), null, true).exitCode).to.equal(2);
  });

  it("redacts the run's password, its Basic encoding and Onedata tokens", () => {
    const r = redactorFor({
      target: 'h',
      user: { name: 'alice', password: 'sekrit-pw' },
      specFile: 's',
      insecure: false,
      timeoutMs: 1,
    });
    const basic = Buffer.from('alice:sekrit-pw').toString('base64');
    const out = r.redact(`Authorization: Basic ${basic} pw=sekrit-pw MDAxNWxvY2F00aW9uIG9uZXpvbmUKMDAzYmlk`);
    expect(out).not.to.include('sekrit-pw');
    expect(out).not.to.include(basic);
    expect(out).not.to.include('MDAxNWxvY2F00aW9u');
  });
});

describe('dredd: hook logic', () => {
  const env = { ONEZONE_USER: 'alice:pw:with:colons' };

  it('sends Basic credentials for the 200 transaction', () => {
    const t = tx('GET', '/user/client_tokens', '200', { 'x-auth-token': 'left-over' });
    logic.prepare(t, env);
    expect(t.skip).to.not.equal(true);
    expect(t.request.headers.Authorization).to.equal('Basic ' + Buffer.from('alice:pw:with:colons').toString('base64'));
    expect(t.request.headers).not.to.have.property('x-auth-token');
  });

  it('falls back to X-Auth-Token, and fails the transaction without any credential', () => {
    const t = tx('GET', '/user/client_tokens', '200');
    logic.prepare(t, { ONEZONE_TOKEN: 'tok' });
    expect(t.request.headers['X-Auth-Token']).to.equal('tok');
    const none = tx('GET', '/user/client_tokens', '200');
    logic.prepare(none, {});
    expect(none.fail).to.be.a('string');
  });

  it('strips every credential for the 401 transaction and expects no content-type', () => {
    const t = tx('GET', '/user/client_tokens', '401', { authorization: 'Basic x', Macaroon: 'm', Cookie: 'c' });
    logic.prepare(t, env);
    expect(Object.keys(t.request.headers).map((h) => h.toLowerCase())).to.deep.equal(['accept']);
    expect(t.expected.headers).to.deep.equal({});
    expect(t.skip).to.not.equal(true);
  });

  it('skips every other transaction', () => {
    for (const t of [
      tx('GET', '/user/client_tokens', '404'),
      tx('GET', '/user/client_tokens', '500'),
      tx('POST', '/user/client_tokens', '200'),
      tx('DELETE', '/user/client_tokens/MDAx', '202'),
    ]) {
      logic.prepare(t, env);
      expect(t.skip, t.name).to.equal(true);
    }
  });

  it('masks credential values after the request, keeping the scheme', () => {
    const t = tx('GET', '/user/client_tokens', '200');
    logic.prepare(t, env);
    t.request.headers['X-Auth-Token'] = 'tok';
    logic.mask(t);
    expect(t.request.headers.Authorization).to.equal('Basic [REDACTED]');
    expect(t.request.headers['X-Auth-Token']).to.equal('[REDACTED]');
    expect(t.request.headers.Accept).to.equal('application/json');
  });
});
