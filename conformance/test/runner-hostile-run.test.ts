import { expect } from 'chai';
import { isOperationUrl } from '../guard.js';
import type { RunConfig } from '../config.js';
import { HarnessError } from '../errors.js';
import type { ReportDocument } from '../report/types.js';
import { runConformance } from '../run.js';
import { startStandin, type RunningStandin } from '../standin/server.js';
import { listOf } from '../standin/testkit.js';
import { endlessBody, fixed, httpServer, proxyTo, rawServer, type HostileServer } from './support/hostile.js';

/**
 * Whole runs against hostile or unavailable targets and with the operator's usual mistakes: each ends with the
 * right exit code and a harness code that says what happened, never with a verdict about the wrong thing.
 */

const ALICE = { name: 'alice', password: 'alice-password' };

function configFor(target: string, over: Partial<RunConfig> = {}): RunConfig {
  return {
    target,
    user: ALICE,
    insecure: false,
    allowWrites: false,
    profile: 'onezone-17.06',
    timeoutMs: 2000,
    embedded: false,
    ...over,
  };
}

function standinConfig(s: RunningStandin, over: Partial<RunConfig> = {}): RunConfig {
  const [user, other] = s.users;
  if (!user || !other) throw new Error('the stand-in must seed two users');
  return configFor(s.url, {
    user: { name: user.name, password: user.password },
    otherUser: { name: other.name, password: other.password },
    ...over,
  });
}

const notPassed = (r: ReportDocument): string =>
  r.checks
    .filter((c) => c.status !== 'passed')
    .map((c) => `${c.id}: ${c.status} ${c.code ?? ''} ${c.message}`)
    .join('\n') + (r.errors.length ? '\nerrors: ' + JSON.stringify(r.errors) : '');

const hasCredentials = (headers: string): boolean => /authorization|x-auth-token|macaroon/i.test(headers);

describe('runs against hostile targets', function () {
  this.timeout(30000);
  const closers: Array<() => Promise<void>> = [];
  const keep = <T extends { close(): Promise<void> }>(x: T): T => {
    closers.push(() => x.close());
    return x;
  };
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  it('a POST answering {"token":"../../user"} makes no request outside the operation', async () => {
    const s = keep(await startStandin({}));
    const proxy = keep(
      await proxyTo(s.url, (req) =>
        req.method === 'POST' ? { status: 200, body: JSON.stringify({ token: '../../user' }) } : undefined,
      ),
    );
    const base = new URL(s.url).pathname;
    const before = await listOf(s);
    const r = await runConformance(standinConfig(s, { target: proxy.url + base, allowWrites: true }));
    // The generated path variants (double slash, case, escapes, dot segments) are the operation's paths too:
    // judged as the client's scope guard judges them, not by their spelling.
    const outside = proxy.seen.filter(
      (q) => !isOperationUrl(s.url, new URL(s.url).origin + (q.path.split('?')[0] ?? '')),
    );
    expect(outside.map((q) => `${q.method} ${q.path}`)).to.deep.equal([]);
    // The token the stand-in did create is found by listing and removed through its own, well-formed path.
    for (const q of proxy.seen.filter((x) => x.method === 'DELETE'))
      expect(q.path).to.match(/^\/api\/v3\/onezone\/user\/client_tokens(\/[A-Za-z0-9]+)?$/);
    expect(await listOf(s)).to.deep.equal(before);
    expect(r.checks.find((c) => c.id === 'lifecycle-create')?.status, notPassed(r)).to.equal('failed');
    expect(r.checks.find((c) => c.id === 'lifecycle-delete')?.status, notPassed(r)).to.equal('skipped');
    expect(r.exitCode).to.equal(1);
  });

  it('a POST answering {"token":"user"} neither defaces the evidence nor leaves the real token behind', async () => {
    const s = keep(await startStandin({}));
    const proxy = keep(
      await proxyTo(s.url, (req) =>
        req.method === 'POST' ? { status: 200, body: JSON.stringify({ token: 'user' }) } : undefined,
      ),
    );
    const before = await listOf(s);
    const r = await runConformance(
      standinConfig(s, { target: proxy.url + new URL(s.url).pathname, allowWrites: true }),
    );
    // A string this short is no secret of the run: masking it would have masked every "user" in the report.
    const urls = r.checks.flatMap((c) => c.exchanges.map((x) => x.request.url));
    expect(
      urls.some((u) => u.endsWith('/api/v3/onezone/user/client_tokens')),
      urls.join('\n'),
    ).to.equal(true);
    expect(r.checks.find((c) => c.id === 'lifecycle-create')?.status).to.equal('failed');
    expect(await listOf(s)).to.deep.equal(before);
  });

  it('an open circuit breaker (503 serviceUnavailable to everyone) is exit 2 E_UNAVAILABLE, no verdict', async () => {
    const body = {
      error: { id: 'serviceUnavailable', description: 'Service required for this operation is offline.' },
    };
    const t = keep(await rawServer(fixed(503, body)));
    const r = await runConformance(configFor(t.url + '/api/v3/onezone', { profile: 'auto' }));
    expect(r.exitCode).to.equal(2);
    expect(r.summary.failed).to.equal(0);
    expect(r.errors.map((e) => e.code)).to.deep.equal(['E_UNAVAILABLE']);
    expect(r.errors[0]?.message).to.match(/503 serviceUnavailable.*circuit breaker/);
  });

  it("a 503 to a check's request makes that check errored (E_UNAVAILABLE), not failed", async () => {
    const s = keep(await startStandin({}));
    let answered = 0;
    // The preflight's request without credentials is served; every later one gets the breaker's 503.
    const proxy = keep(
      await proxyTo(s.url, (req) =>
        !hasCredentials(JSON.stringify(req.headers)) && answered++ > 0
          ? { status: 503, body: '{"error":{"id":"serviceUnavailable"}}' }
          : undefined,
      ),
    );
    const base = new URL(s.url).pathname;
    const r = await runConformance(standinConfig(s, { target: proxy.url + base }));
    const none = r.checks.find((c) => c.id === 'auth-none-rejected');
    expect(none?.status, notPassed(r)).to.equal('errored');
    expect(none?.code).to.equal('E_UNAVAILABLE');
    expect(r.summary.failed, notPassed(r)).to.equal(0);
    expect(r.exitCode).to.equal(2);
  });

  it('a proxy that throttles wrong passwords (429) makes the run unjudged (exit 2), never non-conformant', async () => {
    const s = keep(await startStandin({}));
    // A login throttle: after the first rejected Basic attempt, every further one is answered 429.
    let rejected = 0;
    const proxy = keep(
      await proxyTo(s.url, (req, status) => {
        const basic = /^Basic /i.test(req.headers.authorization ?? '');
        if (!basic || status !== 401) return undefined;
        return rejected++ > 0 ? { status: 429, body: '', headers: { 'retry-after': '60' } } : undefined;
      }),
    );
    const r = await runConformance(standinConfig(s, { target: proxy.url + new URL(s.url).pathname }));
    expect(r.summary.failed, notPassed(r)).to.equal(0);
    expect(r.exitCode, notPassed(r)).to.equal(2);
    const throttled = r.checks.filter((c) => c.status === 'errored').map((c) => c.code);
    expect(throttled, notPassed(r)).to.include('E_RATE_LIMITED');
  });

  it('an endless body on every answer ends in exit 2 with E_BODY_TOO_LARGE, not a crash', async () => {
    let served = 0;
    const t = keep(
      await rawServer((sock, req) => {
        (served++ > 0 ? endlessBody() : fixed(401, { error: 'unauthorized' }))(sock, req);
      }),
    );
    const started = Date.now();
    const r = await runConformance(configFor(t.url + '/api/v3/onezone', { maxBodyBytes: 1 << 20 }));
    expect(r.exitCode, notPassed(r)).to.equal(2);
    expect(r.summary.failed, notPassed(r)).to.equal(0);
    expect(r.checks.find((c) => c.id === 'auth-basic-valid')?.code).to.equal('E_BODY_TOO_LARGE');
    expect(Date.now() - started).to.be.below(20000);
  });

  it('does not claim "the 200 body is truncated" when the cut answer was no 200', async () => {
    const t = keep(
      await rawServer((sock, req) => {
        if (!hasCredentials(req.headers)) {
          fixed(401, { error: 'unauthorized' })(sock, req);
          return;
        }
        sock.write('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 100\r\n\r\n{"err');
        setTimeout(() => sock.end(), 10);
      }),
    );
    const r = await runConformance(configFor(t.url + '/api/v3/onezone'));
    const c = r.checks.find((x) => x.id === 'auth-basic-valid');
    expect(c?.message).not.to.include('200 body');
    expect(c?.status).to.equal('errored');
    expect(c?.code).to.equal('E_TRUNCATED');
  });

  describe('operator mistakes: exit 2 with a hint, not non-conformance', () => {
    it('a base URL without /api/v3/onezone', async () => {
      const s = keep(await startStandin({}));
      const root = new URL(s.url).origin;
      const r = await runConformance(standinConfig(s, { target: root }));
      expect(r.exitCode, notPassed(r)).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_BASE_URL']);
      expect(r.errors[0]?.message).to.include('missing /api/v3/onezone');
      expect(r.checks).to.deep.equal([]);
    });

    it('a base URL that already ends with the operation path', async () => {
      const s = keep(await startStandin({}));
      const r = await runConformance(standinConfig(s, { target: s.url + '/user/client_tokens' }));
      expect(r.exitCode, notPassed(r)).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_BASE_URL']);
      expect(r.errors[0]?.message).to.include('must end before /user/client_tokens');
    });

    it('a target that redirects (a port-80 listener sending http:// to https://): exit 2 naming where to', async () => {
      const t = keep(
        await rawServer(fixed(301, '', { location: 'https://zone.example.org/api/v3/onezone/user/client_tokens' })),
      );
      const r = await runConformance(configFor(t.url + '/api/v3/onezone'));
      expect(r.exitCode, notPassed(r)).to.equal(2);
      expect(r.summary.failed).to.equal(0);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_BASE_URL']);
      expect(r.errors[0]?.message).to.include('use --target https://zone.example.org/api/v3/onezone');
      // Only the Basic request redirects (a login page for credentialed requests): still not a verdict.
      const s = keep(await startStandin({}));
      const proxy = keep(
        await proxyTo(s.url, (req) =>
          hasCredentials(JSON.stringify(req.headers))
            ? { status: 302, body: '', headers: { location: '/login?next=%2Fapi' } }
            : undefined,
        ),
      );
      const login = await runConformance(standinConfig(s, { target: proxy.url + new URL(s.url).pathname }));
      expect(login.exitCode, notPassed(login)).to.equal(2);
      expect(login.errors.map((e) => e.code)).to.deep.equal(['E_BASE_URL']);
      expect(login.errors[0]?.message).to.match(/answers 302 \(a redirect\)/);
    });

    it("a web page answered 200 at the API path (a GUI's fallback): exit 2, not an authentication bypass", async () => {
      const page = '<!doctype html><html><body><div id="app"></div></body></html>';
      const t = keep(
        await httpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page)),
      );
      const r = await runConformance(configFor(t.url + '/api/v3/onezone'));
      expect(r.exitCode, notPassed(r)).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_BASE_URL']);
      expect(r.errors[0]?.message).to.include('with a web page (text/html)');
      // A page that shows a token to anyone is judged: that may be the leak the checks exist for.
      const s = keep(await startStandin({}));
      const [token] = await listOf(s);
      const proxy = keep(
        await proxyTo(s.url, (req) =>
          hasCredentials(JSON.stringify(req.headers))
            ? undefined
            : { status: 200, body: `<html>${token ?? ''}</html>`, headers: { 'content-type': 'text/html' } },
        ),
      );
      const leak = await runConformance(standinConfig(s, { target: proxy.url + new URL(s.url).pathname }));
      expect(leak.exitCode, notPassed(leak)).to.equal(1);
      expect(leak.checks.find((c) => c.id === 'auth-none-rejected')?.status).to.equal('failed');
    });

    it('https:// against a plain-HTTP port', async () => {
      const s = keep(await startStandin({}));
      const r = await runConformance(standinConfig(s, { target: s.url.replace(/^http:/, 'https:') }));
      expect(r.exitCode).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_TLS']);
      expect(r.errors[0]?.message).to.include('is the target http://?');
    });

    it('an HTTPS zone whose CA is not trusted: E_TLS with the hint to give --ca', async () => {
      const s = keep(await startStandin({ https: true }));
      const r = await runConformance(standinConfig(s));
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_TLS']);
      expect(r.errors[0]?.message).to.include('--ca FILE');
    });

    it('a wrong --user password', async () => {
      const s = keep(await startStandin({}));
      const [u] = s.users;
      const r = await runConformance(standinConfig(s, { user: { name: u?.name ?? '', password: 'wrong-pass' } }));
      expect(r.exitCode).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_CREDENTIALS']);
      expect(r.errors[0]?.message).to.match(new RegExp(`Basic credentials of ${u?.name ?? ''} are rejected.*password`));
      expect(JSON.stringify(r)).not.to.include('wrong-pass');
    });

    it('a wrong --other-user password, named as the other user', async () => {
      const s = keep(await startStandin({}));
      const [, o] = s.users;
      const r = await runConformance(standinConfig(s, { otherUser: { name: o?.name ?? '', password: 'nope-nope' } }));
      expect(r.exitCode).to.equal(2);
      expect(r.errors[0]?.code).to.equal('E_CREDENTIALS');
      expect(r.errors[0]?.message).to.include('--other-user');
    });

    it('--other-user equal to --user', async () => {
      const s = keep(await startStandin({}));
      const [u] = s.users;
      const r = await runConformance(
        standinConfig(s, { otherUser: { name: u?.name ?? '', password: u?.password ?? '' } }),
      );
      expect(r.exitCode).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_USAGE']);
      expect(r.errors[0]?.message).to.include('same user');
    });

    it("a --token that is not the user's", async () => {
      const s = keep(await startStandin({}));
      const [, o] = s.users;
      const [foreign] = s.mintTokens(o?.name ?? '', 1);
      const r = await runConformance(standinConfig(s, { token: foreign ?? '' }));
      expect(r.exitCode, notPassed(r)).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_CREDENTIALS']);
      expect(r.errors[0]?.message).to.include('does not authenticate as');
    });

    it('a rejected --token', async () => {
      const s = keep(await startStandin({}));
      const r = await runConformance(standinConfig(s, { token: 'MDAxNWxvY2F00aW9uIG9uZXpvbmUK' }));
      expect(r.exitCode).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_CREDENTIALS']);
    });

    it("the user's own --token passes the preflight", async () => {
      const s = keep(await startStandin({}));
      const [u] = s.users;
      const [own] = s.mintTokens(u?.name ?? '', 1);
      const r = await runConformance(standinConfig(s, { token: own ?? '' }));
      expect(r.errors, notPassed(r)).to.deep.equal([]);
      expect(r.exitCode, notPassed(r)).to.equal(0);
    });

    it('http:// against an HTTPS server', async () => {
      const s = keep(await startStandin({ https: true }));
      const r = await runConformance(standinConfig(s, { target: s.url.replace(/^https:/, 'http:') }));
      expect(r.exitCode).to.equal(2);
      expect(r.errors.map((e) => e.code)).to.deep.equal(['E_BASE_URL']);
      expect(r.errors[0]?.message).to.include('use https://');
    });

    it('a --token with CR LF is refused before anything is sent', async () => {
      const t: HostileServer = keep(await rawServer(fixed(200, {})));
      let err: unknown;
      try {
        await runConformance(configFor(t.url, { token: 'abc\r\nx-evil: 1' }));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(HarnessError);
      expect((err as HarnessError).code).to.equal('E_USAGE');
      expect(t.connections()).to.equal(0);
    });
  });
});

describe('runs against the stand-in of a zone that cannot serve, or refuses the given credentials', function () {
  this.timeout(30000);
  let s: RunningStandin | undefined;
  let proxy: HostileServer | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await s?.close();
  });

  it('21.02.6 with its circuit breaker open: exit 2, E_UNAVAILABLE naming the breaker', async () => {
    s = await startStandin({ version: '21.02.7', breakerOpen: true });
    const r = await runConformance(standinConfig(s, { profile: 'auto', allowWrites: true }));
    expect(r.exitCode, notPassed(r)).to.equal(2);
    expect(r.summary.failed).to.equal(0);
    expect(r.errors.map((e) => e.code)).to.deep.equal(['E_UNAVAILABLE']);
    expect(r.errors[0]?.message).to.include('circuit breaker');
  });

  it('the breaker opening mid-run: the checks after it are errored, none failed, exit 2', async () => {
    // A fresh account: choosing a usable token among a lived-in list is the core's issue 12 work.
    const standin = await startStandin({ version: '21.02.7', account: 'fresh' });
    s = standin;
    let seen = 0;
    proxy = await proxyTo(standin.url, () => {
      if (++seen === 12) standin.setSwitches({ breakerOpen: true });
      return undefined;
    });
    const r = await runConformance(
      standinConfig(standin, { target: proxy.url + new URL(standin.url).pathname, profile: 'onezone-20.02' }),
    );
    expect(r.summary.failed, notPassed(r)).to.equal(0);
    expect(r.exitCode).to.equal(2);
    expect(r.checks.filter((c) => c.status === 'errored').map((c) => c.code)).to.include('E_UNAVAILABLE');
  });

  it('Basic turned off on the zone: exit 2 with the hint to give --token', async () => {
    s = await startStandin({ version: '21.02.7', basicAuthDisabled: true });
    const r = await runConformance(standinConfig(s, { profile: 'onezone-20.02' }));
    expect(r.exitCode).to.equal(2);
    expect(r.errors.map((e) => e.code)).to.deep.equal(['E_CREDENTIALS']);
    expect(r.errors[0]?.message).to.match(/basicAuthNotSupported.*--token/);
  });

  it('a blocked user: exit 2 naming userBlocked', async () => {
    const standin = await startStandin({ version: '21.02.7' });
    s = standin;
    standin.setSwitches({ blockedUsers: [standin.users[0]?.name ?? ''] });
    const r = await runConformance(standinConfig(standin, { profile: 'onezone-20.02' }));
    expect(r.exitCode).to.equal(2);
    expect(r.errors[0]?.code).to.equal('E_CREDENTIALS');
    expect(r.errors[0]?.message).to.include('userBlocked');
  });
});
