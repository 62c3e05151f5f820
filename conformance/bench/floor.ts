import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent } from 'undici';
import type { Recording, RecordedRequest } from './proxy.js';

// Of undici, only the Agent and its request(), wired as the bundled command takes them (UNDICI_FOR_BUNDLE in
// tools/build.ts): the package's index also loads fetch, WebSocket and mocks, a start a floor need not pay.
const require = createRequire(import.meta.url);
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: { request?: unknown } };
const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
Dispatcher.prototype.request = require('undici/lib/api/api-request.js') as unknown;

/**
 * The benchmark's floor row: `node dist/conformance/bench/floor.js FILE` sends the requests a recorded run
 * made (FILE, written by the bench with mode 0600 and deleted after: it holds the run's credentials), with
 * undici's Agent and nothing of ours, and reads every answer whole. No checks, no report: what any tool
 * making the same requests from Node must pay at least.
 *
 * Concurrency as recorded: a request waits for every request whose answer had been sent before it arrived at
 * the proxy, and for nothing else, so requests the run had in flight together go together. What the run
 * created (a POST's answer) is mapped onto what this replay creates, so that its later DELETEs and
 * authentications name the replay's tokens and the stand-in is left as the run left it.
 *
 * Prints one JSON line of counts on stdout; never a header, a path or a body.
 */

/** Every string in `recorded` that differs from the string in the same place in `fresh`. */
export function changedStrings(recorded: unknown, fresh: unknown, into: Map<string, string>): void {
  if (typeof recorded === 'string' && typeof fresh === 'string') {
    if (recorded !== fresh && recorded.length > 0) {
      into.set(recorded, fresh);
      const [a, b] = [encodeURIComponent(recorded), encodeURIComponent(fresh)];
      if (a !== recorded) into.set(a, b);
    }
    return;
  }
  if (typeof recorded !== 'object' || recorded === null || typeof fresh !== 'object' || fresh === null) return;
  for (const [k, v] of Object.entries(recorded)) changedStrings(v, (fresh as Record<string, unknown>)[k], into);
}

const rewrite = (s: string, map: ReadonlyMap<string, string>): string => {
  let out = s;
  for (const [from, to] of map) if (out.includes(from)) out = out.split(from).join(to);
  return out;
};

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * The replay's schedule: for each request (in arrival order), the requests it waits for. Pure; the schedule of
 * a run whose requests never overlapped is strictly sequential.
 */
export function waitsFor(requests: readonly Pick<RecordedRequest, 'startMs' | 'endMs'>[]): number[][] {
  return requests.map((r, i) =>
    requests.flatMap((p, j) => (j < i && Number.isFinite(p.endMs) && p.endMs <= r.startMs ? [j] : [])),
  );
}

export async function replay(rec: Recording): Promise<{ requests: number; failed: number; peakInFlight: number }> {
  const agent = new Agent({ headersTimeout: 30_000, bodyTimeout: 30_000 });
  const created = new Map<string, string>();
  let failed = 0;
  let inFlight = 0;
  let peak = 0;
  const send = async (r: RecordedRequest): Promise<void> => {
    peak = Math.max(peak, ++inFlight);
    try {
      const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, rewrite(v, created)]));
      const body =
        r.body === ''
          ? undefined
          : Buffer.from(rewrite(Buffer.from(r.body, 'base64').toString('latin1'), created), 'latin1');
      const res = await agent.request({
        origin: rec.origin,
        path: rewrite(r.path, created),
        method: r.method,
        headers,
        ...(body !== undefined && { body }),
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      if (r.responseBody !== undefined)
        changedStrings(
          parse(Buffer.from(r.responseBody, 'base64').toString('utf8')),
          parse(bytes.toString('utf8')),
          created,
        );
    } catch {
      failed++;
    } finally {
      inFlight--;
    }
  };
  const schedule = waitsFor(rec.requests);
  const sent: Array<Promise<void>> = [];
  for (const [i, r] of rec.requests.entries()) {
    const waits = (schedule[i] ?? []).flatMap((j) => sent.slice(j, j + 1));
    if (waits.length > 0) await Promise.all(waits);
    sent.push(send(r));
  }
  await Promise.all(sent);
  await agent.close();
  return { requests: rec.requests.length, failed, peakInFlight: peak };
}

// Run as a script (the bench's child), not when a test imports it.
const file = process.argv[2];
if (file !== undefined && process.argv[1]?.endsWith('floor.js') === true) {
  const counts = await replay(JSON.parse(readFileSync(file, 'utf8')) as Recording);
  process.stdout.write(JSON.stringify(counts) + '\n');
}
