import type { Spread } from './measure.js';
import type { ProfileResult } from './profile.js';

/**
 * The benchmark's result document (bench.json) and its verdicts against the targets of issues 14 (item 5) and
 * 11 (item 7). Pure: the tests judge made-up figures, and no test asserts a timing.
 */

/** The rows of the interleaved timing loop. */
export const ROW = {
  npxRun: 'npx-run',
  binRun: 'bin-run',
  binRunDepth0: 'bin-run-depth-0',
  npxDredd: 'npx-dredd',
  binDredd: 'bin-dredd',
  floor: 'floor',
  nodeE0: 'node-e-0',
  binRunThorough: 'bin-run-thorough',
} as const;
export type RowId = (typeof ROW)[keyof typeof ROW];

export interface RowResult {
  id: RowId;
  /** The command as a person would type it (secrets come from the environment, never argv). */
  command: string;
  /** Wall time from spawn to exit over the timed rounds. */
  wallMs: Spread;
  /** Each timed round's wall time, in round order. */
  samples: number[];
  exitCodes: Array<number | null>;
  /** Distinct HTTP requests that reached the server in one run of the row (the counting proxy's count). */
  requests: number | null;
  /** Runner rows: report.json `generated.cases` of the counted run. */
  generatedCases?: number;
  /** Runner rows: report.json `durationMs` (first check to the end), over the timed rounds. */
  inProcessMs?: Spread;
  /** Runner rows: the codes of report.json `errors` and of errored checks, over every run of the row. */
  errorCodes?: string[];
}

export interface FloorInfo {
  /** How the floor sent the run's requests. */
  concurrency: string;
  /** Most requests in flight at once at the proxy while the run was recorded, and while the floor replayed. */
  runPeakInFlight: number;
  floorPeakInFlight: number | null;
  /** Requests of the replay that got no answer (a refused or reset connection). */
  floorFailed: number | null;
}

export interface SpeedResult {
  rounds: number;
  /** The ONEZONE_SEED every runner row ran with, so that each round sends the same generated requests. */
  seed: number;
  standin: string;
  rows: RowResult[];
  floor?: FloorInfo;
}

export interface DepthResult {
  /** `--depth 0`, the default, `--depth thorough` (one run). */
  rows: RowResult[];
}

export interface GrowthRow {
  tokens: number;
  wallMs: Spread;
  maxRssMb: Spread;
  requests: number | null;
  exitCodes: Array<number | null>;
  /** The codes of report.json `errors` and of errored checks, over every run of the size. */
  errorCodes?: string[];
}

export interface WrongPwRow {
  kind: 'distinct' | 'repeated' | 'right';
  label: string;
  requests: number;
  concurrency: number;
  wallMs: number;
  perSecond: number;
  /** Answers by status ('error' for no answer). */
  statuses: Record<string, number>;
}

export interface DetectionRow {
  scenario: string;
  kind: 'faithful' | 'quirks' | 'fault';
  /** Expected runner exit code (faults.ts), 0 for the two modes. */
  expectedExit: number;
  runner: { exit: number | null; ok: boolean; missing: string[] };
  dredd: { exit: number | null; ok: boolean };
}

export interface Target {
  target: string;
  /** null: not measured in this run (or not enough figures to tell). */
  met: boolean | null;
  /** false: shown for comparison only; the judged row is the one next to it. */
  judged: boolean;
  evidence: string;
  /** By how much it is met or missed. */
  by: string;
}

export interface BenchResult {
  generatedAt: string;
  command: string;
  machine: {
    node: string;
    platform: string;
    cpu: string;
    cpus: number;
    /** 1, 5 and 15 minute load averages when the bench started and when it ended (os.loadavg()). */
    loadAtStart: number[];
    loadAtEnd: number[];
  };
  speed?: SpeedResult;
  depth?: DepthResult;
  growth?: GrowthRow[];
  wrongpw?: WrongPwRow[];
  detection?: DetectionRow[];
  profile?: ProfileResult;
  targets: Target[];
}

// ---- verdicts ----------------------------------------------------------------------------------------------

export const ms = (x: number | undefined | null): string =>
  x === undefined || x === null || Number.isNaN(x) ? 'n/a' : `${Math.round(x)} ms`;
const times = (x: number): string => `${x.toFixed(2)}×`;

/** `value ≤ limit`, and by how much (in the unit's words). */
export function atMost(value: number, limit: number, unit: (x: number) => string): { met: boolean; by: string } {
  if (Number.isNaN(value) || Number.isNaN(limit)) return { met: false, by: 'not measured' };
  const met = value <= limit;
  const gap = Math.abs(limit - value);
  const pct = limit > 0 ? Math.round((gap / limit) * 100) : 0;
  return { met, by: met ? `${unit(gap)} (${pct} %) under the limit` : `${unit(gap)} (${pct} %) over the limit` };
}

/** `value ≥ floor`, and by how much. */
export function atLeast(value: number, floor: number, unit: (x: number) => string): { met: boolean; by: string } {
  if (Number.isNaN(value)) return { met: false, by: 'not measured' };
  const met = value >= floor;
  const gap = Math.abs(value - floor);
  const pct = floor > 0 ? Math.round((gap / floor) * 100) : 0;
  return { met, by: met ? `${unit(gap)} (${pct} %) above the minimum` : `${unit(gap)} (${pct} %) short` };
}

const row = (rows: readonly RowResult[] | undefined, id: RowId): RowResult | undefined =>
  rows?.find((r) => r.id === id);

/**
 * Why figures cannot be judged: a run that did not end with exit 0 (a usage error, a target it could not judge,
 * a deadline) did other work than the rows it is compared with. undefined when every run ended with 0.
 */
export function notClean(
  rows: ReadonlyArray<
    { exitCodes: ReadonlyArray<number | null>; errorCodes?: string[] } & ({ command: string } | { tokens: number })
  >,
): string | undefined {
  const bad = rows.filter((r) => r.exitCodes.some((c) => c !== 0));
  if (bad.length === 0) return undefined;
  return `not judged: ${bad
    .map(
      (r) =>
        `${'command' in r ? `\`${r.command}\`` : `${r.tokens} tokens`} exited ${[...new Set(r.exitCodes.map(String))].join(', ')}${r.errorCodes?.length ? ` (${r.errorCodes.join(', ')})` : ''}`,
    )
    .join('; ')}`;
}

/** "run ≤ k × other", judged on the medians; null when either row is missing or a run did not exit 0. */
function ratioTarget(
  target: string,
  judged: boolean,
  run: RowResult | undefined,
  other: RowResult | undefined,
  k: number,
): Target {
  if (!run || !other || Number.isNaN(run.wallMs.median) || Number.isNaN(other.wallMs.median))
    return { target, judged, met: null, evidence: 'not measured in this run', by: '–' };
  const failed = notClean([run, other]);
  if (failed !== undefined) return { target, judged, met: null, evidence: failed, by: '–' };
  const limit = k * other.wallMs.median;
  const { met, by } = atMost(run.wallMs.median, limit, ms);
  return {
    target,
    judged,
    met,
    evidence: `medians ${ms(run.wallMs.median)} vs ${ms(other.wallMs.median)} = ${times(run.wallMs.median / other.wallMs.median)} (limit ${times(k)} = ${ms(limit)})`,
    by,
  };
}

/**
 * Time grows at most linearly: the time added per token on the last step (between the two largest sizes) is
 * at most 1.5 × that of the step before, plus 200 ms of noise. Small lists cost mostly the run's fixed part, so
 * the largest steps are the ones that show a per-token cost. null with fewer than three sizes.
 */
export function linearGrowth(rows: readonly GrowthRow[]): { met: boolean | null; evidence: string; by: string } {
  const perToken = (a: GrowthRow, b: GrowthRow): number => (b.wallMs.median - a.wallMs.median) / (b.tokens - a.tokens);
  const steps = rows.slice(1).map((b, i) => ({ a: rows[i] as GrowthRow, b }));
  const evidence = steps
    .map(({ a, b }) => `${a.tokens}→${b.tokens}: ${(perToken(a, b) * 1000).toFixed(1)} µs/token`)
    .join(', ');
  if (rows.length < 3) return { met: null, evidence: evidence || 'fewer than three sizes', by: '–' };
  const last = steps[steps.length - 1] as { a: GrowthRow; b: GrowthRow };
  const prev = steps[steps.length - 2] as { a: GrowthRow; b: GrowthRow };
  const added = last.b.wallMs.median - last.a.wallMs.median;
  const allowed = 1.5 * Math.max(0, perToken(prev.a, prev.b)) * (last.b.tokens - last.a.tokens) + 200;
  const { met, by } = atMost(added, allowed, ms);
  return { met, evidence: `${evidence}; last step added ${ms(added)}, allowed ${ms(allowed)}`, by };
}

/**
 * The growth rows' per-request timeout: the stand-in, one thread, builds every 100,000-token answer afresh and
 * answers the run's concurrent list requests one after another; the default 10 s would time out on the
 * stand-in's cost, which is not what this phase measures.
 */
export const GROWTH_TIMEOUT_MS = 60_000;
export const GROWTH_COMMAND = `node bin/onezone-conformance.js run --allow-writes --timeout ${GROWTH_TIMEOUT_MS}`;

export const RSS_LIMIT_MB = 250;
export const RSS_AT_TOKENS = 100_000;
export const WRONG_PW_PER_SECOND = 1000;
export const THOROUGH_PER_MINUTE = 2000;

/** Generated requests of the thorough run per minute of its wall time: its requests beyond the depth-0 run's. */
export function generatedPerMinute(depth: DepthResult): number {
  const zero = row(depth.rows, ROW.binRunDepth0);
  const thorough = row(depth.rows, ROW.binRunThorough);
  if (!zero || !thorough || zero.requests === null || thorough.requests === null) return Number.NaN;
  return ((thorough.requests - zero.requests) / thorough.wallMs.median) * 60_000;
}

export function judgeTargets(r: Omit<BenchResult, 'targets'>): Target[] {
  const t: Target[] = [];
  if (r.speed) {
    const rows = r.speed.rows;
    t.push(
      ratioTarget(
        'user-facing run ≤ 0.5 × Dredd, both through the bin (`node bin/onezone-conformance.js run` vs `… dredd`)',
        true,
        row(rows, ROW.binRun),
        row(rows, ROW.binDredd),
        0.5,
      ),
      ratioTarget(
        'the same through npx (`npx onezone-conformance run` vs `npx onezone-conformance dredd`)',
        false,
        row(rows, ROW.npxRun),
        row(rows, ROW.npxDredd),
        0.5,
      ),
      ratioTarget(
        'user-facing run ≤ 2.5 × the floor (`node bin/… run` vs `node floor.js`, both plain node processes)',
        true,
        row(rows, ROW.binRun),
        row(rows, ROW.floor),
        2.5,
      ),
    );
  }
  if (r.depth) {
    t.push(
      ratioTarget(
        'default run ≤ 1.5 × the run without generated cases (`--depth 0`)',
        true,
        row(r.depth.rows, ROW.binRun),
        row(r.depth.rows, ROW.binRunDepth0),
        1.5,
      ),
    );
    const rate = generatedPerMinute(r.depth);
    const thorough = row(r.depth.rows, ROW.binRunThorough);
    const { met, by } = atLeast(rate, THOROUGH_PER_MINUTE, (x) => `${Math.round(x)}/min`);
    const failed = thorough && notClean([thorough]);
    if (failed !== undefined)
      t.push({
        target: `\`--depth thorough\` sends ≥ ${THOROUGH_PER_MINUTE} generated requests per minute`,
        judged: true,
        met: null,
        evidence: failed,
        by: '–',
      });
    else
      t.push({
        target: `\`--depth thorough\` sends ≥ ${THOROUGH_PER_MINUTE} generated requests per minute`,
        judged: true,
        met: Number.isNaN(rate) ? null : met,
        evidence: Number.isNaN(rate)
          ? 'not measured in this run'
          : `${Math.round(rate)}/min: ${(thorough?.requests ?? 0) - (row(r.depth.rows, ROW.binRunDepth0)?.requests ?? 0)} requests beyond the depth-0 run's in ${ms(thorough?.wallMs.median)}`,
        by: Number.isNaN(rate) ? '–' : by,
      });
  }
  if (r.growth && r.growth.length > 0) {
    const lin = linearGrowth(r.growth);
    const failed = notClean(r.growth);
    t.push({
      target: 'time linear in the list length (the cost per token does not grow)',
      judged: true,
      ...lin,
      ...(failed !== undefined && { met: null, evidence: `${failed}; ${lin.evidence}`, by: '–' }),
    });
    const big = r.growth.filter((g) => g.tokens >= RSS_AT_TOKENS).at(-1);
    const bigFailed = big && notClean([big]);
    if (big && bigFailed !== undefined) {
      t.push({
        target: `peak RSS < ${RSS_LIMIT_MB} MB at ${RSS_AT_TOKENS.toLocaleString('en')} tokens`,
        judged: true,
        met: null,
        evidence: `${bigFailed}; ${big.maxRssMb.median.toFixed(1)} MB until then`,
        by: '–',
      });
    } else if (big) {
      const { met, by } = atMost(big.maxRssMb.median, RSS_LIMIT_MB, (x) => `${x.toFixed(1)} MB`);
      t.push({
        target: `peak RSS < ${RSS_LIMIT_MB} MB at ${RSS_AT_TOKENS.toLocaleString('en')} tokens`,
        judged: true,
        met: met && big.maxRssMb.median < RSS_LIMIT_MB,
        evidence: `${big.maxRssMb.median.toFixed(1)} MB at ${big.tokens} tokens`,
        by,
      });
    } else {
      t.push({
        target: `peak RSS < ${RSS_LIMIT_MB} MB at ${RSS_AT_TOKENS.toLocaleString('en')} tokens`,
        judged: true,
        met: null,
        evidence: `not measured (sizes ${r.growth.map((g) => g.tokens).join(', ')})`,
        by: '–',
      });
    }
  }
  for (const w of r.wrongpw ?? []) {
    if (w.kind === 'right') continue;
    const { met, by } = atLeast(w.perSecond, WRONG_PW_PER_SECOND, (x) => `${Math.round(x)}/s`);
    t.push({
      target: `stand-in answers ≥ ${WRONG_PW_PER_SECOND} wrong-password requests/s (${w.label})`,
      judged: true,
      met,
      evidence: `${Math.round(w.perSecond)}/s: ${w.requests} requests, ${w.concurrency} at a time, in ${ms(w.wallMs)}`,
      by,
    });
  }
  if (r.detection) {
    const faults = r.detection.filter((d) => d.kind === 'fault');
    const caught = faults.filter((d) => d.runner.ok).length;
    t.push({
      target: 'runner catches every fault of the stand-in',
      judged: true,
      met: caught === faults.length,
      evidence: `${caught}/${faults.length} (Dredd: ${faults.filter((d) => d.dredd.ok).length}/${faults.length})`,
      by: caught === faults.length ? 'all' : `${faults.length - caught} missed`,
    });
    const modes = r.detection.filter((d) => d.kind !== 'fault');
    t.push({
      target: 'runner passes the faithful and the quirks modes',
      judged: true,
      met: modes.every((d) => d.runner.ok),
      evidence: modes.map((d) => `${d.scenario}: exit ${String(d.runner.exit)}`).join('; '),
      by: `${modes.filter((d) => !d.runner.ok).length} not passed`,
    });
  }
  return t;
}
