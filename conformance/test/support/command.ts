import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The one command, `onezone-conformance`, as node arguments: the compiled entry point under `npm test`, the
 * TypeScript source through tsx while developing (a loader given in NODE_OPTIONS is passed on).
 */
const fromSource = import.meta.url.endsWith('.ts');
const MAIN = fileURLToPath(new URL(fromSource ? '../../cli/main.ts' : '../../cli/main.js', import.meta.url));

export function commandArgs(...args: string[]): string[] {
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  const loader = fromSource && !nodeOptions.includes('tsx') ? ['--import', 'tsx'] : [];
  return [...loader, MAIN, ...args];
}

/** A minimal environment for a child: PATH, CI=true (quiet progress) and a tsx loader if one is in use. */
export function commandEnv(extra: Record<string, string> = {}): Record<string, string> {
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  return { PATH: process.env.PATH ?? '', CI: 'true', ...(nodeOptions && { NODE_OPTIONS: nodeOptions }), ...extra };
}

export function spawnCommand(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, commandArgs(...args), { env: commandEnv(), ...options });
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  lastLine: string;
}

/** Runs the command to its end with `env` added to the minimal environment. */
export function runCommandLine(args: readonly string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, commandArgs(...args), {
      env: commandEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.trimEnd().split('\n');
      resolve({ code, stdout, stderr, lastLine: lines[lines.length - 1] ?? '' });
    });
  });
}

/**
 * `run --allow-writes` against `url` as `user`, started as an operator starts it, for a test to signal: its
 * exit code (or -1 when a signal ended it) once it has exited.
 */
export function spawnWritingRun(
  url: string,
  user: { readonly name: string; readonly password: string },
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    commandArgs(
      'run',
      '--target',
      url,
      '--user',
      `${user.name}:${user.password}`,
      '--allow-writes',
      '--timeout',
      '10000',
      '--report-dir',
      '/tmp/oz-interrupt-unused',
    ),
    { env: commandEnv(), stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((r) => {
    child.on('close', (code, signal) => {
      r(code ?? (signal ? -1 : null));
    });
  });
  return { child, exited };
}
