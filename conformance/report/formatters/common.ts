import { outcomeOf, type Outcome } from '../grade.js';
import type { CheckResult, Exchange, ReportDocument } from '../types.js';

export const OUTCOME_LABEL: Readonly<Record<Outcome, string>> = {
  pass: 'passed',
  fail: 'FAILED',
  warning: 'warning',
  error: 'error',
  skip: 'skipped',
};

export const VERDICT_LABEL: Readonly<Record<ReportDocument['verdict'], string>> = {
  conformant: 'Conformant',
  'non-conformant': 'Non-conformant',
  error: 'Could not judge (harness error)',
};

/** Checks that need their evidence shown: failures first, then errors, then warnings. */
export function checksWithEvidence(report: ReportDocument): CheckResult[] {
  const rank: Partial<Record<Outcome, number>> = { fail: 0, error: 1, warning: 2 };
  return report.checks
    .filter((c) => rank[outcomeOf(c)] !== undefined)
    .sort((a, b) => (rank[outcomeOf(a)] ?? 9) - (rank[outcomeOf(b)] ?? 9));
}

export const formatMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/** One exchange as HTTP-ish text: request line, headers, body; then the status line, headers, body. */
export function exchangeText(x: Exchange): string {
  const lines = [`${x.request.method} ${x.request.url}`];
  for (const [name, value] of Object.entries(x.request.headers)) lines.push(`${name}: ${value}`);
  if (x.request.body !== undefined && x.request.body !== '') lines.push('', x.request.body);
  lines.push('');
  if (x.response) {
    lines.push(`← ${x.response.status} (${formatMs(x.durationMs)})`);
    for (const [name, value] of Object.entries(x.response.headers)) lines.push(`${name}: ${value}`);
    lines.push('', x.response.body === '' ? '(empty body)' : x.response.body);
    if (x.response.bodyTruncatedForReport) lines.push('… (body truncated for the report)');
  } else {
    lines.push(`← no response: ${x.error?.code ?? 'unknown'} ${x.error?.message ?? ''}`.trimEnd());
  }
  return lines.join('\n');
}

/**
 * True when the run was told not to verify the target's TLS certificate (--insecure): every view says so,
 * since anyone between the runner and the target could have written the answers this report judges.
 */
export const tlsUnverified = (report: ReportDocument): boolean => report.target.tls?.verify === false;

/** The judged checks (skipped ones say nothing about the target) and how many of them passed. */
export function passRatio(report: ReportDocument): { passed: number; judged: number } {
  const { total, skipped, passed } = report.summary;
  return { passed, judged: total - skipped };
}

/** The generated checks' line (issue 11): how many cases, and how to replay them. */
export function generatedText(g: NonNullable<ReportDocument['generated']>): string {
  const depth = g.depth === 'default' ? '' : ` --depth ${g.depth}`;
  return `${g.cases} generated cases (seed ${g.seed}, depth ${g.depth}); replay with --seed ${g.seed}${depth}`;
}
