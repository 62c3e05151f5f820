import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { HttpClient } from '../http.js';
import { Redactor } from '../redact.js';
import { failure } from './support/hostile.js';

/** Transport failures are reported as what they are, with stable codes and a redacted exchange. */

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

describe('runner HTTP layer', () => {
  const servers: Server[] = [];
  const clients: HttpClient[] = [];
  const client = (timeoutMs = 2000): HttpClient => {
    const r = new Redactor();
    r.addCredentials('alice', 'alice-password');
    const c = new HttpClient({ timeoutMs, redactor: r });
    clients.push(c);
    return c;
  };
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('returns status, lower-cased headers, body and parsed JSON, and records a redacted exchange', async () => {
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"tokens":[],"echo":"alice-password"}');
    });
    servers.push(server);
    const res = await client().send({
      method: 'GET',
      url: url + '/x',
      headers: { authorization: 'Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=' },
    });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.json).to.deep.equal({ tokens: [], echo: 'alice-password' });
    expect(JSON.stringify(res.exchange)).not.to.include('alice-password');
    expect(JSON.stringify(res.exchange)).not.to.include('YWxpY2U6YWxpY2UtcGFzc3dvcmQ');
    expect(res.summary).to.match(/^GET \/x → 200 /);
  });

  it('returns a non-JSON body as text with jsonError, for the checks to fail on', async () => {
    const { server, url } = await listen((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('tokens: a,b'),
    );
    servers.push(server);
    const res = await client().send({ method: 'GET', url });
    expect(res.json).to.equal(undefined);
    expect(res.jsonError).to.match(/^not JSON/);
  });

  it('reports a body shorter than its content-length as E_TRUNCATED', async () => {
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"tokens":[');
      // End the connection without the rest: the declared length is never reached.
      setImmediate(() => res.socket?.destroy());
    });
    servers.push(server);
    const e = await failure(client().send({ method: 'GET', url }));
    expect(e.code).to.equal('E_TRUNCATED');
    expect(e.exchange.error?.code).to.equal('E_TRUNCATED');
  });

  // How soon the timeout fires is the bench's business, not a test's: a busy machine would make it flaky.
  it('reports a target that does not answer in time as E_TIMEOUT', async () => {
    const { server, url } = await listen(() => undefined);
    servers.push(server);
    const e = await failure(client(200).send({ method: 'GET', url }));
    expect(e.code).to.equal('E_TIMEOUT');
  });

  it('reports a refused connection as E_CONNECT', async () => {
    const { server, url } = await listen(() => undefined);
    await new Promise((r) => server.close(r));
    expect((await failure(client().send({ method: 'GET', url }))).code).to.equal('E_CONNECT');
  });
});
