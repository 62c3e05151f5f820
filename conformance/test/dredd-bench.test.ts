import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { growthReps, parseBenchArgs, withRecordingFile } from '../bench/bench.js';
import { changedStrings, replay, waitsFor } from '../bench/floor.js';
import { interleave, mapLimit, median, spread } from '../bench/measure.js';
import { bucketSelfTime, moduleStarts } from '../bench/profile.js';
import { startCountingProxy, type RecordedRequest } from '../bench/proxy.js';
import { formatMarkdown } from '../bench/table.js';
import {
  atLeast,
  atMost,
  judgeTargets,
  linearGrowth,
  ROW,
  type BenchResult,
  type GrowthRow,
  type RowId,
  type RowResult,
  type Target,
} from '../bench/targets.js';

/** The benchmark's own parts. The benchmark itself runs as `onezone-conformance bench`, never as a timed test. */

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}
const urlOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/onezone`;

describe('bench: counting and recording proxy', () => {
  let upstream: Server;
  let base = '';
  let reached = 0;

  before(async () => {
    upstream = await listen((req, res) => {
      reached++;
      // Answers like an authentication error of the real server: JSON without content-type.
      const slow = req.url?.includes('slow') === true;
      setTimeout(
        () => {
          if (req.method === 'POST') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"token":"t-1"}');
            return;
          }
          res.writeHead(req.url?.endsWith('/user/client_tokens') ? 401 : 404, { 'content-length': '2' });
          res.end('{}');
        },
        slow ? 50 : 0,
      );
    });
    base = urlOf(upstream);
  });

  after(() => close(upstream));

  it('counts each request that reached the server once, however many were in flight together', async () => {
    const proxy = await startCountingProxy(base);
    try {
      expect(proxy.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3\/onezone$/);
      reached = 0;
      const a = await fetch(`${proxy.url}/user/client_tokens`);
      expect(a.status).to.equal(401);
      expect(a.headers.get('content-type'), 'no content-type is added on the way').to.equal(null);
      expect(await a.text()).to.equal('{}');
      const b = await fetch(`${proxy.url}/elsewhere`, { method: 'DELETE' });
      expect(b.status).to.equal(404);
      await b.text();
      await Promise.all([1, 2, 3].map(async (i) => (await fetch(`${proxy.url}/slow/${i}`)).text()));
      expect(proxy.count()).to.equal(5);
      expect(proxy.count()).to.equal(reached);
      expect(proxy.peakInFlight()).to.equal(3);
      proxy.reset();
      expect(proxy.count()).to.equal(0);
      expect(proxy.recording().requests, 'nothing recorded unless asked').to.deep.equal([]);
    } finally {
      await proxy.close();
    }
  });

  it('records method, path as sent, headers and body, and the answer to a POST', async () => {
    const proxy = await startCountingProxy(base, { record: true });
    try {
      await (await fetch(`${proxy.url}/user/client_tokens`, { headers: { 'x-auth-token': 'abc' } })).text();
      await (
        await fetch(`${proxy.url}/user/client_tokens`, {
          method: 'POST',
          body: '{"a":1}',
          headers: { 'content-type': 'application/json' },
        })
      ).text();
      const rec = proxy.recording();
      expect(rec.origin).to.equal(new URL(base).origin);
      const [get, post] = rec.requests as [RecordedRequest, RecordedRequest];
      expect(rec.requests).to.have.length(2);
      expect(get).to.include({ method: 'GET', path: '/api/v3/onezone/user/client_tokens', body: '', status: 401 });
      expect(get.headers['x-auth-token']).to.equal('abc');
      expect(get.headers, 'hop-by-hop headers and host are not part of the request').not.to.have.any.keys(
        'host',
        'connection',
        'content-length',
      );
      expect(get.endMs).to.be.at.least(get.startMs);
      expect(get.responseBody).to.equal(undefined);
      expect(Buffer.from(post.body, 'base64').toString()).to.equal('{"a":1}');
      expect(Buffer.from(post.responseBody ?? '', 'base64').toString()).to.equal('{"token":"t-1"}');
    } finally {
      await proxy.close();
    }
  });
});

describe('bench: the floor replay', () => {
  it('waits for exactly the requests answered before a request was sent', () => {
    const at = (startMs: number, endMs: number) => ({ startMs, endMs });
    // 0 and 1 overlapped; 2 came after both; 3 overlapped 2.
    expect(waitsFor([at(0, 10), at(1, 9), at(11, 20), at(12, 15), at(21, 22)])).to.deep.equal([
      [],
      [],
      [0, 1],
      [0, 1],
      [0, 1, 2, 3],
    ]);
  });

  it("maps what a recorded POST's answer named onto what the replay's answer names", () => {
    const map = new Map<string, string>();
    changedStrings({ token: 'old/tok', n: 1, same: 'x' }, { token: 'new/tok', n: 2, same: 'x' }, map);
    expect([...map]).to.deep.equal([
      ['old/tok', 'new/tok'],
      ['old%2Ftok', 'new%2Ftok'],
    ]);
  });

  it('sends the recorded requests, naming the tokens the replay created, and reads every answer', async () => {
    let minted = 0;
    const seen: string[] = [];
    const server = await listen((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''} ${String(req.headers['x-auth-token'] ?? '')}`);
      if (req.method === 'POST') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token: `fresh-${++minted}` }));
        return;
      }
      res.writeHead(200);
      res.end('x'.repeat(1000));
    });
    try {
      const origin = new URL(urlOf(server)).origin;
      const req = (over: Partial<RecordedRequest>): RecordedRequest => ({
        method: 'GET',
        path: '/api/v3/onezone/user/client_tokens',
        headers: {},
        body: '',
        startMs: 0,
        endMs: 1,
        status: 200,
        ...over,
      });
      const counts = await replay({
        origin,
        requests: [
          req({ method: 'POST', responseBody: Buffer.from('{"token":"recorded-1"}').toString('base64'), endMs: 2 }),
          req({ path: '/api/v3/onezone/user/client_tokens', headers: { 'x-auth-token': 'recorded-1' }, startMs: 3 }),
          req({ method: 'DELETE', path: '/api/v3/onezone/user/client_tokens/recorded-1', startMs: 3, endMs: 4 }),
          req({ path: '/api/v3/onezone/./user//client_tokens', startMs: 5, endMs: 6 }),
        ],
      });
      expect(counts).to.include({ requests: 4, failed: 0 });
      expect(seen).to.have.length(4);
      expect(seen).to.include('GET /api/v3/onezone/user/client_tokens fresh-1');
      expect(seen).to.include('DELETE /api/v3/onezone/user/client_tokens/fresh-1 ');
      expect(seen, 'the path goes as recorded').to.include('GET /api/v3/onezone/./user//client_tokens ');
    } finally {
      await close(server);
    }
  });

  it("keeps the floor's input (it holds passwords) in a 0600 file that is gone afterwards, also after a throw", async () => {
    let kept = '';
    await withRecordingFile(async (file, write) => {
      kept = file;
      write({ origin: 'http://127.0.0.1:1', requests: [] });
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      expect(statSync(dirname(file)).mode & 0o077, 'its directory is private too').to.equal(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({ origin: 'http://127.0.0.1:1', requests: [] });
      await Promise.resolve();
    });
    expect(existsSync(kept)).to.equal(false);
    expect(existsSync(dirname(kept))).to.equal(false);
    const boom = new Error('boom');
    let thrown: unknown;
    await withRecordingFile(async (file, write) => {
      kept = file;
      write({ origin: 'http://127.0.0.1:1', requests: [] });
      await Promise.resolve();
      throw boom;
    }).catch((e: unknown) => (thrown = e));
    expect(thrown).to.equal(boom);
    expect(existsSync(dirname(kept))).to.equal(false);
  });
});

describe('bench: arithmetic and order', () => {
  it('takes min, median and max, and keeps input order under a concurrency limit', async () => {
    expect(median([5, 1, 3])).to.equal(3);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(spread([30, 10.04, 20])).to.deep.equal({ min: 10, median: 20, max: 30, n: 3 });
    expect(spread([7])).to.deep.equal({ min: 7, median: 7, max: 7, n: 1 });
    expect(spread([]).n).to.equal(0);
    expect(Number.isNaN(spread([]).median)).to.equal(true);
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([30, 10, 20, 5], 2, async (x) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 2;
    });
    expect(out).to.deep.equal([60, 20, 40, 10]);
    expect(peak).to.equal(2);
  });

  it('runs every row once per round, each round starting one row later', () => {
    const order = interleave(['a', 'b', 'c'], 4).map((x) => `${x.round}${x.row}`);
    expect(order).to.deep.equal(['0a', '0b', '0c', '1b', '1c', '1a', '2c', '2a', '2b', '3a', '3b', '3c']);
    expect(interleave(['a'], 2).map((x) => x.row)).to.deep.equal(['a', 'a']);
    expect(interleave([], 3)).to.deep.equal([]);
  });

  it('runs growth sizes up to 3 times, and once from 100,000 tokens', () => {
    expect(growthReps(10, 5)).to.equal(3);
    expect(growthReps(10, 1)).to.equal(1);
    expect(growthReps(100_000, 5)).to.equal(1);
  });
});

const spreadOf = (median: number) => ({ min: median, median, max: median, n: 1 });
const rowOf = (id: RowId, median: number, requests: number | null = 10): RowResult => ({
  id,
  command: id,
  wallMs: spreadOf(median),
  samples: [median],
  exitCodes: [0],
  requests,
});
const base: Omit<BenchResult, 'targets'> = {
  generatedAt: '2026-12-03T00:00:00.000Z',
  command: 'onezone-conformance bench',
  machine: { node: 'v20', platform: 'linux x64', cpu: 'cpu', cpus: 2, loadAtStart: [0.1, 0.2, 0.3], loadAtEnd: [] },
};
const growthRow = (tokens: number, wall: number, rss: number): GrowthRow => ({
  tokens,
  wallMs: spreadOf(wall),
  maxRssMb: spreadOf(rss),
  requests: null,
  exitCodes: [0],
});
const find = (ts: readonly Target[], text: string): Target => {
  const t = ts.find((x) => x.target.includes(text));
  if (!t) throw new Error(`no target with "${text}"`);
  return t;
};

describe('bench: targets', () => {
  it('says met or not and by how much, at the limit counting as met', () => {
    expect(atMost(500, 500, String)).to.deep.equal({ met: true, by: '0 (0 %) under the limit' });
    expect(atMost(600, 500, String)).to.deep.equal({ met: false, by: '100 (20 %) over the limit' });
    expect(atMost(Number.NaN, 500, String).met).to.equal(false);
    expect(atLeast(1000, 1000, String).met).to.equal(true);
    expect(atLeast(900, 1000, String)).to.deep.equal({ met: false, by: '100 (10 %) short' });
  });

  const speed = (bin: number, dredd: number, floor: number, npx = 1500, npxDredd = 2000): Target[] =>
    judgeTargets({
      ...base,
      speed: {
        rounds: 1,
        seed: 1,
        standin: 's',
        rows: [
          rowOf(ROW.npxRun, npx),
          rowOf(ROW.binRun, bin),
          rowOf(ROW.npxDredd, npxDredd, 2),
          rowOf(ROW.binDredd, dredd, 2),
          rowOf(ROW.floor, floor),
          rowOf(ROW.nodeE0, 40, 0),
        ],
      },
    });

  it('judges the run against Dredd through the bin, shows npx, and the floor', () => {
    const met = speed(400, 800, 160);
    expect(find(met, 'Dredd, both through the bin')).to.include({ met: true, judged: true });
    expect(find(met, 'through npx')).to.include({ met: false, judged: false });
    expect(find(met, '2.5 × the floor')).to.include({ met: true, judged: true });
    const missed = speed(401, 800, 160.3);
    expect(find(missed, 'Dredd, both through the bin')).to.include({ met: false, by: '1 ms (0 %) over the limit' });
    expect(find(missed, '2.5 × the floor').met).to.equal(false);
    const missing = judgeTargets({
      ...base,
      speed: { rounds: 1, seed: 1, standin: 's', rows: [rowOf(ROW.binRun, 1)] },
    });
    expect(find(missing, 'Dredd, both through the bin')).to.include({
      met: null,
      evidence: 'not measured in this run',
    });
  });

  it('judges no figures of a run that did not exit 0, and says which and why', () => {
    const broken = { ...rowOf(ROW.binRun, 100), exitCodes: [0, 2], errorCodes: ['E_TIMEOUT'] };
    const t = judgeTargets({
      ...base,
      speed: { rounds: 2, seed: 1, standin: 's', rows: [broken, rowOf(ROW.binDredd, 900), rowOf(ROW.floor, 300)] },
      growth: [
        growthRow(10, 500, 100),
        growthRow(1000, 520, 101),
        growthRow(10_000, 700, 110),
        { ...growthRow(100_000, 2500, 200), exitCodes: [2], errorCodes: ['E_DEADLINE'] },
      ],
    });
    expect(find(t, 'Dredd, both through the bin')).to.include({
      met: null,
      evidence: 'not judged: `bin-run` exited 0, 2 (E_TIMEOUT)',
    });
    expect(find(t, '2.5 × the floor').met).to.equal(null);
    expect(find(t, 'time linear').met).to.equal(null);
    expect(find(t, 'peak RSS')).to.include({ met: null });
    expect(find(t, 'peak RSS').evidence).to.match(/^not judged: 100000 tokens exited 2 \(E_DEADLINE\)/);
  });

  it('judges the default run against --depth 0 and the thorough rate', () => {
    const t = judgeTargets({
      ...base,
      depth: {
        rows: [rowOf(ROW.binRunDepth0, 600, 100), rowOf(ROW.binRun, 900, 160), rowOf(ROW.binRunThorough, 60_000, 2100)],
      },
    });
    expect(find(t, '--depth 0').met).to.equal(true);
    expect(find(t, 'generated requests per minute')).to.include({ met: true });
    expect(find(t, 'generated requests per minute').evidence).to.match(/^2000\/min: 2000 requests/);
    const slow = judgeTargets({
      ...base,
      depth: {
        rows: [rowOf(ROW.binRunDepth0, 600, 100), rowOf(ROW.binRun, 901, 160), rowOf(ROW.binRunThorough, 60_000, 2099)],
      },
    });
    expect(find(slow, '--depth 0').met).to.equal(false);
    expect(find(slow, 'generated requests per minute').met).to.equal(false);
    const unmeasured = judgeTargets({ ...base, depth: { rows: [rowOf(ROW.binRun, 1)] } });
    expect(find(unmeasured, 'generated requests per minute').met).to.equal(null);
  });

  it('calls growth linear while the cost per token does not grow, and checks peak RSS at 100,000 tokens', () => {
    const linear = [growthRow(10, 500, 100), growthRow(1000, 520, 101), growthRow(10_000, 700, 110)];
    expect(linearGrowth([...linear, growthRow(100_000, 2500, 200)]).met).to.equal(true);
    expect(linearGrowth([...linear, growthRow(100_000, 9000, 200)]).met, 'quadratic').to.equal(false);
    expect(linearGrowth(linear.slice(0, 2)).met, 'two sizes cannot tell').to.equal(null);
    const t = judgeTargets({ ...base, growth: [...linear, growthRow(100_000, 2500, 249.9)] });
    expect(find(t, 'peak RSS')).to.include({ met: true });
    const fat = judgeTargets({ ...base, growth: [...linear, growthRow(100_000, 2500, 250)] });
    expect(find(fat, 'peak RSS').met).to.equal(false);
    expect(find(judgeTargets({ ...base, growth: linear }), 'peak RSS').met, 'not measured').to.equal(null);
  });

  it('judges the wrong-password rows, not the right-password reference', () => {
    const w = (kind: 'distinct' | 'repeated' | 'right', perSecond: number) => ({
      kind,
      label: kind,
      requests: 2000,
      concurrency: 32,
      wallMs: 1,
      perSecond,
      statuses: { '401': 2000 },
    });
    const t = judgeTargets({ ...base, wrongpw: [w('distinct', 999), w('repeated', 1000), w('right', 5)] });
    expect(t.map((x) => x.met)).to.deep.equal([false, true]);
  });

  it('counts a fault as caught only with the expected exit and every named check failed', () => {
    const t = judgeTargets({
      ...base,
      detection: [
        {
          scenario: 'faithful',
          kind: 'faithful',
          expectedExit: 0,
          runner: { exit: 0, ok: true, missing: [] },
          dredd: { exit: 0, ok: true },
        },
        {
          scenario: 'a',
          kind: 'fault',
          expectedExit: 1,
          runner: { exit: 1, ok: true, missing: [] },
          dredd: { exit: 0, ok: false },
        },
        {
          scenario: 'b',
          kind: 'fault',
          expectedExit: 1,
          runner: { exit: 1, ok: false, missing: ['x'] },
          dredd: { exit: 1, ok: true },
        },
      ],
    });
    expect(t[0]).to.include({ met: false, evidence: '1/2 (Dredd: 1/2)', by: '1 missed' });
    expect(t[1]?.met).to.equal(true);
  });
});

describe('bench: the table', () => {
  it('shows every row side by side with min, median and max, requests, ratios and verdicts', () => {
    const partial: Omit<BenchResult, 'targets'> = {
      ...base,
      speed: {
        rounds: 3,
        seed: 7,
        standin: 'stand-in',
        rows: [
          { ...rowOf(ROW.npxRun, 1400, 163), wallMs: { min: 1300, median: 1400, max: 1500, n: 3 } },
          rowOf(ROW.binRun, 700, 163),
          rowOf(ROW.npxDredd, 1600, 2),
          rowOf(ROW.binDredd, 900, 2),
          rowOf(ROW.floor, 300, 163),
          rowOf(ROW.nodeE0, 40, 0),
        ],
        floor: { concurrency: 'as recorded', runPeakInFlight: 3, floorPeakInFlight: 3, floorFailed: 0 },
      },
      growth: [growthRow(10, 500, 100), growthRow(100_000, 5000, 200)],
      wrongpw: [
        {
          kind: 'distinct',
          label: 'distinct',
          requests: 2000,
          concurrency: 32,
          wallMs: 1000,
          perSecond: 2000,
          statuses: { '401': 2000 },
        },
      ],
    };
    const md = formatMarkdown({ ...partial, targets: judgeTargets(partial) });
    expect(md).to.include('| `npx-run` | 1300 ms / **1400 ms** / 1500 ms | 163 | 0.88× | 4.67× | 0 |');
    expect(md).to.include('| `bin-run` | 700 ms | 163 | 0.78× | 2.33× | 0 |');
    expect(md).to.include('| `node-e-0` | 40 ms | 0 | – | – | 0 |');
    expect(md).to.match(/Dredd, both through the bin.*\| \*\*not met\*\* \| 250 ms \(56 %\) over the limit \|/);
    expect(md).to.include('**not met** (shown, not judged)');
    expect(md).to.include('Load average (1, 5, 15 min) at the start: 0.10, 0.20, 0.30; at the end: n/a.');
    expect(md).to.include('| 100000 | 5000 ms | 200.0 MB | – | 0 |');
    expect(md).to.include('| distinct | 2000 | 32 | 1000 ms | 2000 | 401: 2000 |');
    expect(md).not.to.include('exchanges');
  });
});

describe('bench: profile and options', () => {
  it('buckets CPU profile self time by package, also inside the bundle', () => {
    const bundle = [
      'import x from "y";',
      '// node_modules/undici/lib/core/util.js',
      'function u() {}',
      '// dist/conformance/checks/auth.js',
      'function a() {}',
    ].join('\n');
    expect(moduleStarts(bundle)).to.deep.equal([
      { line: 1, module: 'node_modules/undici/lib/core/util.js' },
      { line: 3, module: 'dist/conformance/checks/auth.js' },
    ]);
    const profile = {
      nodes: [
        { id: 1, callFrame: { url: '', functionName: '(garbage collector)' } },
        { id: 2, callFrame: { url: 'file:///r/node_modules/yaml/dist/parse.js', functionName: 'parse' } },
        { id: 3, callFrame: { url: 'file:///r/node_modules/@scope/pkg/x.js', functionName: 'f' } },
        { id: 4, callFrame: { url: 'file:///r/dist/conformance/checks/auth.js', functionName: 'g' } },
        { id: 5, callFrame: { url: 'node:internal/modules/esm/loader', functionName: 'load' } },
        { id: 6, callFrame: { url: 'file:///r/dist/bin/chunks/c.js', functionName: 'u', lineNumber: 2 } },
        { id: 7, callFrame: { url: 'file:///r/dist/bin/chunks/c.js', functionName: 'a', lineNumber: 4 } },
      ],
      samples: [2, 2, 3, 4, 5, 1, 6, 7],
      timeDeltas: [1000, 2000, 500, 250, 4000, 100, 700, 50],
    };
    const starts = moduleStarts(bundle);
    const inBundle = (url: string, line: number): string | undefined =>
      url.includes('/dist/bin/') ? starts.filter((s) => s.line <= line).at(-1)?.module : undefined;
    const b = Object.fromEntries(bucketSelfTime(JSON.stringify(profile), inBundle).map((x) => [x.bucket, x.selfMs]));
    expect(b).to.deep.equal({
      'node internals': 4,
      'dep: yaml': 3,
      'dep: undici': 0.7,
      'dep: @scope/pkg': 0.5,
      'ours: checks/': 0.3,
      '(garbage collector)': 0.1,
    });
  });

  it('rejects bad arguments and defaults to 5 rounds and 10/1,000/10,000/100,000 tokens', () => {
    const d = parseBenchArgs([]);
    expect(d.reps).to.equal(5);
    expect(d.sizes).to.deep.equal([10, 1000, 10000, 100000]);
    expect(Object.values(d.phases).every(Boolean)).to.equal(true);
    expect(parseBenchArgs(['--only', 'speed,wrongpw']).phases).to.deep.equal({
      speed: true,
      depth: false,
      growth: false,
      wrongpw: true,
      detection: false,
      profile: false,
    });
    expect(() => parseBenchArgs(['--reps', '0'])).to.throw(/positive integer/);
    expect(() => parseBenchArgs(['--only', 'speed,fast'])).to.throw(/--only takes some of .*: fast/);
  });
});
