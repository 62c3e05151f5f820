import { plural, terminalLine } from './console.js';
import { tlsUnverified } from './formatters/common.js';
import { decide, isJudged, isMust, outcomeOf, type ExitCode } from './grade.js';
import type { CheckResult, CheckStatus, ReportDocument } from './types.js';

/**
 * The release gate, a pure function of a report, an optional baseline and an optional allowlist.
 *
 * It blocks when:
 * - a MUST check failed (the target is non-conformant), unless an unexpired allowlist entry covers it;
 * - a check errored, or the runner's verdict is `error` (the report could not judge; exit code 2, unless a
 *   reason above or below blocks with 1);
 * - a check that passed in the baseline now fails or errors, at any level (a regression), unless allowed;
 * - a check judged in the baseline (passed or failed) is skipped now: the judged coverage dropped, so a
 *   missing secret or user in CI cannot turn a failing check into a silent pass, unless allowed;
 * - the report was made against the embedded stand-in while the baseline came from a real target (an empty
 *   ONEZONE_TARGET in CI);
 * - no MUST check was judged at all (exit 2: the report says nothing about the target);
 * - an allowlist entry that applies to this profile has expired (it says so, even if the check passes now);
 * - an allowlist entry is stale: its check passes now, or no such check exists. Stale entries block, as in
 *   the MCP conformance suite's expected-failures list: a fixed defect must be taken off the list, or the
 *   list stops meaning anything and would hide a later relapse.
 * Warnings (failed SHOULD/MAY that passed or were absent in the baseline) are listed and never block.
 */
export interface AllowlistEntry {
  /** The check ID. */
  id: string;
  /** Why the deviation is accepted, e.g. an upstream issue link. */
  reason: string;
  /**
   * ISO date (YYYY-MM-DD) or date-time; the entry stops allowing at that instant (a date means 00:00 UTC).
   * An impossible date (2099-02-30) is refused, not rolled over into March.
   */
  expires: string;
  /** When set, the entry applies only to reports with this target profile. */
  profile?: string;
}

export interface GateOptions {
  baseline?: ReportDocument;
  allowlist?: readonly AllowlistEntry[];
  now: Date;
}

export interface Regression {
  id: string;
  level: CheckResult['level'];
  was: CheckStatus;
  now: CheckStatus;
  message: string;
}

export interface GateResult {
  ok: boolean;
  /** Human-readable differences and decisions, in print order. */
  lines: string[];
  /** 0 pass; 1 blocked (non-conformant, regression, expired or stale allowlist entry); 2 otherwise blocked because the report could not judge. */
  exitCode: ExitCode;
  /** Failing MUST checks not covered by the allowlist. */
  newFailures: string[];
  regressions: Regression[];
  /** Checks judged in the baseline and skipped now. */
  coverageLost: string[];
  /** Failing checks an unexpired allowlist entry covers. */
  allowed: string[];
  expiredAllowlist: AllowlistEntry[];
  staleAllowlist: AllowlistEntry[];
}

export function gate(report: ReportDocument, { baseline, allowlist = [], now }: GateOptions): GateResult {
  const entries = allowlist.filter((e) => e.profile === undefined || e.profile === report.target.profile);
  const isExpired = (e: AllowlistEntry): boolean => !(now.getTime() < (parseExpiry(e.expires) ?? -Infinity));
  const activeFor = (id: string): AllowlistEntry | undefined => entries.find((e) => e.id === id && !isExpired(e));
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const lines: string[] = [];
  const allowed = new Set<string>();

  const newFailures: string[] = [];
  for (const c of report.checks) {
    if (outcomeOf(c) !== 'fail') continue;
    const entry = activeFor(c.id);
    if (entry) {
      allowed.add(c.id);
      lines.push(`allowed    ${c.id} [MUST] until ${entry.expires}: ${entry.reason}`);
    } else {
      newFailures.push(c.id);
      lines.push(`FAILED     ${c.id} [MUST] ${oneLine(c.message)}`);
    }
  }

  const regressions: Regression[] = [];
  const coverageLost: string[] = [];
  const embeddedAgainstReal = baseline !== undefined && report.target.embedded && !baseline.target.embedded;
  if (embeddedAgainstReal) {
    lines.push(
      `TARGET     this report was made against the embedded stand-in, the baseline against ${oneLine(baseline.target.url)}: is ONEZONE_TARGET empty?`,
    );
  }
  if (baseline) {
    if (baseline.target.profile !== report.target.profile) {
      lines.push(
        `note       baseline profile ${baseline.target.profile} differs from this report's ${report.target.profile}`,
      );
    }
    for (const was of baseline.checks) {
      const cur = byId.get(was.id);
      if (!cur) {
        lines.push(`note       ${was.id} is in the baseline but not in this report`);
        continue;
      }
      if (isJudged(was) && cur.status === 'skipped') {
        const entry = activeFor(cur.id);
        if (entry) {
          allowed.add(cur.id);
          lines.push(`allowed    ${cur.id} [${cur.level}] skipped until ${entry.expires}: ${entry.reason}`);
        } else {
          coverageLost.push(cur.id);
          lines.push(
            `COVERAGE   ${cur.id} [${cur.level}] ${was.status} in the baseline, skipped now: ${oneLine(cur.message)}`,
          );
        }
        continue;
      }
      if (was.status !== 'passed' || (cur.status !== 'failed' && cur.status !== 'errored')) {
        if (was.status !== 'passed' && cur.status === 'passed')
          lines.push(`fixed      ${cur.id} ${was.status} in the baseline, passes now`);
        continue;
      }
      const entry = activeFor(cur.id);
      if (entry) {
        allowed.add(cur.id);
        if (outcomeOf(cur) !== 'fail')
          lines.push(`allowed    ${cur.id} [${cur.level}] regression until ${entry.expires}: ${entry.reason}`);
        continue;
      }
      regressions.push({ id: cur.id, level: cur.level, was: was.status, now: cur.status, message: cur.message });
      lines.push(
        `REGRESSION ${cur.id} [${cur.level}] passed in the baseline, ${cur.status} now: ${oneLine(cur.message)}`,
      );
    }
  }

  for (const c of report.checks) {
    if (outcomeOf(c) === 'warning' && !regressions.some((r) => r.id === c.id) && !allowed.has(c.id)) {
      lines.push(`warning    ${c.id} [${c.level}] ${oneLine(c.message)}`);
    }
  }

  const erroredChecks = report.checks.filter(
    (c) => outcomeOf(c) === 'error' && !regressions.some((r) => r.id === c.id),
  );
  for (const c of erroredChecks)
    lines.push(`ERROR      ${[c.id, c.code, oneLine(c.message)].filter(Boolean).join(' ')}`);
  for (const e of report.errors) lines.push(`run error  ${e.code} ${oneLine(e.message)}`);

  const expiredAllowlist = entries.filter(isExpired);
  for (const e of expiredAllowlist)
    lines.push(
      `EXPIRED    allowlist entry ${e.id} expired ${e.expires} (${e.reason}): renew it with a reason or fix the deviation`,
    );
  const staleAllowlist = entries.filter((e) => !isExpired(e) && isStale(byId.get(e.id)));
  for (const e of staleAllowlist) {
    const why = byId.has(e.id) ? 'the check passes now' : 'no such check in this report';
    lines.push(`STALE      allowlist entry ${e.id}: ${why}; remove the entry`);
  }

  if (tlsUnverified(report))
    lines.push(
      'INSECURE   the run did not verify the target’s TLS certificate (--insecure): anyone on the path could have answered',
    );
  const mustJudged = report.checks.filter((c) => isMust(c) && isJudged(c)).length;
  if (mustJudged === 0)
    lines.push('UNJUDGED   no MUST check was judged: this report says nothing about the target’s conformance');

  // Run-level errors alone (e.g. a cleanup problem) do not decide: the runner's verdict says whether they
  // stopped it from judging. A definite reason to block outranks "could not judge", as in the runner.
  const couldNotJudge = report.verdict === 'error' || erroredChecks.length > 0 || mustJudged === 0;
  const blocked =
    newFailures.length > 0 ||
    regressions.length > 0 ||
    coverageLost.length > 0 ||
    embeddedAgainstReal ||
    expiredAllowlist.length > 0 ||
    staleAllowlist.length > 0;
  const exitCode = decide(blocked, couldNotJudge);
  lines.push(verdictLine(report, exitCode));
  return {
    ok: exitCode === 0,
    lines,
    exitCode,
    newFailures,
    regressions,
    coverageLost,
    allowed: [...allowed],
    expiredAllowlist,
    staleAllowlist,
  };
}

/**
 * The instant an allowlist entry expires, or undefined when `expires` is not a real date: Date.parse rolls
 * 2099-02-30 over into 2 March, so the calendar date is checked against what it became.
 */
export function parseExpiry(expires: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(T.+)?$/.exec(expires);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  const at = Date.parse(expires);
  return Number.isNaN(at) ? undefined : at;
}

/** An entry is stale when its check exists and passes, or the check does not exist at all (typo or retired). */
const isStale = (check: CheckResult | undefined): boolean => check === undefined || check.status === 'passed';

const GATE_DECISION: Readonly<Record<ExitCode, string>> = {
  0: 'gate: PASS',
  1: 'gate: BLOCKED',
  2: 'gate: BLOCKED (the report could not judge)',
};

function verdictLine(report: ReportDocument, exitCode: ExitCode): string {
  const s = report.summary;
  const counts = `${s.passed} passed, ${s.failed} failed, ${plural(s.warnings, 'warning')}, ${s.errored} errored, ${s.skipped} skipped`;
  return `${GATE_DECISION[exitCode]} · verdict ${report.verdict} · ${report.target.profile} · ${counts}`;
}

/** Report text quotes the target: one line, and no control sequence that could reach the reader's terminal. */
const oneLine = (s: string): string => terminalLine(s);
