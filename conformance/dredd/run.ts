import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fromRoot, repoRoot } from '../paths.js';
import { Redactor } from '../redact.js';
import type { DreddConfig } from './config.js';

/**
 * Runs Dredd 14.1.0 as a child process (node_modules/dredd/bin/dredd), not through its JS API, because:
 * - its whole output passes through a pipe we own, so every line is redacted before it is printed: a second
 *   layer behind the hooks' masking, for what hooks cannot reach (a response echoing a password, the tokens
 *   in a 200 body, Dredd's own logging);
 * - credentials, CA and TLS settings reach it through the environment (ONEZONE_USER, NODE_EXTRA_CA_CERTS,
 *   NODE_TLS_REJECT_UNAUTHORIZED), never argv (visible in `ps`) and never a module-level setting of ours;
 * - Dredd keeps global state (winston logger, request's agent) and old dependencies (chai 4) that must not
 *   leak into the runner's or mocha's process, and it can be killed when the target hangs.
 * The price is one extra Node start (~0.1 s of Dredd's ~1.1 s on an idle machine), counted against Dredd
 * by the benchmark as the runner's own start is counted against the runner.
 */

/** The transactions the hooks let through: GET /user/client_tokens with credentials (200) and without (401). */
export const WANTED_TRANSACTIONS = 2;

export interface DreddStats {
  passing: number;
  failing: number;
  errors: number;
  skipped: number;
  total: number;
}

export interface DreddResult {
  /** 0 both wanted transactions passed; 1 one failed; 2 Dredd could not judge. */
  exitCode: 0 | 1 | 2;
  /** Why, in one line (no secrets). */
  reason: string;
  /** Dredd's own summary line, parsed; undefined when Dredd ended without one (spec error, crash, kill). */
  stats?: DreddStats;
  /** Dredd's process exit code (null when killed). */
  dreddExitCode: number | null;
  durationMs: number;
  /** Dredd's stdout and stderr, redacted, in arrival order. */
  output: string;
}

export interface DreddRunOptions {
  /** Receives every redacted output line as it arrives (the CLI prints them). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Overall deadline; default 20 s + 2 x the per-request timeout. */
  deadlineMs?: number;
}

export const HOOKS_FILE = (): string => fromRoot('conformance', 'dredd', 'hooks.cjs');

function dreddBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('dredd/package.json')), 'bin', 'dredd');
}

/** The secrets of this run, plus the generic token patterns (the 200 body lists real tokens). */
export function redactorFor(config: DreddConfig): Redactor {
  const r = new Redactor();
  if (config.user) r.addCredentials(config.user.name, config.user.password);
  if (config.token !== undefined) r.addToken(config.token);
  return r;
}

/** The child's environment: the caller's, with this run's credentials and TLS settings replacing any others. */
export function childEnv(config: DreddConfig, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.ONEZONE_USER;
  delete env.ONEZONE_TOKEN;
  delete env.ONEZONE_OTHER_USER;
  if (config.user) env.ONEZONE_USER = `${config.user.name}:${config.user.password}`;
  if (config.token !== undefined) env.ONEZONE_TOKEN = config.token;
  if (config.caFile !== undefined) env.NODE_EXTRA_CA_CERTS = config.caFile;
  if (config.insecure) env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  return env;
}

export function dreddArgs(config: DreddConfig): string[] {
  return [
    // Dredd's winston 2 trips a Node "circular dependency" warning on every start: noise, not a finding.
    '--no-warnings',
    dreddBin(),
    config.specFile,
    // Dredd joins this URL's path with the spec's paths and ignores `servers`, so the API prefix goes here.
    config.target,
    '--hookfiles',
    HOOKS_FILE(),
    '--language',
    'nodejs',
    '--no-color',
    // A stray ./dredd.yml must not change what runs.
    '--config',
    join(repoRoot(), 'conformance', 'dredd', 'no-dredd.yml'),
  ];
}

const ANSI = /\u001b\[[0-9;]*m/g;
const SUMMARY = /complete:\s+(\d+) passing, (\d+) failing, (\d+) errors, (\d+) skipped, (\d+) total/;

/** Dredd's `complete: N passing, N failing, N errors, N skipped, N total` line, if the output has one. */
export function parseSummary(output: string): DreddStats | undefined {
  const m = SUMMARY.exec(output.replace(ANSI, ''));
  if (!m) return undefined;
  const [passing, failing, errors, skipped, total] = m.slice(1).map(Number) as [number, number, number, number, number];
  return { passing, failing, errors, skipped, total };
}

/** The wrapper's verdict from Dredd's summary: a pure function, so that every branch is testable. */
export function judge(
  stats: DreddStats | undefined,
  dreddExitCode: number | null,
  killed: boolean,
): Pick<DreddResult, 'exitCode' | 'reason'> {
  if (killed) return { exitCode: 2, reason: 'Dredd did not finish before the deadline and was stopped' };
  if (stats === undefined)
    return { exitCode: 2, reason: `Dredd ended without a summary (exit ${String(dreddExitCode)}): see its output` };
  if (stats.errors > 0)
    return { exitCode: 2, reason: `${stats.errors} transaction(s) errored (connection, TLS or hook error)` };
  if (stats.failing > 0) return { exitCode: 1, reason: `${stats.failing} transaction(s) failed` };
  if (stats.passing !== WANTED_TRANSACTIONS) {
    return {
      exitCode: 2,
      reason: `${stats.passing} transaction(s) ran instead of ${WANTED_TRANSACTIONS} (GET 200 and GET 401): does the spec still document both?`,
    };
  }
  return { exitCode: 0, reason: `both transactions passed` };
}

export async function runDredd(config: DreddConfig, options: DreddRunOptions = {}): Promise<DreddResult> {
  const redactor = redactorFor(config);
  const started = performance.now();
  const child = spawn(process.execPath, dreddArgs(config), {
    cwd: repoRoot(),
    env: childEnv(config, process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (stream: 'stdout' | 'stderr') => (raw: string) => {
    // Line by line: a secret never spans a newline, so no chunk boundary can split one past the redactor.
    const line = redactor.redact(raw);
    lines.push(line);
    options.onLine?.(line, stream);
  };
  const outDone = drain(createInterface({ input: child.stdout }), collect('stdout'));
  const errDone = drain(createInterface({ input: child.stderr }), collect('stderr'));

  let killed = false;
  const deadline = setTimeout(
    () => {
      killed = true;
      child.kill('SIGKILL');
    },
    options.deadlineMs ?? 20_000 + 2 * config.timeoutMs,
  );
  try {
    const dreddExitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        resolve(code);
      });
    });
    await Promise.all([outDone, errDone]);
    const output = lines.join('\n');
    const stats = parseSummary(output);
    return {
      ...judge(stats, dreddExitCode, killed),
      ...(stats && { stats }),
      dreddExitCode,
      durationMs: performance.now() - started,
      output,
    };
  } finally {
    clearTimeout(deadline);
  }
}

function drain(rl: ReturnType<typeof createInterface>, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    rl.on('line', onLine);
    rl.once('close', resolve);
  });
}
