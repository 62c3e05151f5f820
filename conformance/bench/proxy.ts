import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy that counts the requests passing through it, so that the benchmark can count what a
 * tool sends without the stand-in exposing a counter: one request received is one request counted, however
 * many checks later cite its answer (the report's exchanges repeat memoised answers; this count does not).
 * It can also record the requests, for the floor row to replay. Only used for counting and recording: wall
 * times are measured without it, so its own latency never enters a timing.
 */

/** One request as the proxy received it. Holds credentials: kept in memory, written only to a 0600 file. */
export interface RecordedRequest {
  method: string;
  /** As sent: dot segments, double slashes and percent-encoding untouched. */
  path: string;
  headers: Record<string, string>;
  /** The body, base64 ('' for none). */
  body: string;
  /** When it arrived and when its answer was sent, ms since the recording began. */
  startMs: number;
  endMs: number;
  status: number;
  /** The answer's body (base64) to a POST: what the run created, which later requests may name. */
  responseBody?: string;
}

/** What the floor script reads: the origin to send to and the requests in the order they arrived. */
export interface Recording {
  origin: string;
  requests: RecordedRequest[];
}

export interface CountingProxy {
  /** The target URL with the proxy's origin in place of the target's (path, e.g. /api/v3/onezone, kept). */
  readonly url: string;
  /** Requests received since start or the last reset. */
  count(): number;
  /** Most requests in flight at once since start or the last reset. */
  peakInFlight(): number;
  /** The requests received since start or the last reset (with `record`), in arrival order. */
  recording(): Recording;
  reset(): void;
  close(): Promise<void>;
}

/** Hop-by-hop headers and those the sender computes: not part of what a request asks. */
const NOT_RECORDED = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** Forwards every request to the origin of `targetUrl` (http:// only), keeping method, path, headers and body. */
export async function startCountingProxy(targetUrl: string, opts: { record?: boolean } = {}): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  if (target.protocol !== 'http:') throw new Error('the counting proxy forwards to http:// only');
  const agent = new Agent({ keepAlive: true });
  let received = 0;
  let inFlight = 0;
  let peak = 0;
  let recorded: RecordedRequest[] = [];
  let epoch = performance.now();

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    received++;
    peak = Math.max(peak, ++inFlight);
    const method = req.method ?? '?';
    const entry: RecordedRequest | undefined = opts.record
      ? {
          method,
          path: req.url ?? '/',
          headers: Object.fromEntries(
            Object.entries(req.headers)
              .filter(([k]) => !NOT_RECORDED.has(k))
              .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
          ),
          body: '',
          startMs: performance.now() - epoch,
          endMs: Number.NaN,
          status: 0,
        }
      : undefined;
    if (entry) recorded.push(entry);
    const requestBody: Buffer[] = [];
    const responseBody: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      inFlight--;
      if (entry) {
        entry.endMs = performance.now() - epoch;
        entry.body = Buffer.concat(requestBody).toString('base64');
        if (method === 'POST') entry.responseBody = Buffer.concat(responseBody).toString('base64');
      }
    };
    res.once('finish', finish);
    res.once('close', finish);
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
        if (entry) entry.status = up.statusCode ?? 0;
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (entry && method === 'POST') up.on('data', (c: Buffer) => responseBody.push(c));
        up.pipe(res);
        // A body cut short upstream (fault truncated-body) must reach the client cut short, not completed.
        up.once('aborted', () => res.destroy());
      },
    );
    out.once('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    if (entry) req.on('data', (c: Buffer) => requestBody.push(c));
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
    count: () => received,
    peakInFlight: () => peak,
    recording: () => ({ origin: target.origin, requests: recorded }),
    reset: () => {
      received = 0;
      peak = inFlight;
      recorded = [];
      epoch = performance.now();
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
