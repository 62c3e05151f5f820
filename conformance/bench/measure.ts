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
  /** Preload rss-probe to learn the child's peak memory (a few ms of extra start-up). */
  probeMemory?: boolean;
}

/**
 * The compiled command with its `run` subcommand, as node arguments; the benchmark measures the product as
 * users run it, never the sources.
 */
export function runnerCli(): string[] {
  const cli = fromRoot('dist', 'conformance', 'cli', 'main.js');
  if (!existsSync(cli)) throw new HarnessError('E_USAGE', `${cli} is missing: run \`npm run build\` first`);
  return [cli, 'run'];
}

const probeFile = (): string => fromRoot('dist', 'conformance', 'bench', 'rss-probe.js');

export async function runNode(args: readonly string[], opts: SpawnOptions = {}): Promise<ChildRun> {
  const dir = opts.probeMemory ? mkdtempSync(join(tmpdir(), 'bench-usage-')) : undefined;
  const usageFile = dir !== undefined ? join(dir, 'usage.json') : undefined;
  const pre = usageFile !== undefined ? ['--import', pathToFileURL(probeFile()).href] : [];
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  if (usageFile !== undefined) env.BENCH_USAGE_FILE = usageFile;
  try {
    const started = performance.now();
    const child = spawn(process.execPath, [...pre, ...args], {
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
