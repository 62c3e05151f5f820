import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HarnessError } from '../errors.js';
import { fromRoot } from '../paths.js';

/** Measuring child processes: wall time from spawn to exit, exit code, peak RSS. No secrets are printed. */

export interface ChildRun {
  exitCode: number | null;
  wallMs: number;
  /** Peak resident set of the child, from rss-probe (undefined if the child died before writing it). */
  maxRssKb?: number;
  cpuMs?: number;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** Kill after this many ms (the child then counts as exit null). */
  deadlineMs?: number;
  /** Preload rss-probe to learn the child's peak memory (a few ms of extra start-up; node children only). */
  probeMemory?: boolean;
}

/** The package's command as installed (`bin` in package.json): what `node bin/onezone-conformance.js` runs. */
export function binPath(): string {
  const bin = fromRoot('bin', 'onezone-conformance.js');
  const bundle = fromRoot('dist', 'bin', 'onezone-conformance.js');
  if (!existsSync(bundle)) throw new HarnessError('E_USAGE', `${bundle} is missing: run \`npm run build\` first`);
  return bin;
}

/** The plain-Node floor script (compiled; imports undici and nothing of ours). */
export const floorScript = (): string => fromRoot('dist', 'conformance', 'bench', 'floor.js');

const probeFile = (): string => fromRoot('dist', 'conformance', 'bench', 'rss-probe.js');

/** Runs `node …args` from the repository root. */
export function runNode(args: readonly string[], opts: SpawnOptions = {}): Promise<ChildRun> {
  return runChild(process.execPath, args, opts);
}

/** Runs `command …args` from the repository root, timing it from spawn to exit. */
export async function runChild(command: string, args: readonly string[], opts: SpawnOptions = {}): Promise<ChildRun> {
  const dir = opts.probeMemory ? mkdtempSync(join(tmpdir(), 'bench-usage-')) : undefined;
  const usageFile = dir !== undefined ? join(dir, 'usage.json') : undefined;
  const pre = usageFile !== undefined ? ['--import', pathToFileURL(probeFile()).href] : [];
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  if (usageFile !== undefined) env.BENCH_USAGE_FILE = usageFile;
  try {
    const started = performance.now();
    const child = spawn(command, [...pre, ...args], {
      cwd: fromRoot(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer =
      opts.deadlineMs !== undefined
        ? setTimeout(() => {
            child.kill('SIGKILL');
          }, opts.deadlineMs)
        : undefined;
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        resolve(code);
      });
    });
    const wallMs = performance.now() - started;
    if (timer) clearTimeout(timer);
    const usage = usageFile !== undefined && existsSync(usageFile) ? readUsage(usageFile) : undefined;
    return {
      exitCode,
      wallMs,
      ...(usage && { maxRssKb: usage.maxRssKb, cpuMs: (usage.userUs + usage.systemUs) / 1000 }),
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    };
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

function readUsage(file: string): { maxRssKb: number; userUs: number; systemUs: number } {
  return JSON.parse(readFileSync(file, 'utf8')) as { maxRssKb: number; userUs: number; systemUs: number };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

/** min / median / max of the samples (NaN for none), rounded to 0.1. */
export function spread(xs: readonly number[]): Spread {
  const r = (x: number): number => Math.round(x * 10) / 10;
  if (xs.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, n: 0 };
  return { min: r(Math.min(...xs)), median: r(median(xs)), max: r(Math.max(...xs)), n: xs.length };
}

/**
 * The order of the timed runs: every round runs every row once, and each round starts one row later than the
 * one before (a, b, c; b, c, a; c, a, b), so that a drift of the machine's load, and any advantage of running
 * right after a given row, hits every row alike.
 */
export function interleave<T>(rows: readonly T[], rounds: number): Array<{ round: number; row: T }> {
  const out: Array<{ round: number; row: T }> = [];
  for (let round = 0; round < rounds; round++)
    for (let i = 0; i < rows.length; i++) out.push({ round, row: rows[(round + i) % rows.length] as T });
  return out;
}

/** Runs `task` for each item with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
