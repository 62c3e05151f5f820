import { cpus, loadavg, tmpdir } from 'node:os';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HarnessError, isHarnessError } from '../errors.js';
import { parseFlags, type ParsedFlags } from '../cli/flags.js';
import type { Io } from '../cli/io.js';
import { fromRoot } from '../paths.js';
import type { ReportDocument } from '../report/types.js';
import { FAULTS } from '../standin/faults.js';
import { startStandin, withStandin, type RunningStandin, type StandinOptions } from '../standin/server.js';
import { binPath, floorScript, interleave, mapLimit, runChild, spread, type ChildRun } from './measure.js';
import { profileRunner } from './profile.js';
import { startCountingProxy, type Recording } from './proxy.js';
import { formatMarkdown } from './table.js';
import {
  GROWTH_COMMAND,
  GROWTH_TIMEOUT_MS,
  judgeTargets,
  ms,
  ROW,
  type BenchResult,
  type DepthResult,
  type DetectionRow,
  type FloorInfo,
  type GrowthRow,
  type RowId,
  type RowResult,
  type SpeedResult,
} from './targets.js';
import { benchWrongPasswords } from './wrongpw.js';

/**
 * `onezone-conformance bench`: on this machine and in one run, the command as users run it against Dredd, a
 * plain-Node floor and a bare Node start (issue 14 item 5), the generated depth (issue 11 item 7), time and
 * memory as the token list grows, the stand-in's wrong-password rate, detection power over every fault
 * switch, and a profile of one run. Prints a table; writes bench.md and bench.json. Targets are reported as met
 * or not and by how much, never asserted.
 */

export const PHASES = ['speed', 'depth', 'growth', 'wrongpw', 'detection', 'profile'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  reps: number;
  sizes: number[];
  jobs: number;
  outDir: string;
  phases: Record<Phase, boolean>;
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
  const unknown = only?.filter((p) => !(PHASES as readonly string[]).includes(p)) ?? [];
  if (unknown.length > 0)
    throw new HarnessError('E_USAGE', `--only takes some of ${PHASES.join(',')}: ${unknown.join(',')}`);
  const on = (phase: Phase): boolean => only === undefined || only.includes(phase);
  const reps = flags.string('reps');
  const jobs = flags.string('jobs');
  const out = flags.string('out');
  return {
    reps: reps !== undefined ? positive(reps, '--reps') : 5,
    sizes: (flags.string('sizes') ?? '10,1000,10000,100000').split(',').map((s) => positive(s, '--sizes')),
    jobs: jobs !== undefined ? positive(jobs, '--jobs') : Math.max(1, Math.min(4, cpus().length)),
    outDir: out !== undefined ? resolve(cwd, out) : fromRoot('reports', 'bench'),
    phases: Object.fromEntries(PHASES.map((p) => [p, on(p)])) as Record<Phase, boolean>,
  };
}

// ---- the rows ----------------------------------------------------------------------------------------------

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

/** Every runner run uses this seed (ONEZONE_SEED), so that each round sends the same generated requests. */
export const BENCH_SEED = 20261203;

/** Secrets and the target go through environment variables: no password in a child's argv. */
function childEnv(target: string, users: Users, runner: boolean): NodeJS.ProcessEnv {
  // The bench's own ONEZONE_* settings (a token, a depth, a seed) must not leak into a row.
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('ONEZONE_'));
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(inherited),
    ONEZONE_TARGET: target,
    ONEZONE_USER: `${users.user.name}:${users.user.password}`,
    CI: 'true', // the progress printer's quiet mode: the benchmark reads report.json, not the console
  };
  if (runner) {
    env.ONEZONE_OTHER_USER = `${users.other.name}:${users.other.password}`;
    env.ONEZONE_SEED = String(BENCH_SEED);
  }
  return env;
}

/** How one row's child is started against a target. */
interface RowSpec {
  id: RowId;
  command: string;
  runner: boolean;
  start(target: string, reportDir: string | undefined): { cmd: string; args: string[]; env: NodeJS.ProcessEnv };
}

interface RowRun extends ChildRun {
  report?: ReportDocument;
}

/** What a runner's reports say went wrong: the codes of their errors and errored checks, each once. */
const errorCodesOf = (runs: readonly RowRun[]): string[] => [
  ...new Set(
    runs.flatMap((r) => [
      ...(r.report?.errors ?? []).map((e) => e.code),
      ...(r.report?.checks ?? []).flatMap((c) => (c.status === 'errored' ? [c.code ?? 'errored'] : [])),
    ]),
  ),
];

async function runRow(spec: RowSpec, target: string, deadlineMs = 300_000, probeMemory = false): Promise<RowRun> {
  const reportDir = spec.runner ? mkdtempSync(join(tmpdir(), 'bench-report-')) : undefined;
  try {
    const { cmd, args, env } = spec.start(target, reportDir);
    const run = await runChild(cmd, args, { env, deadlineMs, probeMemory });
    let report: ReportDocument | undefined;
    if (reportDir !== undefined) {
      try {
        report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as ReportDocument;
      } catch {
        report = undefined; // e.g. a usage error: reported through the exit code
      }
    }
    return { ...run, ...(report && { report }) };
  } finally {
    if (reportDir !== undefined) rmSync(reportDir, { recursive: true, force: true });
  }
}

function rowSpecs(users: Users, floorFile: string): Record<RowId, RowSpec> {
  const bin = binPath();
  const node = process.execPath;
  const runArgs = (dir: string | undefined, extra: string[] = []): string[] => [
    'run',
    '--allow-writes',
    ...extra,
    ...(dir !== undefined ? ['--report-dir', dir] : []),
  ];
  const runner = (id: RowId, command: string, cmd: string, pre: string[], extra: string[] = []): RowSpec => ({
    id,
    command,
    runner: true,
    start: (target, dir) => ({ cmd, args: [...pre, ...runArgs(dir, extra)], env: childEnv(target, users, true) }),
  });
  const dredd = (id: RowId, command: string, cmd: string, pre: string[]): RowSpec => ({
    id,
    command,
    runner: false,
    start: (target) => ({ cmd, args: [...pre, 'dredd'], env: childEnv(target, users, false) }),
  });
  return {
    [ROW.npxRun]: runner(ROW.npxRun, 'npx onezone-conformance run --allow-writes', 'npx', ['onezone-conformance']),
    [ROW.binRun]: runner(ROW.binRun, 'node bin/onezone-conformance.js run --allow-writes', node, [bin]),
    [ROW.binRunDepth0]: runner(
      ROW.binRunDepth0,
      'node bin/onezone-conformance.js run --allow-writes --depth 0',
      node,
      [bin],
      ['--depth', '0'],
    ),
    [ROW.binRunThorough]: runner(
      ROW.binRunThorough,
      'node bin/onezone-conformance.js run --allow-writes --depth thorough',
      node,
      [bin],
      ['--depth', 'thorough'],
    ),
    [ROW.npxDredd]: dredd(ROW.npxDredd, 'npx onezone-conformance dredd', 'npx', ['onezone-conformance']),
    [ROW.binDredd]: dredd(ROW.binDredd, 'node bin/onezone-conformance.js dredd', node, [bin]),
    [ROW.floor]: {
      id: ROW.floor,
      command: 'node dist/conformance/bench/floor.js FILE',
      runner: false,
      start: () => ({ cmd: node, args: [floorScript(), floorFile], env: { PATH: process.env.PATH ?? '' } }),
    },
    [ROW.nodeE0]: {
      id: ROW.nodeE0,
      command: 'node -e 0',
      runner: false,
      start: () => ({ cmd: node, args: ['-e', '0'], env: { PATH: process.env.PATH ?? '' } }),
    },
  };
}

/**
 * The floor's input holds the run's passwords: a file only its owner can read (mode 0600, in a fresh directory
 * only they can list), removed when `body` ends, also when it throws. Never printed.
 */
export async function withRecordingFile<T>(
  body: (file: string, write: (rec: Recording) => void) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-floor-'));
  const file = join(dir, 'requests.json');
  try {
    return await body(file, (rec) => {
      writeFileSync(file, JSON.stringify(rec), { mode: 0o600 });
      chmodSync(file, 0o600);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- speed and depth: one interleaved loop -------------------------------------------------------------------

interface TimedOutcome {
  speed?: SpeedResult;
  depth?: DepthResult;
}

/**
 * Every short row in one loop against one stand-in: an untimed count of each row's requests through the
 * counting proxy (the run's requests recorded for the floor), an untimed warm-up round, then `reps` rounds in
 * rotating order. The thorough depth runs once after the loop (minutes, not seconds).
 */
export async function benchTimed(
  opts: Pick<BenchOptions, 'reps' | 'phases'>,
  log: (l: string) => void,
): Promise<TimedOutcome> {
  return withRecordingFile((floorFile, writeRecording) =>
    withStandin({}, async (s) => {
      const users = usersOf(s);
      const specs = rowSpecs(users, floorFile);
      const ids: RowId[] = [
        ...(opts.phases.speed ? [ROW.npxRun, ROW.binRun, ROW.npxDredd, ROW.binDredd, ROW.floor, ROW.nodeE0] : []),
        ...(opts.phases.depth ? [ROW.binRunDepth0, ...(opts.phases.speed ? [] : [ROW.binRun])] : []),
      ];
      const requests = new Map<RowId, number | null>();
      const generatedCases = new Map<RowId, number>();
      let floor: FloorInfo | undefined;

      // Counting (and recording the run for the floor), untimed, through the proxy.
      const proxy = await startCountingProxy(s.url, { record: true });
      try {
        for (const id of ids) {
          if (id === ROW.floor || id === ROW.nodeE0) continue;
          proxy.reset();
          const r = await runRow(specs[id], proxy.url);
          requests.set(id, proxy.count());
          if (r.report?.generated) generatedCases.set(id, r.report.generated.cases);
          if (id === ROW.binRun) {
            const rec = proxy.recording();
            floor = {
              concurrency: 'as recorded',
              runPeakInFlight: proxy.peakInFlight(),
              floorPeakInFlight: null,
              floorFailed: null,
            };
            if (ids.includes(ROW.floor)) {
              // Counted through the proxy like the others, then pointed at the stand-in for the timed rounds.
              writeRecording({ ...rec, origin: new URL(proxy.url).origin });
              proxy.reset();
              const f = await runRow(specs[ROW.floor], proxy.url);
              requests.set(ROW.floor, proxy.count());
              if (f.exitCode !== 0) log(`  floor: exit ${String(f.exitCode)} while counting`);
              writeRecording(rec);
            }
          }
          log(`  ${specs[id].command}: ${String(requests.get(id))} requests`);
        }
        requests.set(ROW.nodeE0, 0);
      } finally {
        await proxy.close();
      }

      log('  warm-up round (untimed)');
      for (const id of ids) await runRow(specs[id], s.url);

      const samples = new Map<RowId, RowRun[]>(ids.map((id) => [id, []]));
      for (const { round, row } of interleave(ids, opts.reps)) {
        const r = await runRow(specs[row], s.url);
        samples.get(row)?.push(r);
        log(`  round ${round + 1}/${opts.reps}: ${specs[row].command}: ${ms(r.wallMs)} (exit ${String(r.exitCode)})`);
      }
      const floorOut = samples.get(ROW.floor)?.at(-1)?.stdout;
      if (floor && floorOut !== undefined) {
        try {
          const f = JSON.parse(floorOut.trim().split('\n').pop() ?? '{}') as { peakInFlight?: number; failed?: number };
          floor.floorPeakInFlight = f.peakInFlight ?? null;
          floor.floorFailed = f.failed ?? null;
        } catch {
          // the row's exit code says what went wrong
        }
      }
      const result = (id: RowId): RowResult => {
        const runs = samples.get(id) ?? [];
        const inProcess = runs.flatMap((r) => (r.report ? [r.report.durationMs] : []));
        const cases = generatedCases.get(id);
        const errorCodes = errorCodesOf(runs);
        return {
          id,
          command: specs[id].command,
          wallMs: spread(runs.map((r) => r.wallMs)),
          samples: runs.map((r) => Math.round(r.wallMs)),
          exitCodes: runs.map((r) => r.exitCode),
          requests: requests.get(id) ?? null,
          ...(cases !== undefined && { generatedCases: cases }),
          ...(inProcess.length > 0 && { inProcessMs: spread(inProcess) }),
          ...(errorCodes.length > 0 && { errorCodes }),
        };
      };

      const out: TimedOutcome = {};
      if (opts.phases.speed)
        out.speed = {
          rounds: opts.reps,
          seed: BENCH_SEED,
          standin: 'Onezone 17.06 stand-in (in the bench process), two users',
          rows: [ROW.npxRun, ROW.binRun, ROW.npxDredd, ROW.binDredd, ROW.floor, ROW.nodeE0].map(result),
          ...(floor && { floor }),
        };
      if (opts.phases.depth) {
        log('  --depth thorough: one counted run through the proxy, one timed run');
        const thorough = specs[ROW.binRunThorough];
        const p = await startCountingProxy(s.url);
        let counted: RowRun;
        try {
          counted = await runRow(thorough, p.url, 3_600_000);
          requests.set(ROW.binRunThorough, p.count());
        } finally {
          await p.close();
        }
        if (counted.report?.generated) generatedCases.set(ROW.binRunThorough, counted.report.generated.cases);
        const timed = await runRow(thorough, s.url, 3_600_000);
        samples.set(ROW.binRunThorough, [timed]);
        log(`  ${thorough.command}: ${ms(timed.wallMs)}, ${String(requests.get(ROW.binRunThorough))} requests`);
        out.depth = { rows: [ROW.binRunDepth0, ROW.binRun, ROW.binRunThorough].map(result) };
      }
      return out;
    }),
  );
}

// ---- growth --------------------------------------------------------------------------------------------------

async function listLength(s: RunningStandin, users: Users): Promise<number> {
  const basic = Buffer.from(`${users.user.name}:${users.user.password}`).toString('base64');
  const res = await fetch(`${s.url}/user/client_tokens`, { headers: { authorization: `Basic ${basic}` } });
  const body = (await res.json()) as { tokens?: unknown[] };
  return body.tokens?.length ?? 0;
}

/** Sizes from 100,000 tokens on run once: each such run takes many seconds. */
export const growthReps = (tokens: number, reps: number): number => (tokens >= 100_000 ? 1 : Math.min(reps, 3));

async function benchGrowth(sizes: readonly number[], reps: number, log: (l: string) => void): Promise<GrowthRow[]> {
  const standins: RunningStandin[] = [];
  try {
    const prepared: Array<{ size: number; s: RunningStandin; users: Users; tokens: number }> = [];
    for (const size of sizes) {
      const s = await startStandin({});
      standins.push(s);
      const users = usersOf(s);
      const have = await listLength(s, users);
      if (size > have) s.mintTokens(users.user.name, size - have);
      prepared.push({ size, s, users, tokens: Math.max(size, have) });
    }
    const runs = new Map<number, RowRun[]>(sizes.map((size) => [size, []]));
    const requests = new Map<number, number | null>();
    const bin = binPath();
    const specFor = (p: (typeof prepared)[number]): RowSpec => ({
      id: ROW.binRun,
      command: GROWTH_COMMAND,
      runner: true,
      start: (target, dir) => ({
        cmd: process.execPath,
        args: [
          bin,
          'run',
          '--allow-writes',
          '--timeout',
          String(GROWTH_TIMEOUT_MS),
          ...(dir !== undefined ? ['--report-dir', dir] : []),
        ],
        env: childEnv(target, p.users, true),
      }),
    });
    // Requests counted once per size up to 10,000 tokens; a count at 100,000 would cost a whole extra run.
    for (const p of prepared) {
      if (p.size > 10_000) {
        requests.set(p.size, null);
        continue;
      }
      const proxy = await startCountingProxy(p.s.url);
      try {
        await runRow(specFor(p), proxy.url);
        requests.set(p.size, proxy.count());
      } finally {
        await proxy.close();
      }
    }
    const rounds = Math.max(...sizes.map((size) => growthReps(size, reps)));
    for (const { round, row } of interleave(prepared, rounds)) {
      if (round >= growthReps(row.size, reps)) continue;
      const r = await runRow(specFor(row), row.s.url, 1_800_000, true);
      runs.get(row.size)?.push(r);
      log(
        `  growth ${row.tokens} tokens, round ${round + 1}: ${ms(r.wallMs)}, ${((r.maxRssKb ?? Number.NaN) / 1024).toFixed(1)} MB (exit ${String(r.exitCode)})`,
      );
    }
    return prepared.map((p) => {
      const rs = runs.get(p.size) ?? [];
      const errorCodes = errorCodesOf(rs);
      return {
        tokens: p.tokens,
        wallMs: spread(rs.map((r) => r.wallMs)),
        maxRssMb: spread(rs.map((r) => (r.maxRssKb ?? Number.NaN) / 1024)),
        requests: requests.get(p.size) ?? null,
        exitCodes: rs.map((r) => r.exitCode),
        ...(errorCodes.length > 0 && { errorCodes }),
      };
    });
  } finally {
    for (const s of standins) await s.close();
  }
}

// ---- detection -------------------------------------------------------------------------------------------------

interface Scenario {
  name: string;
  kind: DetectionRow['kind'];
  opts: StandinOptions;
  expectedExit: number;
  catches: readonly string[];
}

const SLOW_MS = 1500;
const SLOW_TIMEOUT_MS = 500;

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
    const timeout = sc.name === 'slow' ? ['--timeout', String(SLOW_TIMEOUT_MS)] : [];
    const bin = binPath();
    const runnerSpec: RowSpec = {
      id: ROW.binRun,
      command: '',
      runner: true,
      start: (target, dir) => ({
        cmd: process.execPath,
        args: [bin, 'run', '--allow-writes', ...timeout, ...(dir !== undefined ? ['--report-dir', dir] : [])],
        env: childEnv(target, users, true),
      }),
    };
    const r = await runRow(runnerSpec, s.url, 120_000);
    const statusOf = new Map((r.report?.checks ?? []).map((c) => [c.id, c.status]));
    const missing = sc.catches.filter((id) => statusOf.get(id) !== 'failed' && statusOf.get(id) !== 'errored');
    const d = await runChild(process.execPath, [bin, 'dredd', ...timeout], {
      env: childEnv(s.url, users, false),
      deadlineMs: 120_000,
    });
    return {
      scenario: sc.name,
      kind: sc.kind,
      expectedExit: sc.expectedExit,
      runner: { exit: r.exitCode, ok: r.exitCode === sc.expectedExit && missing.length === 0, missing },
      // A mode must pass (exit 0); a fault must be flagged (any non-zero exit).
      dredd: { exit: d.exitCode, ok: sc.kind === 'fault' ? d.exitCode !== 0 : d.exitCode === 0 },
    };
  });
}

// ---- main ------------------------------------------------------------------------------------------------------

export async function bench(opts: BenchOptions, log: (l: string) => void): Promise<BenchResult> {
  binPath(); // fail early, before any stand-in starts, when dist/ is missing
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const partial: Omit<BenchResult, 'targets'> = {
    generatedAt: new Date().toISOString(),
    // argv after node and the entry point: `bench` and its flags.
    command: `onezone-conformance ${process.argv.slice(2).join(' ')}`.trimEnd(),
    machine: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpu: cpus()[0]?.model ?? '?',
      cpus: cpus().length,
      loadAtStart,
      loadAtEnd: [],
    },
  };
  if (opts.phases.speed || opts.phases.depth) {
    log(`speed and depth: ${opts.reps} interleaved rounds after a warm-up round`);
    Object.assign(partial, await benchTimed(opts, log));
  }
  if (opts.phases.growth) {
    log(`growth: ${opts.sizes.join(', ')} tokens`);
    partial.growth = await benchGrowth(opts.sizes, opts.reps, log);
  }
  if (opts.phases.wrongpw) {
    log('wrong passwords: the stand-in command under load');
    partial.wrongpw = await benchWrongPasswords(log);
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
  if (opts.phases.profile) {
    log('profile: one run, broken down');
    partial.profile = await withStandin({}, async (s) => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
      try {
        return await profileRunner(childEnv(s.url, usersOf(s), true), dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  partial.machine.loadAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
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
