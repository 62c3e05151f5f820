#!/usr/bin/env node
import { resolve } from 'node:path';
import { DEFAULTS, resolveConfig, USAGE, type RunConfig } from './config.js';
import { HarnessError, isHarnessError } from './errors.js';
import { fromRoot, isEntryPoint } from './paths.js';
import type { Redactor } from './redact.js';
import { closingLine, detectionLine, runEpilogue, terminalSafe } from './report/console.js';
import { createProgress } from './report/progress.js';
import { writeReports } from './report/write.js';
import { runConformance } from './run.js';

/**
 * `npm run conformance -- --target URL [options]`, and without --target the embedded main job: start the
 * stand-in, run everything against it with writes and its two users, write the reports, stop it.
 * The last line of output is always `N passed, N failed, N skipped, N errored` (failed = MUST failures).
 */

const NOTHING_RUN = closingLine({ passed: 0, failed: 0, skipped: 0, errored: 0 });

interface Io {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly err: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The whole CLI as a function of its inputs; returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<0 | 1 | 2> {
  let request;
  try {
    request = resolveConfig(argv, io.env);
  } catch (e) {
    if (!isHarnessError(e)) throw e;
    io.err.write(`error: ${e.message}\nRun with --help for the options.\n`);
    io.out.write(NOTHING_RUN + '\n');
    return 2;
  }
  if (request.kind === 'help') {
    io.out.write(USAGE + '\n');
    return 0;
  }
  const config = request.config;
  const reportDir =
    config.reportDir === DEFAULTS.reportDir ? fromRoot(DEFAULTS.reportDir) : resolve(io.cwd, config.reportDir);
  let standin: { close(): Promise<void> } | undefined;
  let redactor: Redactor | undefined;
  try {
    let runConfig: RunConfig = config;
    if (config.embedded) {
      const started = await startEmbedded(config);
      standin = started.standin;
      runConfig = started.config;
    }
    io.out.write(
      `target:  ${runConfig.target ?? ''}${config.embedded ? ' (embedded stand-in)' : ''}\nprofile: ${config.profile}\n`,
    );
    const interactive = Boolean(io.out.isTTY) && io.env.CI !== 'true';
    const progress = createProgress({ stream: io.out, interactive });
    const report = await runConformance(runConfig, {
      progress,
      handleSignals: true,
      onRedactor: (r) => (redactor = r),
    });
    if (report.target.detection) io.out.write(detectionLine(report.target.detection) + '\n');
    let exitCode = report.exitCode;
    try {
      await writeReports(reportDir, report, {
        secrets: redactor?.credentials() ?? [],
        onScrubbed: (note) => io.err.write(`warning: ${note}\n`),
      });
    } catch (e) {
      io.err.write(`error: reports could not be written: ${redactor?.redact((e as Error).message) ?? 'see code'}\n`);
      exitCode = 2;
    }
    progress.finished(report);
    for (const line of runEpilogue(report, reportDir)) io.out.write(line + '\n');
    return exitCode;
  } catch (e) {
    const code = isHarnessError(e) ? e.code : 'E_INTERNAL';
    const message = (e as Error).message;
    io.err.write(`error ${code}: ${terminalSafe(redactor ? redactor.redact(message) : message)}\n`);
    io.out.write(NOTHING_RUN + '\n');
    return 2;
  } finally {
    await standin?.close();
  }
}

/** Starts the stand-in on a free loopback port; its first two users become --user and --other-user. */
async function startEmbedded(config: RunConfig): Promise<{ standin: { close(): Promise<void> }; config: RunConfig }> {
  // Loaded only here: a run against a real target never pays for the stand-in's modules.
  const { startStandin } = await import('./standin/server.js');
  let standin;
  try {
    standin = await startStandin();
  } catch (e) {
    throw new HarnessError('E_STANDIN', `the embedded stand-in failed to start: ${(e as Error).message}`, { cause: e });
  }
  const [user, other] = standin.users;
  return {
    standin,
    config: {
      ...config,
      target: standin.url,
      ...(user && { user: { name: user.name, password: user.password } }),
      ...(other && { otherUser: { name: other.name, password: other.password } }),
      allowWrites: true,
      embedded: true,
    },
  };
}

if (isEntryPoint(import.meta.url)) {
  const code = await main(process.argv.slice(2), {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}
