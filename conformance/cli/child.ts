import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { repoRoot } from '../paths.js';
import { untilStopped, type Io } from './io.js';

/**
 * A dependency's command-line tool run as a child of ours, in the foreground: its output passes through,
 * and it ends when we are told to stop (Ctrl+C, SIGTERM, SIGHUP) or our parent ends, so that `npm run mock &`
 * killed by npm's pid does not leave Prism listening.
 */
export function binOf(pkg: string, name: string): string {
  const manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  const bin = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> }).bin;
  const rel = typeof bin === 'string' ? bin : bin?.[name];
  if (rel === undefined) throw new Error(`${pkg} declares no bin ${name}`);
  return join(dirname(manifest), rel);
}

export async function runTool(script: string, args: readonly string[], io: Io): Promise<number> {
  const child = spawn(process.execPath, [script, ...args], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(io.out, { end: false });
  child.stderr.pipe(io.err, { end: false });
  const { stopped, dispose } = untilStopped(io.lifecycle);
  const exited = new Promise<number>((resolve) => {
    child.once('error', (e) => {
      io.err.write(`error: ${script} could not start: ${e.message}\n`);
      resolve(2);
    });
    child.once('close', (code, signal) => {
      resolve(code ?? (signal !== null ? 1 : 0));
    });
  });
  const first = await Promise.race([exited, stopped.then(() => 'stop' as const)]);
  dispose();
  if (first !== 'stop') return first;
  child.kill('SIGTERM');
  await exited;
  return 0;
}
