import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { checkById } from '../checks/index.js';
import { compileSchemas } from '../checks/schemas.js';
import { CheckSession } from '../checks/context/session.js';
import { HttpClient } from '../http.js';
import { getProfile, type ProfileId } from '../profiles.js';
import { Redactor } from '../redact.js';
import { executeCheck, type Outcome } from '../run.js';

/**
 * Single checks against tiny programmable servers: each rule shown failing on a response that breaks exactly
 * it, and passing on one that keeps it. Cheap, and independent of the stand-in.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const ALICE = { name: 'alice', password: 'alice-unit-password' };
const BASIC = 'Basic ' + Buffer.from(`${ALICE.name}:${ALICE.password}`).toString('base64');
const TOKENS = [
  'MDAxNWxvY2F00aW9uIG9uZXpvbmUKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'MDAxNWxvY2F00aW9uIG9uZXpvbmUKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
];

/** A minimal 17.06-like answer to the list, for the parts a check does not look at. */
const faithful: Handler = (req, res) => {
  if (['PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')) {
    res.writeHead(405, { allow: 'GET, POST' }).end();
  } else if (req.headers.authorization === BASIC) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens: TOKENS }));
  } else if (req.headers.authorization) {
    res.writeHead(401).end('{"error":"Provided basic authorization credentials are not valid"}');
  } else {
    res.writeHead(404).end();
  }
};

/** Overrides one kind of answer of the faithful server. */
const breaking =
  (when: (req: IncomingMessage) => boolean, answer: Handler): Handler =>
  (req, res) => {
    if (when(req)) answer(req, res);
    else faithful(req, res);
  };

describe('single checks against programmable servers', function () {
  const servers: Server[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  async function judge(id: string, handler: Handler, profileId: ProfileId = 'onezone-17.06'): Promise<Outcome> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => {
      server.listen(0, '127.0.0.1', r);
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/onezone`;
    const redactor = new Redactor();
    const http = new HttpClient({ timeoutMs: 2000, redactor });
    const profile = getProfile(profileId);
    const session = new CheckSession({
      baseUrl: base,
      http,
      redactor,
      profile,
      schemas: compileSchemas(profile.specVersion),
      user: ALICE,
      allowWrites: false,
    });
    const check = checkById(id);
    if (!check) throw new Error(`no check ${id}`);
    try {
      // Secrets checks judge what earlier checks saw: run the request-making check first.
      if (id.startsWith('secrets-')) await executeCheck(checkById('auth-basic-wrong-password') ?? check, session);
      return await executeCheck(check, session);
    } finally {
      await http.close();
    }
  }

  const noCreds = (req: IncomingMessage): boolean => req.headers.authorization === undefined && req.method === 'GET';
  const wrongCreds = (req: IncomingMessage): boolean =>
    req.headers.authorization !== undefined && req.headers.authorization !== BASIC;

  it('auth-none-rejected: passes on 404 with an empty body in 17.06, fails on a 404 with a body and on 200', async () => {
    expect((await judge('auth-none-rejected', faithful)).status).to.equal('passed');
    expect(
      (
        await judge(
          'auth-none-rejected',
          breaking(noCreds, (_q, s) => s.writeHead(404).end('nope')),
        )
      ).status,
    ).to.equal('failed');
    const bypass = breaking(noCreds, (_q, s) =>
      s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens: TOKENS })),
    );
    expect((await judge('auth-none-rejected', bypass)).status).to.equal('failed');
  });

  it('auth-none-rejected: 404 is not accepted in the 19.02 profile', async () => {
    expect((await judge('auth-none-rejected', faithful, 'onezone-19.02')).status).to.equal('failed');
  });

  it('auth-none-401: a 404 is a failure of this SHOULD check', async () => {
    const o = await judge('auth-none-401', faithful);
    expect(o.status).to.equal('failed');
    expect(o.message).to.match(/404/);
  });

  it('auth-basic-wrong-password: passes on 401 with Error JSON and no content-type; fails on 403, text, or a wrong shape', async () => {
    expect((await judge('auth-basic-wrong-password', faithful)).status).to.equal('passed');
    for (const bad of [
      (_q: IncomingMessage, s: ServerResponse) => s.writeHead(403).end('{"error":"x"}'),
      (_q: IncomingMessage, s: ServerResponse) =>
        s.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized'),
      (_q: IncomingMessage, s: ServerResponse) => s.writeHead(401).end('{"message":"x"}'),
    ]) {
      expect((await judge('auth-basic-wrong-password', breaking(wrongCreds, bad))).status).to.equal('failed');
    }
  });

  it('auth-basic-valid: fails on 203 and on a body cut short of its content-length', async () => {
    const ok = (q: IncomingMessage): boolean => q.headers.authorization === BASIC;
    expect((await judge('auth-basic-valid', faithful)).status).to.equal('passed');
    expect(
      (
        await judge(
          'auth-basic-valid',
          breaking(ok, (_q, s) => s.writeHead(203, { 'content-type': 'application/json' }).end('{"tokens":[]}')),
        )
      ).status,
    ).to.equal('failed');
    const cut = breaking(ok, (_q, s) => {
      s.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      s.write('{"tokens":[');
      setImmediate(() => s.socket?.destroy());
    });
    const o = await judge('auth-basic-valid', cut);
    expect(o.status).to.equal('failed');
    expect(o.message).to.match(/truncated/);
  });

  it('shape checks: content type, nulls and duplicates each fail on exactly their defect', async () => {
    const ok = (q: IncomingMessage): boolean => q.headers.authorization === BASIC;
    const list = (body: string, type = 'application/json'): Handler =>
      breaking(ok, (_q, s) => s.writeHead(200, { 'content-type': type }).end(body));
    const good = JSON.stringify({ tokens: TOKENS });
    expect((await judge('shape-list-content-type', list(good, 'text/plain'))).status).to.equal('failed');
    expect((await judge('shape-list-content-type', list(good))).status).to.equal('passed');
    expect((await judge('shape-list-no-null', list(JSON.stringify({ tokens: [TOKENS[0], null] })))).status).to.equal(
      'failed',
    );
    expect((await judge('shape-list-no-null', list(good))).status).to.equal('passed');
    expect(
      (await judge('shape-list-no-duplicates', list(JSON.stringify({ tokens: [TOKENS[0], TOKENS[0]] })))).status,
    ).to.equal('failed');
    expect((await judge('shape-list-no-duplicates', list(good))).status).to.equal('passed');
    expect((await judge('shape-list-schema', list('tokens: a,b'))).status).to.equal('failed');
  });

  it('http-405-*: fail on 404 and on a missing Allow header', async () => {
    const methods = (q: IncomingMessage): boolean => ['PUT', 'PATCH', 'DELETE'].includes(q.method ?? '');
    expect((await judge('http-405-not-allowed', faithful)).status).to.equal('passed');
    expect((await judge('http-405-allow-header', faithful)).status).to.equal('passed');
    expect(
      (
        await judge(
          'http-405-not-allowed',
          breaking(methods, (_q, s) => s.writeHead(404).end()),
        )
      ).status,
    ).to.equal('failed');
    expect(
      (
        await judge(
          'http-405-allow-header',
          breaking(methods, (_q, s) => s.writeHead(405).end()),
        )
      ).status,
    ).to.equal('failed');
  });

  it('secrets-no-password: fails when an error echoes the submitted password, and redacts it in the evidence', async () => {
    const echo = breaking(wrongCreds, (q, s) => {
      const pw =
        Buffer.from((q.headers.authorization ?? '').slice(6), 'base64')
          .toString()
          .split(':')[1] ?? '';
      s.writeHead(401).end(JSON.stringify({ error: `bad password ${pw}` }));
    });
    const o = await judge('secrets-no-password', echo);
    expect(o.status).to.equal('failed');
    expect(JSON.stringify(o)).not.to.include(ALICE.password);
    expect((await judge('secrets-no-password', faithful)).status).to.equal('passed');
  });

  it('classifies a transport failure as errored with its code, not failed', async () => {
    const o = await judge('auth-none-401', (_q, s) => {
      s.socket?.destroy();
    });
    expect(o.status).to.equal('errored');
    expect(o.code).to.match(/^E_/);
  });
});

describe('a target that stops answering mid-run', function () {
  this.timeout(10000);
  let server: Server | undefined;
  after(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('ends the run with exit 2 within about twice the timeout, not one timeout per check', async () => {
    // Answers the preflight (no credentials), then never answers anything with credentials.
    server = createServer((req, res) => {
      if (req.headers.authorization === undefined && req.headers['x-auth-token'] === undefined)
        res.writeHead(404).end();
    });
    await new Promise<void>((r) => {
      server?.listen(0, '127.0.0.1', r);
    });
    const { runConformance } = await import('../run.js');
    compileSchemas('17.06'); // warm: the bound is about the network, not the one-time spec parse
    const timeoutMs = 300;
    const r = await runConformance({
      target: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/onezone`,
      user: ALICE,
      insecure: false,
      allowWrites: false,
      profile: 'onezone-17.06',
      timeoutMs,
      reportDir: 'x',
      embedded: false,
    });
    expect(r.exitCode).to.equal(2);
    expect(r.durationMs).to.be.below(2 * timeoutMs + 500); // margin: a loaded CI machine
    expect(r.checks.filter((c) => c.status === 'errored').map((c) => c.code)).to.include('E_TIMEOUT');
  });
});
