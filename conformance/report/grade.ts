import type { CheckResult, ReportDocument, ReportSummary, Verdict } from './types.js';

/**
 * The one grading rule. The level alone decides what a failed check means (MUST: non-conformant; SHOULD/MAY:
 * a warning); a definite reason to block outranks "could not judge"; the verdict and the exit code are two
 * names of one decision. The runner, the report validator, every formatter, the console and the gate call
 * this module rather than restating any of it.
 */

/** How a check reads to a person and to every report view. */
export type Outcome = 'pass' | 'fail' | 'warning' | 'error' | 'skip';

export type ExitCode = ReportDocument['exitCode'];

/** A MUST check decides conformance; SHOULD and MAY checks only warn. */
export const isMust = (check: Pick<CheckResult, 'level'>): boolean => check.level === 'MUST';

/** A judged check said something about the target (passed or failed); a skipped or errored one did not. */
export const isJudged = (check: Pick<CheckResult, 'status'>): boolean =>
  check.status === 'passed' || check.status === 'failed';

export function outcomeOf(check: Pick<CheckResult, 'status' | 'level'>): Outcome {
  switch (check.status) {
    case 'passed':
      return 'pass';
    case 'failed':
      return isMust(check) ? 'fail' : 'warning';
    case 'errored':
      return 'error';
    case 'skipped':
      return 'skip';
  }
}

export function summarize(checks: ReadonlyArray<Pick<CheckResult, 'status' | 'level'>>): ReportSummary {
  const summary: ReportSummary = { total: checks.length, passed: 0, failed: 0, warnings: 0, skipped: 0, errored: 0 };
  const field: Readonly<Record<Outcome, Exclude<keyof ReportSummary, 'total'>>> = {
    pass: 'passed',
    fail: 'failed',
    warning: 'warnings',
    skip: 'skipped',
    error: 'errored',
  };
  for (const c of checks) summary[field[outcomeOf(c)]]++;
  return summary;
}

/** Run-level problems that do not make the verdict unjudgeable (the verdict stands; the report says it). */
export const NON_BLOCKING_ERRORS: ReadonlySet<string> = new Set(['E_CLEANUP']);

/** A run-level error that stopped the run from judging (unlike a cleanup problem, after which the verdict stands). */
export const isBlockingError = (e: { code: string }): boolean => !NON_BLOCKING_ERRORS.has(e.code);

/** The shared decision: proven non-conformance is 1 even when something else could not be judged. */
export const decide = (nonConformant: boolean, couldNotJudge: boolean): ExitCode =>
  nonConformant ? 1 : couldNotJudge ? 2 : 0;

const VERDICT_OF: Readonly<Record<ExitCode, Verdict>> = { 0: 'conformant', 1: 'non-conformant', 2: 'error' };
const EXIT_CODE_OF: Readonly<Record<Verdict, ExitCode>> = { conformant: 0, 'non-conformant': 1, error: 2 };

export const verdictOf = (exitCode: ExitCode): Verdict => VERDICT_OF[exitCode];
export const exitCodeOf = (verdict: Verdict): ExitCode => EXIT_CODE_OF[verdict];

export interface Grade {
  readonly summary: ReportSummary;
  readonly verdict: Verdict;
  readonly exitCode: ExitCode;
}

/** Summary, verdict and exit code of a run, from its check results and run-level errors. */
export function grade(
  checks: ReadonlyArray<Pick<CheckResult, 'status' | 'level'>>,
  errors: ReadonlyArray<{ code: string }>,
): Grade {
  const summary = summarize(checks);
  const blockingErrors = errors.some(isBlockingError);
  const exitCode = decide(summary.failed > 0, summary.errored > 0 || blockingErrors);
  return { summary, verdict: verdictOf(exitCode), exitCode };
}
