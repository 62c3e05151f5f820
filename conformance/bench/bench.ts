import { cpus, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DREDD_DEFAULTS, type DreddConfig } from '../dredd/config.js';
import { runDredd } from '../dredd/run.js';
import { HarnessError, isHarnessError } from '../errors.js';
import { parseFlags, type ParsedFlags } from '../cli/flags.js';
import type { Io } from '../cli/io.js';
import { fromRoot } from '../paths.js';
import type { ReportDocument } from '../report/types.js';
import { FAULTS } from '../standin/faults.js';
import { startStandin, type RunningStandin, type StandinOptions } from '../standin/server.js';
import { mapLimit, median, runNode, runnerCli, type ChildRun } from './measure.js';
import { profileRunner, type ProfileResult } from './profile.js';
import { startCountingProxy } from './proxy.js';
import { formatMarkdown } from './table.js';

/**
 * `npm run bench`: the conformance runner against Dredd 14.1.0 on the loopback stand-in, on this machine,
 * in one run: speed and request counts, detection power over every fault switch, and the runner's time and
 * peak memory as the token list grows. Prints a table; writes reports/bench/bench.md and bench.json.
 * Targets (from issue #6) are reported as met or not, never asserted.
 */

export interface BenchOptions {
  reps: number;
  sizes: number[];
  jobs: number;
  outDir: string;
  phases: { speed: boolean; detection: boolean; growth: boolean; profile: boolean };
}

export interface SpeedResult {
  reps: number;
  runner: { wallMsMedian: number; wallMs: number[]; inProcessMsMedian: number; requests: number; exitCodes: number[] };
  dredd: { wallMsMedian: number; wallMs: number[]; requests: number; transactions: number; exitCodes: number[] };
}

export interface DetectionRow {
  scenario: string;
  kind: 'faithful' | 'quirks' | 'fault';
  /** Expected runner exit code (faults.ts), 0 for the two modes. */
  expectedExit: number;
  runner: { exit: number | null; ok: boolean; missing: string[] };
  dredd: { exit: number | null; ok: boolean };
}

export interface GrowthRow {
  tokens: number;
  wallMsMedian: number;
  maxRssMbMedian: number;
  requests: number;
  exitCodes: number[];
}

export interface BenchResult {
  generatedAt: string;
  command: string;
  machine: { node: string; platform: string; cpu: string; cpus: number };
  speed?: SpeedResult;
  detection?: DetectionRow[];
  growth?: GrowthRow[];
  profile?: ProfileResult;
  targets: Array<{ target: string; met: boolean | null; evidence: string }>;
}

/** The benchmark's options from a command line (tests). Throws HarnessError E_USAGE. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const parsed = parseFlags('bench', argv, {});
  if (parsed.kind !== 'flags') throw new HarnessError('E_USAGE', 'see `onezone-conformance bench --help`');
  return benchOptionsFrom(parsed.flags, process.cwd());
}

/** Its flags are rows of the one table in cli/flags.ts; --out resolves from the person's working directory. */
export function benchOptionsFrom(flags: ParsedFlags, cwd: string): BenchOptions {
  const positive = (v: string, what: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new HarnessError('E_USAGE', `${what} must be a positive integer: ${v}`);
    return n;
  };
  const only = flags
    .string('only')
    ?.split(',')
    .map((s) => s.trim());
  const on = (phase: string): boolean => only === undefined || only.includes(phase);
  const reps = flags.string('reps');
  const jobs = flags.string('jobs');
  const out = flags.string('out');
  return {
    reps: reps !== undefined ? positive(reps, '--reps') : 5,
    sizes: (flags.string('sizes') ?? '10,1000,10000').split(',').map((s) => positive(s, '--sizes')),
    jobs: jobs !== undefined ? positive(jobs, '--jobs') : Math.max(1, Math.min(4, cpus().length)),
    outDir: out !== undefined ? resolve(cwd, out) : fromRoot('reports', 'bench'),
    phases: { speed: on('speed'), detection: on('detection'), growth: on('growth'), profile: on('profile') },
  };
}

// ---- running the two tools -------------------------------------------------------------------------------

interface Users {
  user: { name: string; password: string };
  other: { name: string; password: string };
}

function usersOf(s: RunningStandin): Users {
  const [user, other] = s.users;
  if (user === undefined || other === undefined)
    throw new HarnessError('E_STANDIN', 'the stand-in seeds fewer than two users');
  return { user, other };
}

/** The runner's configuration goes through its environment variables: no password in a child's argv. */
function runnerEnv(target: string, users: Users): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ONEZONE_TARGET: target,
    ONEZONE_USER: `${users.user.name}:${users.user.password}`,
    ONEZONE_OTHER_USER: `${users.other.name}:${users.other.password}`,
    CI: 'true', // the progress printer's quiet mode: the benchmark reads report.json, not the console
  };
}

interface RunnerRun extends ChildRun {
  report?: ReportDocument;
}

async function runRunner(
  target: string,
  users: Users,
  opts: { timeoutMs?: number; probeMemory?: boolean } = {},
): Promise<RunnerRun> {
  const reportDir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  try {
    const args = [...runnerCli(), '--allow-writes', '--report-dir', reportDir];
    if (opts.timeoutMs !== undefined) args.push('--timeout', String(opts.timeoutMs));
    const run = await runNode(args, {
      env: runnerEnv(target, users),
      probeMemory: opts.probeMemory ?? false,
      deadlineMs: 120_000,
    });
    let report: ReportDocument | undefined;
    try {
      report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as ReportDocument;
    } catch {
      report = undefined; // e.g. a usage error: reported through the exit code
    }
    return { ...run, ...(report && { report }) };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

const dreddConfig = (target: string, users: Users, timeoutMs = 10_000): DreddConfig => ({
  target,
  user: users.user,
  specFile: fromRoot(DREDD_DEFAULTS.specFile),
  insecure: false,
  timeoutMs,
});

async function withStandin<T>(opts: StandinOptions, body: (s: RunningStandin) => Promise<T>): Promise<T> {
  const s = await startStandin(opts);
  try {
    return await body(s);
  } finally {
    await s.close();
  }
}

// ---- phases ----------------------------------------------------------------------------------------------

async function benchSpeed(reps: number, log: (l: string) => void): Promise<SpeedResult> {
  return withStandin({}, async (s) => {
    const users = usersOf(s);
    // One untimed run of each warms the disk cache, so that neither tool pays for the first read alone.
    await runRunner(s.url, users);
    await runDredd(dreddConfig(s.url, users));
    const runner: RunnerRun[] = [];
    const dredd: Array<{ wallMs: number; exit: number }> = [];
    for (let i = 0; i < reps; i++) {
      // Alternating, so that drift of the machine's load hits both tools alike.
      runner.push(await runRunner(s.url, users));
      const d = await runDredd(dreddConfig(s.url, users));
      dredd.push({ wallMs: d.durationMs, exit: d.exitCode });
      log(`  speed ${i + 1}/${reps}: runner ${ms(runner[i]?.wallMs)}, dredd ${ms(d.durationMs)}`);
    }
    const proxy = await startCountingProxy(s.url);
    try {
      await runRunner(proxy.url, users);
      const runnerRequests = proxy.count();
      proxy.reset();
      const d = await runDredd(dreddConfig(proxy.url, users));
      return {
        reps,
        runner: {
          wallMsMedian: median(runner.map((r) => r.wallMs)),
          wallMs: runner.map((r) => round(r.wallMs)),
          inProcessMsMedian: median(runner.map((r) => r.report?.durationMs ?? Number.NaN)),
          requests: runnerRequests,
          exitCodes: runner.map((r) => r.exitCode ?? -1),
        },
        dredd: {
          wallMsMedian: median(dredd.map((r) => r.wallMs)),
          wallMs: dredd.map((r) => round(r.wallMs)),
          requests: proxy.count(),
          transactions: d.stats ? d.stats.passing + d.stats.failing + d.stats.errors : 0,
          exitCodes: dredd.map((r) => r.exit),
        },
      };
    } finally {
      await proxy.close();
    }
  });
}

interface Scenario {
  name: string;
  kind: DetectionRow['kind'];
  opts: StandinOptions;
  expectedExit: number;
  catches: readonly string[];
}

const SLOW_MS = 1500;
const SLOW_RUNNER_TIMEOUT_MS = 500;

function scenarios(): Scenario[] {
  return [
    { name: 'faithful (17.06, idealised)', kind: 'faithful', opts: {}, expectedExit: 0, catches: [] },
    { name: 'quirks (17.06.2 as released)', kind: 'quirks', opts: { quirks: true }, expectedExit: 0, catches: [] },
    ...FAULTS.map((f): Scenario => ({
      name: f.id,
      kind: 'fault',
      opts: { faults: [f.id], ...(f.id === 'slow' && { slowMs: SLOW_MS }) },
      expectedExit: f.exit,
      catches: f.catches,
    })),
  ];
}

async function detect(sc: Scenario): Promise<DetectionRow> {
  return withStandin(sc.opts, async (s) => {
    const users = usersOf(s);
    const timeoutMs = sc.name === 'slow' ? SLOW_RUNNER_TIMEOUT_MS : undefined;
    const r = await runRunner(s.url, users, timeoutMs !== undefined ? { timeoutMs } : {});
    const statusOf = new Map((r.report?.checks ?? []).map((c) => [c.id, c.status]));
    const missing = sc.catches.filter((id) => statusOf.get(id) !== 'failed' && statusOf.get(id) !== 'errored');
    const d = await runDredd(dreddConfig(s.url, users, timeoutMs ?? 10_000));
    const runnerOk = r.exitCode === sc.expectedExit && missing.length === 0;
    return {
      scenario: sc.name,
      kind: sc.kind,
      expectedExit: sc.expectedExit,
      runner: { exit: r.exitCode, ok: runnerOk, missing },
      // A mode must pass (exit 0); a fault must be flagged (any non-zero exit).
      dredd: { exit: d.exitCode, ok: sc.kind === 'fault' ? d.exitCode !== 0 : d.exitCode === 0 },
    };
  });
}

async function listLength(s: RunningStandin, users: Users): Promise<number> {
  const basic = Buffer.from(`${users.user.name}:${users.user.password}`).toString('base64');
  const res = await fetch(`${s.url}/user/client_tokens`, { headers: { authorization: `Basic ${basic}` } });
  const body = (await res.json()) as { tokens?: unknown[] };
  return body.tokens?.length ?? 0;
}

async function benchGrowth(sizes: readonly number[], reps: number, log: (l: string) => void): Promise<GrowthRow[]> {
  const rows: GrowthRow[] = [];
  for (const size of sizes) {
    rows.push(
      await withStandin({}, async (s) => {
        const users = usersOf(s);
        const have = await listLength(s, users);
        if (size > have) s.mintTokens(users.user.name, size - have);
        const runs: RunnerRun[] = [];
        for (let i = 0; i < reps; i++) runs.push(await runRunner(s.url, users, { probeMemory: true }));
        const proxy = await startCountingProxy(s.url);
        let requests: number;
        try {
          await runRunner(proxy.url, users);
          requests = proxy.count();
        } finally {
          await proxy.close();
        }
        const row: GrowthRow = {
          tokens: Math.max(size, have),
          wallMsMedian: median(runs.map((r) => r.wallMs)),
          maxRssMbMedian: median(runs.map((r) => (r.maxRssKb ?? Number.NaN) / 1024)),
          requests,
          exitCodes: runs.map((r) => r.exitCode ?? -1),
        };
        log(
          `  growth ${row.tokens} tokens: ${ms(row.wallMsMedian)}, ${row.maxRssMbMedian.toFixed(1)} MB, ${requests} requests`,
        );
        return row;
      }),
    );
  }
  return rows;
}

// ---- verdicts against the targets -----------------------------------------------------------------

export function judgeTargets(r: Omit<BenchResult, 'targets'>): BenchResult['targets'] {
  const t: BenchResult['targets'] = [];
  if (r.speed) {
    const { runner, dredd } = r.speed;
    t.push({
      target: 'full run < 1 s wall, including process start',
      met: runner.wallMsMedian < 1000,
      evidence: `median ${ms(runner.wallMsMedian)}`,
    });
    t.push({
      target: 'faster than a Dredd run (2 transactions) on the same target',
      met: runner.wallMsMedian < dredd.wallMsMedian,
      evidence: `${ms(runner.wallMsMedian)} vs ${ms(dredd.wallMsMedian)}`,
    });
  }
  if (r.detection) {
    const faults = r.detection.filter((d) => d.kind === 'fault');
    const caught = faults.filter((d) => d.runner.ok).length;
    t.push({
      target: 'runner catches every fault',
      met: caught === faults.length,
      evidence: `${caught}/${faults.length}`,
    });
    const modes = r.detection.filter((d) => d.kind !== 'fault');
    t.push({
      target: 'runner passes the faithful and the quirks modes',
      met: modes.every((d) => d.runner.ok),
      evidence: modes.map((d) => `${d.scenario}: exit ${String(d.runner.exit)}`).join('; '),
    });
  }
  if (r.growth && r.growth.length >= 2) {
    const first = r.growth[0] as GrowthRow;
    const last = r.growth[r.growth.length - 1] as GrowthRow;
    const rssGrowth = last.maxRssMbMedian - first.maxRssMbMedian;
    t.push({
      target: `memory flat up to ${last.tokens} tokens`,
      met: rssGrowth <= Math.max(20, first.maxRssMbMedian * 0.25),
      evidence: `peak RSS ${first.maxRssMbMedian.toFixed(1)} MB → ${last.maxRssMbMedian.toFixed(1)} MB (+${rssGrowth.toFixed(1)} MB; flat = at most +25% or +20 MB)`,
    });
    t.push({
      target: `time at most linear up to ${last.tokens} tokens`,
      met: linear(r.growth),
      evidence: r.growth.map((g) => `${g.tokens}: ${ms(g.wallMsMedian)}`).join(', '),
    });
  }
  return t;
}

/**
 * At most linear: the time added per token between the last two sizes is not more than twice the time
 * added per token between the first two (plus 50 ms of noise), i.e. the cost of a token does not grow.
 */
function linear(rows: readonly GrowthRow[]): boolean {
  if (rows.length < 3) return true;
  const [a, b] = [rows[0] as GrowthRow, rows[1] as GrowthRow];
  const [c, d] = [rows[rows.length - 2] as GrowthRow, rows[rows.length - 1] as GrowthRow];
  const perTokenEarly = Math.max(0, b.wallMsMedian - a.wallMsMedian) / (b.tokens - a.tokens);
  const added = d.wallMsMedian - c.wallMsMedian;
  return added <= 2 * perTokenEarly * (d.tokens - c.tokens) + 50 || added <= (d.tokens - c.tokens) * 0.05;
}

const ms = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? 'n/a' : `${Math.round(x)} ms`);
const round = (x: number): number => Math.round(x * 10) / 10;

// ---- main ------------------------------------------------------------------------------------------------

export async function bench(opts: BenchOptions, log: (l: string) => void): Promise<BenchResult> {
  runnerCli(); // fail early, before any stand-in starts, when dist/ is missing
  const partial: Omit<BenchResult, 'targets'> = {
    generatedAt: new Date().toISOString(),
    // argv after node and the entry point: `bench` and its flags.
    command: `onezone-conformance ${process.argv.slice(2).join(' ')}`.trimEnd(),
    machine: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpu: cpus()[0]?.model ?? '?',
      cpus: cpus().length,
    },
  };
  if (opts.phases.speed) {
    log(`speed: runner vs Dredd, median of ${opts.reps}`);
    partial.speed = await benchSpeed(opts.reps, log);
  }
  if (opts.phases.detection) {
    const all = scenarios();
    log(`detection: ${all.length} scenarios, ${opts.jobs} at a time`);
    partial.detection = await mapLimit(all, opts.jobs, async (sc) => {
      const row = await detect(sc);
      log(
        `  ${row.scenario}: runner exit ${String(row.runner.exit)} ${row.runner.ok ? 'ok' : 'MISSED'}, dredd exit ${String(row.dredd.exit)} ${row.dredd.ok ? 'ok' : 'missed'}`,
      );
      return row;
    });
  }
  if (opts.phases.growth) {
    log(`growth: ${opts.sizes.join(', ')} tokens, median of ${Math.min(opts.reps, 3)}`);
    partial.growth = await benchGrowth(opts.sizes, Math.min(opts.reps, 3), log);
  }
  if (opts.phases.profile) {
    log('profile: one run, broken down');
    partial.profile = await withStandin({}, async (s) => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
      try {
        return await profileRunner(runnerEnv(s.url, usersOf(s)), dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  return { ...partial, targets: judgeTargets(partial) };
}

export async function benchCommand(flags: ParsedFlags, io: Io): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = benchOptionsFrom(flags, io.cwd);
  } catch (e) {
    if (isHarnessError(e)) {
      io.err.write(`bench: ${e.message}\nRun \`onezone-conformance bench --help\` for the options.\n`);
      return 2;
    }
    throw e;
  }
  const log = (l: string): void => {
    io.err.write(l + '\n');
  };
  const result = await bench(opts, log);
  const md = formatMarkdown(result);
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(join(opts.outDir, 'bench.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(opts.outDir, 'bench.md'), md);
  io.out.write(md);
  io.out.write(`\nwritten: ${join(opts.outDir, 'bench.md')}, bench.json\n`);
  return 0;
}
