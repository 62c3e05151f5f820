import { AssertionError } from 'chai';
import Mocha from 'mocha';
import { freshSeed } from './attacks/engine.js';
import type { GeneratedRun } from './attacks/budget.js';
import { detectProfile, type Detection } from './checks/detect.js';
import { CHECKS } from './checks/index.js';
import { compileSchemas } from './checks/schemas.js';
import { CheckSession } from './checks/context/session.js';
import { unmetPrecondition } from './checks/preconditions.js';
import type { CheckDefinition } from './checks/types.js';
import type { RunConfig } from './config.js';
import { HarnessError, isHarnessError, isPreconditionError } from './errors.js';
import { checkTokenArgument } from './guard.js';
import { HttpClient, HttpFailure } from './http.js';
import { toolVersion } from './paths.js';
import { preflightCredentials, preflightTarget } from './preflight.js';
import { getProfile, type ProfileId } from './profiles.js';
import { Redactor } from './redact.js';
import { buildReport } from './report/build.js';
import type { Progress } from './report/progress.js';
import type { CheckResult, CheckStatus, Exchange, ReportDocument } from './report/types.js';

/**
 * Runs the registry against one target and returns the canonical result document. Mocha is the engine: one
 * mocha Test per check, in registry order (runSuite); outcomes are classified here (a chai AssertionError fails, a
 * PreconditionError skips, anything else is a harness error) and turned into the document by the pure
 * buildReport() (report/build.ts).
 */
export interface RunOptions {
  /** Told about each check as it finishes (the console reporter). */
  readonly progress?: Progress;
  /** Masks the run's secrets; the caller's, so that it can scrub its own output with it. Default: a new one. */
  readonly redactor?: Redactor;
  /**
   * Interrupts the run (Ctrl-C, a deadline): no further check starts, no new request is sent, requests in
   * flight are aborted, and runConformance resolves after the cleanup (bounded by cleanupDeadlineMs) with the
   * reason (a HarnessError: E_INTERRUPTED, E_DEADLINE) in the report's errors, saying what was interrupted
   * and what was removed. The library installs no signal handler and never ends the process: the CLI owns both.
   */
  readonly signal?: AbortSignal;
  /** How long the removal of created tokens may take at the end; default max(3 × timeout + 1 s, 5 s). */
  readonly cleanupDeadlineMs?: number;
}

/** What one check did, before it becomes a CheckResult. */
export interface CheckOutcome {
  readonly status: CheckStatus;
  readonly message: string;
  readonly code?: string;
  readonly durationMs: number;
  readonly exchanges: Exchange[];
}

export function toCheckResult(check: CheckDefinition, o: CheckOutcome): CheckResult {
  return {
    id: check.id,
    level: check.level,
    title: check.title,
    category: check.category,
    specRef: check.specRef,
    status: o.status,
    message: o.message,
    ...(o.code !== undefined && { code: o.code }),
    durationMs: o.durationMs,
    exchanges: o.exchanges,
  };
}

const isAssertion = (e: unknown): e is Error =>
  e instanceof AssertionError || (e instanceof Error && e.name === 'AssertionError');

/** Classifies what a check threw: the one place where fail, skip and error are told apart. */
export function classifyThrown(e: unknown, redactor: Redactor): Pick<CheckOutcome, 'status' | 'message' | 'code'> {
  const msg = (x: unknown): string => redactor.redact(x instanceof Error ? x.message : String(x));
  if (isAssertion(e)) return { status: 'failed', message: msg(e) };
  if (isPreconditionError(e)) return { status: 'skipped', message: msg(e), code: e.code };
  if (isHarnessError(e)) return { status: 'errored', message: msg(e), code: e.code };
  return { status: 'errored', message: `internal error: ${msg(e)}`, code: 'E_INTERNAL' };
}

/**
 * Runs one check in the session: its preconditions first (requirements, then the checks it depends on, whose
 * status `statusOf` gives), then its body. Never throws.
 */
export async function executeCheck(
  check: CheckDefinition,
  session: CheckSession,
  statusOf: (id: string) => CheckStatus | undefined = () => undefined,
): Promise<CheckOutcome> {
  const { redactor } = session.opts;
  const started = performance.now();
  const exchanges: Exchange[] = [];
  const done = (o: Pick<CheckOutcome, 'status' | 'message' | 'code'>): CheckOutcome => ({
    ...o,
    durationMs: Math.round(performance.now() - started),
    exchanges,
  });
  const why = unmetPrecondition(check, session.opts, statusOf);
  if (why) return done(classifyThrown(why, redactor));
  const notes: string[] = [];
  const basis: string[] = [];
  try {
    await check.run(session.contextFor(check.requires ?? [], exchanges, notes, basis));
    return done({ status: 'passed', message: redactor.redact([...basis, ...notes].join('; ')) });
  } catch (e) {
    // A failed memoised fact carries the exchange that shows it; make it this check's evidence too.
    if (e instanceof HttpFailure && !exchanges.includes(e.exchange)) exchanges.push(e.exchange);
    const o = classifyThrown(e, redactor);
    // A failure says what it stood on too (which token and why), so it can be told from a wrong choice.
    if (o.status !== 'failed' || basis.length === 0) return done(o);
    return done({ ...o, message: `${o.message} [${redactor.redact(basis.join('; '))}]` });
  }
}

/**
 * The order checks run in: the registry's, except that the checks judging the whole run's log go after every
 * check that makes requests, so that they see every response (attack checks are appended to the registry).
 */
export function executionOrder(checks: readonly CheckDefinition[]): CheckDefinition[] {
  return [...checks.filter((c) => !c.judgesTheRun), ...checks.filter((c) => c.judgesTheRun)];
}

class SilentReporter extends Mocha.reporters.Base {}

/**
 * Runs the checks as a mocha suite (one mocha Test per check, silent reporter), in executionOrder, and returns
 * one outcome per check. Mocha bounds each check's time and turns an exception nothing caught while a check
 * runs (an event emitter's error, a callback that threw) into that check's failure; here such an exception is
 * classified like any other thrown value, and a timeout is E_TIMEOUT. A late end after a timeout is ignored.
 */
export async function runSuite(
  checks: readonly CheckDefinition[],
  exec: (c: CheckDefinition, statusOf: (id: string) => CheckStatus | undefined) => Promise<CheckOutcome>,
  perCheckTimeoutMs: number,
  onOutcome: (c: CheckDefinition, o: CheckOutcome) => void,
  classify: (e: unknown) => Pick<CheckOutcome, 'status' | 'message' | 'code'> = (e) =>
    classifyThrown(e, new Redactor()),
): Promise<Map<string, CheckOutcome>> {
  const outcomes = new Map<string, CheckOutcome>();
  const record = (c: CheckDefinition, o: CheckOutcome): void => {
    if (outcomes.has(c.id)) return; // a late result after a timeout or an uncaught exception must not overwrite it
    outcomes.set(c.id, o);
    onOutcome(c, o);
  };
  const mocha = new Mocha({ reporter: SilentReporter, timeout: perCheckTimeoutMs, bail: false });
  const byTitle = new Map(checks.map((c) => [c.id, c]));
  const statusOf = (id: string): CheckStatus | undefined => outcomes.get(id)?.status;
  for (const check of executionOrder(checks)) {
    mocha.suite.addTest(
      new Mocha.Test(check.id, async function (this: Mocha.Context) {
        const o = await exec(check, statusOf);
        record(check, o);
        if (o.status === 'skipped') this.skip();
        if (o.status !== 'passed') throw new Error(o.message);
      }),
    );
  }
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => {
      resolve();
    });
    runner.on('fail', (test, err) => {
      const check = byTitle.get(test.title);
      // Only mocha's own timeout or an exception nothing caught gets here without an outcome.
      if (check === undefined || outcomes.has(check.id)) return;
      record(
        check,
        isMochaTimeout(err)
          ? {
              status: 'errored',
              message: `the check did not finish within ${String(perCheckTimeoutMs)} ms`,
              code: 'E_TIMEOUT',
              durationMs: perCheckTimeoutMs,
              exchanges: [],
            }
          : { ...classify(err), durationMs: test.duration ?? 0, exchanges: [] },
      );
    });
  });
  // Removes the runner's process listeners (uncaughtException and the one it leaves after the end): runs repeat
  // in-process.
  mocha.dispose();
  return outcomes;
}

const isMochaTimeout = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ERR_MOCHA_TIMEOUT';

function resolveProfileId(config: RunConfig, detection: Detection | undefined): ProfileId {
  if (config.profile === 'auto') return detection?.profile ?? 'onezone-17.06';
  return config.profile;
}

/** Runs every check against `config.target` and returns the report (also on harness failures: exit 2). */
export async function runConformance(config: RunConfig, options: RunOptions = {}): Promise<ReportDocument> {
  const startedAt = new Date();
  const targetUrl = config.target;
  // Before anything is sent: a token HTTP cannot carry is the operator's mistake, not the target's.
  if (config.token !== undefined) checkTokenArgument(config.token);
  const redactor = options.redactor ?? new Redactor();
  const { signal } = options;
  const http = new HttpClient({
    ...(signal && { signal }),
    timeoutMs: config.timeoutMs,
    redactor,
    insecure: config.insecure,
    scope: targetUrl,
    ...(config.caPem !== undefined && { caPem: config.caPem }),
    ...(config.maxBodyBytes !== undefined && { maxBodyBytes: config.maxBodyBytes }),
  });
  const errors: Array<{ code: string; message: string }> = [];
  const generated: GeneratedRun = { seed: config.seed ?? freshSeed(), depth: config.depth ?? 'default', cases: 0 };
  let session: CheckSession | undefined;
  const cleanupDeadlineMs = options.cleanupDeadlineMs ?? Math.max(3 * config.timeoutMs + 1000, 5000);
  /** Checks that finished before an interrupt; the others are reported as not run. */
  const finishedInTime = new Set<string>();
  let detection: Detection | undefined;
  let profileId: string = config.profile;
  let results: CheckResult[] = [];
  try {
    const unreachable = await preflightTarget(http, targetUrl, config.timeoutMs);
    if (unreachable) throw unreachable;
    if (config.profile === 'auto') detection = await detectProfile(http, targetUrl);
    const profile = getProfile(resolveProfileId(config, detection), detection?.release);
    profileId = profile.id;
    const schemas = compileSchemas(profile.specVersion);
    session = new CheckSession({
      baseUrl: targetUrl,
      http,
      redactor,
      profile,
      schemas,
      allowWrites: config.allowWrites,
      generated,
      ...(config.user && { user: config.user }),
      ...(config.otherUser && { otherUser: config.otherUser }),
      ...(config.token !== undefined && { token: config.token }),
    });
    // The preflight reads the lists through the checks' memoised facts: the checks reuse its answers.
    const stop = await preflightCredentials(session.contextFor([], []), config, targetUrl);
    if (stop) {
      errors.push({ code: stop.code, message: redactor.redact(stop.message) });
    } else {
      const s = session;
      const outcomes = await runSuite(
        CHECKS,
        (c, statusOf) => (signal?.aborted ? Promise.resolve(notRun(signal)) : executeCheck(c, s, statusOf)),
        // Thorough generated checks send thousands of requests: their bound is the budget, not this guard.
        generated.depth === 'default' ? config.timeoutMs * 4 + 2000 : Math.max(config.timeoutMs * 4 + 2000, 3_600_000),
        (c, o) => {
          if (signal?.aborted) return;
          finishedInTime.add(c.id);
          options.progress?.checkFinished(toCheckResult(c, o));
        },
        (e) => classifyThrown(e, redactor),
      );
      results = CHECKS.map((c) =>
        toCheckResult(
          c,
          (signal?.aborted && !finishedInTime.has(c.id) ? notRun(signal) : outcomes.get(c.id)) ?? {
            status: 'errored',
            message: 'did not run',
            code: 'E_INTERNAL',
            durationMs: 0,
            exchanges: [],
          },
        ),
      );
    }
  } catch (e) {
    const err = isHarnessError(e) ? e : new HarnessError('E_INTERNAL', (e as Error).message, { cause: e });
    // The interrupt itself is reported once, below, with what it cut short.
    if (!signal?.aborted) errors.push({ code: err.code, message: redactor.redact(err.message) });
  } finally {
    // Always remove what the run created, also after a failure or an interrupt; problems are reported, not thrown.
    const created = session?.ledger.pending.size ?? 0;
    const problems = session
      ? // Interrupted: the operator wants out, so the DELETEs are not confirmed by listing again.
        await session.cleanup({ deadlineMs: cleanupDeadlineMs, verify: !signal?.aborted })
      : [];
    errors.push(...problems.map((p) => ({ ...p, message: redactor.redact(p.message) })));
    if (signal?.aborted) {
      const reason = abortReason(signal);
      const left = problems.filter((p) => p.code === 'E_CLEANUP').length;
      const removed = Math.max(0, created - left);
      errors.push({
        code: reason.code,
        message: redactor.redact(
          `${reason.message}: ${finishedInTime.size} of ${CHECKS.length} checks had finished, the rest did not run; ` +
            `${removed} created token${removed === 1 ? '' : 's'} removed` +
            (left > 0 ? `, ${left} could not be removed (see the cleanup errors)` : ''),
        ),
      });
    }
    await http.close();
  }
  return buildReport({
    config,
    targetUrl,
    profile: profileId,
    ...(detection && { detection }),
    startedAt,
    finishedAt: new Date(),
    results,
    errors,
    toolVersion: toolVersion(),
    generated,
  });
}

/** The interrupt's reason as a HarnessError (the CLI gives E_INTERRUPTED or E_DEADLINE). */
function abortReason(signal: AbortSignal): HarnessError {
  const r: unknown = signal.reason;
  return isHarnessError(r) ? r : new HarnessError('E_INTERRUPTED', 'the run was interrupted');
}

const notRun = (signal: AbortSignal): CheckOutcome => ({
  status: 'errored',
  message: `not run: ${abortReason(signal).message}`,
  code: abortReason(signal).code,
  durationMs: 0,
  exchanges: [],
});
