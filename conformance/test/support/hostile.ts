import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { expect } from 'chai';
import { HarnessError } from '../../errors.js';
import type { HttpFailure } from '../../http.js';

/**
 * Servers that break HTTP on purpose, for the tests of what the runner does with them. Raw sockets where the
 * answer must not be HTTP (node:http would refuse to send it), node:http where it is HTTP but hostile. Every
 * server records the requests it saw, so that a test can assert what was (not) sent.
 */

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: string;
}

export interface HostileServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Every request head received, in order. */
  readonly seen: Seen[];
  /** Connections accepted (a request refused before sending opens none). */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** How a raw server answers one request: write bytes to the socket, end or destroy it. */
export type RawResponder = (sock: Socket, req: Seen) => void;

/** A TCP server that reads each request head and lets `respond` write whatever bytes it likes. */
export async function rawServer(respond: RawResponder): Promise<HostileServer> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((sock) => {
    connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    // The client tearing down a connection mid-answer is what most of these tests expect.
    sock.on('error', () => undefined);
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      const [method = '', path = ''] = (head.slice(0, end).split('\r\n')[0] ?? '').split(' ');
      const req = { method, path, headers: head.slice(0, end) };
      seen.push(req);
      respond(sock, req);
    };
    sock.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** An HTTP server whose handler may answer anything HTTP can carry. */
export async function httpServer(
  handler: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void,
): Promise<HostileServer> {
  const seen: Seen[] = [];
  let connections = 0;
  const server = createHttpServer((req, res) => {
    const s = { method: req.method ?? '', path: req.url ?? '', headers: JSON.stringify(req.headers) };
    seen.push(s);
    handler(req, res, s);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * What a proxy does with the target's answer: pass it through (undefined), replace it, delay it, or hold it
 * (never answer: the target acted, the client never learns it).
 */
export type Rewrite =
  | { status: number; body: string; headers?: Record<string, string> }
  | { delayMs: number }
  | 'hold'
  | 'endless'
  | undefined;

/** A transparent proxy to `target` whose answers `rewrite` may replace, delay or hold (see Rewrite). */
export function proxyTo(
  target: string,
  rewrite: (req: IncomingMessage, status: number, body: string) => Rewrite,
): Promise<HostileServer> {
  const t = new URL(target);
  return httpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          const parts: Buffer[] = [];
          upRes.on('data', (c: Buffer) => parts.push(c));
          upRes.on('end', () => {
            const body = Buffer.concat(parts).toString();
            const changed = rewrite(req, upRes.statusCode ?? 502, body);
            if (changed === 'hold') return;
            if (changed === 'endless') {
              // The target acted; its answer never ends.
              res.writeHead(200, { 'content-type': 'application/json' });
              const chunk = Buffer.alloc(64 * 1024, 'A');
              const pump = (): void => {
                while (!res.destroyed && res.write(chunk));
                if (!res.destroyed) res.once('drain', pump);
              };
              pump();
              return;
            }
            const headers = { ...upRes.headers };
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            const send = (): void => {
              if (changed && 'status' in changed)
                res.writeHead(changed.status, { ...headers, ...changed.headers }).end(changed.body);
              else res.writeHead(upRes.statusCode ?? 502, headers).end(body);
            };
            if (changed && 'delayMs' in changed) setTimeout(send, changed.delayMs);
            else send();
          });
        },
      );
      up.end(Buffer.concat(chunks));
    });
  });
}

/** Status line and headers, then as many bytes as the client will take, until it goes away. */
export function endlessBody(counter?: { bytes: number }): RawResponder {
  return (sock) => {
    sock.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"tokens":["');
    const chunk = Buffer.alloc(64 * 1024, 'A');
    const pump = (): void => {
      while (!sock.destroyed && sock.write(chunk)) if (counter) counter.bytes += chunk.length;
      if (!sock.destroyed) sock.once('drain', pump);
    };
    pump();
  };
}

/** A response with `n` headers: far more than any client accepts. */
export function manyHeaders(n: number): RawResponder {
  return (sock) => {
    const lines: string[] = ['HTTP/1.1 200 OK'];
    for (let i = 0; i < n; i++) lines.push(`x-h${i}: v`);
    sock.end(lines.join('\r\n') + '\r\ncontent-length: 2\r\n\r\n{}');
  };
}

/** Chunked encoding whose chunk size is not hexadecimal. */
export const brokenChunking: RawResponder = (sock) => {
  sock.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{"tokens":[]}\r\n0\r\n\r\n');
};

/** A 200 whose connection is reset (TCP RST) in the middle of its body. */
export const resetMidBody: RawResponder = (sock) => {
  sock.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"tokens":[');
  setTimeout(() => sock.resetAndDestroy(), 20);
};

/** The same answer to every request, with the given status and JSON body (and headers). */
export function fixed(status: number, body: unknown, headers: Record<string, string> = {}): RawResponder {
  return (sock) => {
    const text = JSON.stringify(body);
    sock.end(
      `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        'connection: close\r\n\r\n' +
        text,
    );
  };
}

/** The harness error a request to a broken target ends in (and a test failure when it ends otherwise). */
export async function failure(p: Promise<unknown>): Promise<HttpFailure> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(HarnessError);
    return e as HttpFailure;
  }
  throw new Error('expected a harness error');
}
