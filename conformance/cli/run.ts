import { configFrom, toRunConfig, type CliConfig, type ResolvedTarget, type Target } from '../config.js';
import { HarnessError, isHarnessError } from '../errors.js';
import { Redactor } from '../redact.js';
import { detectionLine, runEpilogue, terminalSafe } from '../report/console.js';
import { createProgress } from '../report/progress.js';
import { prepareReportDir, writeReports } from '../report/write.js';
import { runConformance } from '../run.js';
import type { ParsedFlags } from './flags.js';
import { NOTHING_RUN, SIGNAL_EXIT, type Io, type StopSignal } from './io.js';

/**
 * `onezone-conformance run [--target URL] [options]`, and without --target the embedded main job: start the
 * stand-in, run everything against it with writes and its two users, write the reports, stop it.
 * The CLI owns what belongs to the process: the Redactor, the AbortSignal (Ctrl-C, SIGTERM, SIGHUP, the
 * parent's end, --deadline) and the exit code. The last line of output is always `N passed, N failed, N skipped,
 * N errored` (failed = MUST failures).
 */

export async function runCommand(flags: ParsedFlags, io: Io): Promise<number> {
  let config: CliConfig;
  let reportDir: string;
  try {
    config = configFrom(flags);
    const { target } = config;
    // Without a credential only the refusal of anonymous requests can be judged: most checks would be skipped
    // and the rest would read "conformant", which a forgotten ONEZONE_USER in CI must not turn into a release.
    if (target.kind === 'remote' && target.user === undefined && target.token === undefined)
      throw new HarnessError(
        'E_USAGE',
        'no credentials: give --user NAME:PASSWORD (ONEZONE_USER) or --token TOKEN (ONEZONE_TOKEN); without ' +
          'them nothing but the refusal of anonymous requests can be judged',
      );
    // Before the first request, from the person's working directory: a run that cannot keep its evidence
    // must not touch the target (its writes included) only to fail at the end.
    reportDir = await prepareReportDir(config.reportDir, io.cwd);
  } catch (e) {
    if (!isHarnessError(e)) throw e;
    io.err.write(
      `error ${e.code}: ${terminalSafe(e.message)}\nRun \`onezone-conformance run --help\` for the options.\n`,
    );
    io.out.write(NOTHING_RUN + '\n');
    return 2;
  }

  if (config.insecure)
    io.err.write(
      'warning: --insecure: the TLS certificate of the target is not verified; whoever sits between this machine ' +
        'and the target can read the credentials and forge the answers\n',
    );

  const redactor = new Redactor();
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stop = (signal: StopSignal, why: string): void => {
    if (controller.signal.aborted) {
      io.err.write(`${signal} again: still removing what the run created (each request bounded by --timeout)\n`);
      return;
    }
    stoppedBy = signal;
    io.err.write(`\n${why}: stopping; removing what the run created\n`);
    controller.abort(new HarnessError('E_INTERRUPTED', why));
  };
  const offSignal = io.lifecycle?.onSignal((s) => {
    stop(s, `interrupted by ${s}`);
  });
  const offParent = io.lifecycle?.onParentGone(() => {
    stop('SIGHUP', 'interrupted: the process that started the run has ended');
  });

  const deadline = setTimeout(() => {
    io.err.write(`\n--deadline of ${config.deadlineMs} ms reached: stopping; removing what the run created\n`);
    controller.abort(new HarnessError('E_DEADLINE', `the run passed its --deadline of ${config.deadlineMs} ms`));
  }, config.deadlineMs);

  let standin: { close(): Promise<void> } | undefined;
  try {
    registerSecrets(redactor, config.target);
    const resolved = await resolveTarget(config.target);
    standin = resolved.standin;
    const runConfig = toRunConfig(config, resolved.target);
    io.out.write(
      `target:  ${runConfig.target}${runConfig.embedded ? ' (embedded stand-in)' : ''}\nprofile: ${config.profile}\n`,
    );
    const interactive = Boolean(io.out.isTTY) && io.env['CI'] !== 'true';
    const progress = createProgress({ stream: io.out, interactive });
    const report = await runConformance(runConfig, { progress, redactor, signal: controller.signal });
    if (report.target.detection) io.out.write(detectionLine(report.target.detection) + '\n');
    let exitCode: number = report.exitCode;
    try {
      await writeReports(reportDir, report, {
        secrets: redactor.credentialSpellings(),
        onScrubbed: (note) => io.err.write(`warning: ${note}\n`),
      });
    } catch (e) {
      io.err.write(`error: reports could not be written: ${redactor.redact((e as Error).message)}\n`);
      exitCode = 2;
    }
    progress.finished(report);
    for (const line of runEpilogue(report, reportDir)) io.out.write(line + '\n');
    // An interrupted run says so in its exit code, as any process ended by a signal (documented in --help).
    return stoppedBy !== undefined ? SIGNAL_EXIT[stoppedBy] : exitCode;
  } catch (e) {
    const code = isHarnessError(e) ? e.code : 'E_INTERNAL';
    io.err.write(`error ${code}: ${terminalSafe(redactor.redact((e as Error).message))}\n`);
    io.out.write(NOTHING_RUN + '\n');
    return stoppedBy !== undefined ? SIGNAL_EXIT[stoppedBy] : 2;
  } finally {
    clearTimeout(deadline);
    offSignal?.();
    offParent?.();
    await standin?.close();
  }
}

/** Known before the first request, so that even an early failure's message is masked. */
function registerSecrets(redactor: Redactor, target: Target): void {
  if (target.kind !== 'remote') return;
  for (const u of [target.user, target.otherUser]) if (u) redactor.addCredentials(u.name, u.password);
  if (target.token !== undefined) redactor.addToken(target.token);
}

/** A remote target as given; the embedded one started here, its first two users becoming the run's. */
async function resolveTarget(
  target: Target,
): Promise<{ target: ResolvedTarget; standin?: { close(): Promise<void> } }> {
  if (target.kind === 'remote') return { target: { ...target, embedded: false } };
  // Loaded only here: a run against a real target never pays for the stand-in's modules.
  const { startStandin } = await import('../standin/server.js');
  let standin;
  try {
    // The newest release with a lived-in account (expired, revoked and caveated tokens first), as real zones are.
    standin = await startStandin({ version: '21.02' });
  } catch (e) {
    throw new HarnessError('E_STANDIN', `the embedded stand-in failed to start: ${(e as Error).message}`, { cause: e });
  }
  const [user, other] = standin.users;
  return {
    standin,
    target: {
      url: standin.url,
      embedded: true,
      ...(user && { user: { name: user.name, password: user.password } }),
      ...(other && { otherUser: { name: other.name, password: other.password } }),
    },
  };
}
