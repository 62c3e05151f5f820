import type { CheckResult, ReportDocument } from '../types.js';
import { plural, terminalSafe } from '../console.js';
import { outcomeOf } from '../grade.js';
import {
  checksWithEvidence,
  exchangeText,
  formatMs,
  generatedText,
  OUTCOME_LABEL,
  tlsUnverified,
  VERDICT_LABEL,
} from './common.js';

/**
 * report.md, for pull-request comments and release notes: the verdict line, a summary table, then each
 * failure, error and warning with its evidence folded in <details> so a long comment stays readable.
 */
export function formatMarkdown(report: ReportDocument): string {
  const { summary } = report;
  const icon = { conformant: '✅', 'non-conformant': '❌', error: '⚠️' }[report.verdict];
  const out: string[] = [
    `## ${icon} Onezone conformance: ${VERDICT_LABEL[report.verdict]}`,
    '',
    `Target ${code(report.target.url)}${report.target.embedded ? ' (embedded stand-in)' : ''} · profile ${code(report.target.profile)}` +
      ` · ${plural(summary.total, 'check')} in ${formatMs(report.durationMs)} · ${cell(report.tool.name)} ${cell(report.tool.version)} · ${report.startedAt}`,
  ];
  if (tlsUnverified(report))
    out.push(
      '',
      '> ⚠️ **TLS not verified** (`--insecure`): the target’s certificate was not checked, so anyone on the path could have written the answers judged here.',
    );
  if (report.target.detection)
    out.push(
      '',
      `Profile detected: ${code(report.target.detection.profile)} (${inline(report.target.detection.reason)})`,
    );
  if (report.generated) out.push('', `Generated: ${inline(generatedText(report.generated))}`);
  out.push(
    '',
    '| Passed | Failed (MUST) | Warnings (SHOULD/MAY) | Errored | Skipped | Total |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${summary.passed} | ${summary.failed} | ${summary.warnings} | ${summary.errored} | ${summary.skipped} | ${summary.total} |`,
  );
  if (report.errors.length) {
    out.push('', '### Run errors', '', ...report.errors.map((e) => `- ${code(e.code)} ${inline(e.message)}`));
  }
  const sections: Array<[string, CheckResult[]]> = [
    ['Failures (MUST)', checksWithEvidence(report).filter((c) => outcomeOf(c) === 'fail')],
    ['Errors (could not judge)', checksWithEvidence(report).filter((c) => outcomeOf(c) === 'error')],
    ['Warnings (SHOULD/MAY)', checksWithEvidence(report).filter((c) => outcomeOf(c) === 'warning')],
  ];
  for (const [heading, checks] of sections) {
    if (checks.length) out.push('', `### ${heading}`, '', ...checks.map(evidenceItem));
  }
  const skipped = report.checks.filter((c) => outcomeOf(c) === 'skip');
  if (skipped.length) {
    out.push(
      '',
      `<details><summary>Skipped (${skipped.length})</summary>`,
      '',
      ...skipped.map((c) => `- ${code(c.id)}: ${inline(c.message)}`),
      '',
      '</details>',
    );
  }
  out.push(
    '',
    `<details><summary>All checks (${report.checks.length})</summary>`,
    '',
    '| Status | Level | Check | Time |',
    '| --- | --- | --- | ---: |',
  );
  out.push(
    ...report.checks.map(
      (c) =>
        `| ${OUTCOME_LABEL[outcomeOf(c)]} | ${c.level} | ${code(c.id)} ${cell(c.title)} | ${formatMs(c.durationMs)} |`,
    ),
  );
  out.push('', '</details>', '');
  // report.md is also read with `cat`: no escape sequence from the target may reach that terminal.
  return terminalSafe(out.join('\n'));
}

function evidenceItem(check: CheckResult): string {
  const lines = [
    `- **${code(check.id)}** [${check.level}] ${inline(check.title)} (spec: ${code(check.specRef)})`,
    '',
    `  ${inline(check.message)}`,
  ];
  if (check.exchanges.length) {
    const text = check.exchanges.map(exchangeText).join('\n\n');
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
    lines.push(
      '',
      `  <details><summary>Evidence: ${plural(check.exchanges.length, 'exchange')}</summary>`,
      '',
      fence + 'http',
      text,
      fence,
      '',
      '  </details>',
    );
  }
  lines.push('');
  return lines.join('\n');
}

const longestBacktickRun = (s: string): number => Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));

/** Inline code that survives any content: the delimiter is longer than any backtick run inside. */
function code(s: string): string {
  const ticks = '`'.repeat(longestBacktickRun(s) + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ')}${pad}${ticks}`;
}

/**
 * Text inside a paragraph, list item or table cell, from a check or a target: no HTML, no line breaks, no
 * stray emphasis. A `code span` stays code (messages name headers and values that way); what the target
 * said cannot ping anyone or become a link: `@name` and bare URLs are broken with a zero-width space.
 */
const inline = (s: string): string =>
  s
    .replace(/[\r\n]+/g, ' ')
    .split(/(`[^`]+`)/)
    .map((part, i) => (i % 2 === 1 ? part.replace(/\|/g, '\\|') : plain(part)))
    .join('');

const ZWSP = '\u200B';

const plain = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#])/g, '\\$1')
    .replace(/@(?=[\p{L}\p{N}_-])/gu, `@${ZWSP}`)
    .replace(/\b(https?|ftp|mailto|xmpp|irc|file):/gi, `$1:${ZWSP}`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`);

/** Text inside a table cell. */
const cell = inline;
