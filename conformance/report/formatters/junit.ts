import type { CheckResult, ReportDocument } from '../types.js';
import { isBlockingError, outcomeOf } from '../grade.js';
import { exchangeText, tlsUnverified } from './common.js';
import { escapeXml, escapeXmlAttr } from './xml.js';

/**
 * JUnit XML for Jenkins, GitLab and GitHub test views: one <testsuite>, one <testcase> per check.
 *
 * A failed SHOULD/MAY check (a warning) is written as a PASSED testcase whose <system-out> starts with
 * "warning:". A warning does not make the target non-conformant, and every JUnit consumer paints a
 * <failure> red; <skipped> was rejected as well, because it would claim the check was never run and
 * hide the evidence among precondition skips. The `warnings` property carries the count.
 */
export function formatJunit(report: ReportDocument): string {
  const { summary } = report;
  const seconds = toSeconds(report.durationMs);
  // A run that could not judge (e.g. the target refused every connection) has no check results; without a
  // testcase of its own every JUnit view would show "0 tests, 0 errors", a green nothing.
  const runErrors = report.errors.filter(isBlockingError);
  const tests = summary.total + runErrors.length;
  const errors = summary.errored + runErrors.length;
  const suiteAttrs = attrs({
    name: `${report.tool.name} (${report.target.profile}${tlsUnverified(report) ? ', TLS NOT verified' : ''})`,
    tests,
    failures: summary.failed,
    errors,
    skipped: summary.skipped,
    time: seconds,
    // Second precision, no zone: the form every consumer parses (Ant wrote local time without a zone).
    timestamp: report.startedAt.slice(0, 19),
  });
  const properties = [
    ['target', report.target.url],
    ['profile', report.target.profile],
    ['verdict', report.verdict],
    ['warnings', String(summary.warnings)],
    ['tool.version', report.tool.version],
    ...(report.target.tls ? [['tls.verify', String(report.target.tls.verify)]] : []),
    ...(report.target.detection
      ? [['detection', `${report.target.detection.profile}: ${report.target.detection.reason}`]]
      : []),
    ...report.errors.map((e) => ['run.error', `${e.code}: ${e.message}`]),
  ]
    .map(([name, value]) => `      <property ${attrs({ name: name ?? '', value: value ?? '' })}/>`)
    .join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attrs({ name: report.tool.name, tests, failures: summary.failed, errors, time: seconds })}>`,
    `  <testsuite ${suiteAttrs}>`,
    '    <properties>',
    properties,
    '    </properties>',
    ...runErrors.map(runErrorCase),
    ...report.checks.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function testcase(check: CheckResult): string {
  const open = `    <testcase ${attrs({ classname: check.category, name: `[${check.level}] ${check.id} — ${check.title}`, time: toSeconds(check.durationMs) })}`;
  const body = testcaseBody(check);
  return body === '' ? `${open}/>` : `${open}>\n${body}\n    </testcase>`;
}

/** A run-level error as the errored testcase every JUnit view counts and paints. */
function runErrorCase(e: { code: string; message: string }): string {
  const open = `    <testcase ${attrs({ classname: 'run', name: `run: ${e.code} — the run could not judge the target`, time: '0.000' })}>`;
  return `${open}\n      <error ${attrs({ type: e.code, message: e.message })}>${escapeXml(e.message)}</error>\n    </testcase>`;
}

function testcaseBody(check: CheckResult): string {
  const text = escapeXml(details(check));
  switch (outcomeOf(check)) {
    case 'pass':
      return '';
    case 'fail':
      return `      <failure ${attrs({ type: check.level, message: check.message })}>${text}</failure>`;
    case 'warning':
      return `      <system-out>warning: [${check.level}] ${check.id}: ${text}</system-out>`;
    case 'error':
      return `      <error ${attrs({ type: check.code ?? 'E_INTERNAL', message: check.message })}>${text}</error>`;
    case 'skip':
      return `      <skipped ${attrs({ message: check.message })}/>`;
  }
}

/** The failure text a CI view shows: the reason, the spec reference, then the redacted exchanges. */
function details(check: CheckResult): string {
  return [check.message, `spec: ${check.specRef}`, ...check.exchanges.map(exchangeText)].join('\n\n');
}

const toSeconds = (ms: number): string => (ms / 1000).toFixed(3);

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${escapeXmlAttr(String(v))}"`)
    .join(' ');
}
