import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy that counts the requests passing through it, so that the benchmark can count what a
 * tool sends without the stand-in exposing a counter. Only used for counting: wall times are measured
 * without it, so its own latency never enters a timing.
 */
export interface CountingProxy {
  /** The target URL with the proxy's origin in place of the target's (path, e.g. /api/v3/onezone, kept). */
  readonly url: string;
  /** Requests received since start or the last reset. */
  count(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Forwards every request to the origin of `targetUrl` (http:// only), keeping method, path, headers and body. */
export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  if (target.protocol !== 'http:') throw new Error('the counting proxy forwards to http:// only');
  const agent = new Agent({ keepAlive: true });
  let byMethod: Record<string, number> = {};

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? '?';
    byMethod[method] = (byMethod[method] ?? 0) + 1;
    const out = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        // A body cut short upstream (fault truncated-body) must reach the client cut short, not completed.
        up.once('aborted', () => res.destroy());
      },
    );
    out.once('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    req.pipe(out);
  };

  const server = createServer(forward);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = new URL(targetUrl);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.href.replace(/\/+$/, ''),
    count: () => Object.values(byMethod).reduce((a, b) => a + b, 0),
    reset: () => {
      byMethod = {};
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      agent.destroy();
    },
  };
}
