import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { judgeTargets, parseBenchArgs, type BenchResult, type GrowthRow } from '../bench/bench.js';
import { mapLimit, median } from '../bench/measure.js';
import { bucketSelfTime } from '../bench/profile.js';
import { startCountingProxy } from '../bench/proxy.js';

/** The benchmark's own parts (the benchmark against Dredd runs as `npm run bench`, never as a timed test). */

describe('dredd benchmark: counting proxy', () => {
  let upstream: Server;
  let base = '';

  before(async () => {
    upstream = createServer((req, res) => {
      // Answers like an authentication error of the real server: JSON without content-type.
      res.writeHead(req.url?.endsWith('/user/client_tokens') ? 401 : 404, { 'content-length': '2' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api/v3/onezone`;
  });

  after(async () => {
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => {
      upstream.close(() => {
        resolve();
      });
    });
  });

  it('forwards requests unchanged under the same path prefix and counts them', async () => {
    const proxy = await startCountingProxy(base);
    try {
      expect(proxy.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3\/onezone$/);
      const a = await fetch(`${proxy.url}/user/client_tokens`);
      expect(a.status).to.equal(401);
      expect(a.headers.get('content-type'), 'no content-type is added on the way').to.equal(null);
      expect(await a.text()).to.equal('{}');
      const b = await fetch(`${proxy.url}/elsewhere`, { method: 'DELETE' });
      expect(b.status).to.equal(404);
      await b.text();
      expect(proxy.count()).to.equal(2);
      proxy.reset();
      expect(proxy.count()).to.equal(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('dredd benchmark: arithmetic and verdicts', () => {
  it('takes medians and keeps input order under a concurrency limit', async () => {
    expect(median([5, 1, 3])).to.equal(3);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
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

  const base: Omit<BenchResult, 'targets'> = {
    generatedAt: '',
    command: '',
    machine: { node: '', platform: '', cpu: '', cpus: 1 },
  };
  const row = (tokens: number, wallMsMedian: number, maxRssMbMedian: number): GrowthRow => ({
    tokens,
    wallMsMedian,
    maxRssMbMedian,
    requests: 40,
    exitCodes: [0],
  });

  it('says whether the speed targets are met', () => {
    const speed = (runner: number, dredd: number): BenchResult['targets'] =>
      judgeTargets({
        ...base,
        speed: {
          reps: 1,
          runner: { wallMsMedian: runner, wallMs: [runner], inProcessMsMedian: 1, requests: 40, exitCodes: [0] },
          dredd: { wallMsMedian: dredd, wallMs: [dredd], requests: 2, transactions: 2, exitCodes: [0] },
        },
      });
    expect(speed(800, 1800).map((t) => t.met)).to.deep.equal([true, true]);
    expect(speed(1200, 1000).map((t) => t.met)).to.deep.equal([false, false]);
  });

  it('flags growing memory and superlinear time', () => {
    const flat = judgeTargets({ ...base, growth: [row(10, 500, 100), row(1000, 520, 101), row(10000, 700, 110)] });
    expect(flat.map((t) => t.met)).to.deep.equal([true, true]);
    const bad = judgeTargets({ ...base, growth: [row(10, 500, 100), row(1000, 510, 150), row(10000, 9000, 400)] });
    expect(bad.map((t) => t.met)).to.deep.equal([false, false]);
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
    expect(t[0]).to.include({ met: false, evidence: '1/2' });
    expect(t[1]?.met).to.equal(true);
  });

  it('buckets CPU profile self time by package', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { url: '', functionName: '(garbage collector)' } },
        { id: 2, callFrame: { url: 'file:///r/node_modules/yaml/dist/parse.js', functionName: 'parse' } },
        { id: 3, callFrame: { url: 'file:///r/node_modules/@scope/pkg/x.js', functionName: 'f' } },
        { id: 4, callFrame: { url: 'file:///r/dist/conformance/checks/auth.js', functionName: 'g' } },
        { id: 5, callFrame: { url: 'node:internal/modules/esm/loader', functionName: 'load' } },
      ],
      samples: [2, 2, 3, 4, 5, 1],
      timeDeltas: [1000, 2000, 500, 250, 4000, 100],
    };
    const b = Object.fromEntries(bucketSelfTime(JSON.stringify(profile)).map((x) => [x.bucket, x.selfMs]));
    expect(b).to.deep.equal({
      'node internals': 4,
      'dep: yaml': 3,
      'dep: @scope/pkg': 0.5,
      'ours: checks/': 0.3,
      '(garbage collector)': 0.1,
    });
  });

  it('rejects bad arguments and defaults to 5 repetitions and 10/1,000/10,000 tokens', () => {
    const d = parseBenchArgs([]);
    expect(d.reps).to.equal(5);
    expect(d.sizes).to.deep.equal([10, 1000, 10000]);
    expect(parseBenchArgs(['--only', 'speed']).phases).to.deep.equal({
      speed: true,
      detection: false,
      growth: false,
      profile: false,
    });
    expect(() => parseBenchArgs(['--reps', '0'])).to.throw(/positive integer/);
  });
});
