import { plural } from '../console.js';
import { outcomeOf, type Outcome } from '../grade.js';
import type { CheckResult, ReportDocument } from '../types.js';
import {
  generatedText,
  checksWithEvidence,
  exchangeText,
  formatMs,
  OUTCOME_LABEL,
  passRatio,
  tlsUnverified,
  VERDICT_LABEL,
} from './common.js';
import { escapeXml } from './xml.js';

/**
 * report.html: one self-contained page (inline CSS, no scripts, no external assets) so it can be attached
 * to a ticket or archived by CI and still render offline. Everything from the report is HTML-escaped;
 * evidence is folded in <details>, which opens without JavaScript.
 */
export function formatHtml(report: ReportDocument): string {
  const { summary } = report;
  const ratio = passRatio(report);
  const title = `Onezone conformance: ${VERDICT_LABEL[report.verdict]} — ${report.target.url}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="verdict verdict-${report.verdict}">
  <p class="verdict-label" id="verdict">${esc(VERDICT_LABEL[report.verdict])}</p>
  <p class="verdict-sub">${ratio.passed} of ${plural(ratio.judged, 'judged check')} passed · ${summary.failed} MUST failed · ${plural(summary.warnings, 'warning')} · ${summary.errored} errored · ${summary.skipped} skipped</p>
</header>
<main>
<section class="meta">
  <dl>
    <dt>Target</dt><dd><code>${esc(report.target.url)}</code>${report.target.embedded ? ' <span class="tag">embedded stand-in</span>' : ''}${tlsUnverified(report) ? ' <span class="tag tag-insecure">TLS not verified (--insecure)</span>' : ''}</dd>
    <dt>Profile</dt><dd><code>${esc(report.target.profile)}</code>${report.target.detection ? ` <span class="muted">detected ${esc(report.target.detection.profile)}: ${esc(report.target.detection.reason)}</span>` : ''}</dd>
    <dt>Run</dt><dd>${esc(report.startedAt)} · ${esc(formatMs(report.durationMs))} · ${esc(report.tool.name)} ${esc(report.tool.version)}</dd>
    <dt>Options</dt><dd>${esc(optionsText(report))}</dd>${
      report.generated
        ? `
    <dt>Generated</dt><dd>${esc(generatedText(report.generated))}</dd>`
        : ''
    }
  </dl>
  <ul class="tiles">
    ${tile('pass', 'passed', summary.passed)}${tile('fail', 'failed (MUST)', summary.failed)}${tile('warning', 'warnings', summary.warnings)}${tile('error', 'errored', summary.errored)}${tile('skip', 'skipped', summary.skipped)}
  </ul>
</section>
${runErrors(report)}${evidenceSection(report)}<section>
<h2>Checks</h2>
<table class="checks">
<thead><tr><th>Status</th><th>Level</th><th>Check</th><th>Category</th><th>Spec reference</th><th class="num">Time</th></tr></thead>
<tbody>
${report.checks.map(checkRow).join('\n')}
</tbody>
</table>
</section>
</main>
</body>
</html>
`;
}

function checkRow(c: CheckResult): string {
  const outcome = outcomeOf(c);
  const note = c.message && outcome !== 'pass' ? `<div class="note">${esc(c.message)}</div>` : '';
  const idCell =
    outcome === 'fail' || outcome === 'warning' || outcome === 'error'
      ? `<a href="#check-${esc(c.id)}"><code>${esc(c.id)}</code></a>`
      : `<code>${esc(c.id)}</code>`;
  return `<tr class="row-${outcome}" id="row-${esc(c.id)}"><td>${pill(outcome)}</td><td><span class="level level-${c.level}">${c.level}</span></td><td>${idCell}<div>${esc(c.title)}</div>${note}</td><td>${esc(c.category)}</td><td><code class="ref">${breakable(c.specRef)}</code></td><td class="num">${esc(formatMs(c.durationMs))}</td></tr>`;
}

function evidenceSection(report: ReportDocument): string {
  const checks = checksWithEvidence(report);
  if (!checks.length) return '';
  return `<section>
<h2>Failures, errors and warnings</h2>
${checks.map(evidence).join('\n')}
</section>
`;
}

function evidence(c: CheckResult): string {
  const outcome = outcomeOf(c);
  const exchanges = c.exchanges.length
    ? c.exchanges
        .map(
          (x, i) =>
            `<details${i === 0 ? ' open' : ''}><summary>Exchange ${i + 1}: ${esc(x.request.method)} → ${x.response ? String(x.response.status) : esc(x.error?.code ?? 'no response')}</summary><pre>${esc(exchangeText(x))}</pre></details>`,
        )
        .join('\n')
    : '<p class="muted">No HTTP exchange recorded for this check.</p>';
  return `<article class="evidence evidence-${outcome}" id="check-${esc(c.id)}">
<h3>${pill(outcome)} <span class="level level-${c.level}">${c.level}</span> <code>${esc(c.id)}</code> — ${esc(c.title)}</h3>
<p class="reason">${esc(c.message)}${c.code ? ` <code>${esc(c.code)}</code>` : ''}</p>
<p class="muted">Spec: <code>${esc(c.specRef)}</code> · ${esc(formatMs(c.durationMs))}</p>
${exchanges}
</article>`;
}

function runErrors(report: ReportDocument): string {
  if (!report.errors.length) return '';
  return `<section class="run-errors"><h2>Run errors</h2><ul>${report.errors.map((e) => `<li><code>${esc(e.code)}</code> ${esc(e.message)}</li>`).join('')}</ul></section>\n`;
}

const optionsText = (r: ReportDocument): string =>
  [
    r.options.allowWrites ? 'writes allowed' : 'read-only',
    r.options.otherUser ? 'second user given' : 'no second user',
    r.options.tokenGiven ? 'token given' : 'no token given',
    `timeout ${r.options.timeoutMs} ms`,
    ...(r.target.tls ? [r.target.tls.verify ? 'TLS verified' : 'TLS NOT verified'] : []),
  ].join(' · ');

const tile = (outcome: Outcome, label: string, n: number): string =>
  `<li class="tile tile-${outcome}${n === 0 ? ' zero' : ''}"><span class="n">${n}</span> ${esc(label)}</li>`;

const pill = (outcome: Outcome): string => `<span class="pill pill-${outcome}">${esc(OUTCOME_LABEL[outcome])}</span>`;

/** A JSON pointer may wrap after each `/`, never inside a segment. */
const breakable = (ref: string): string => ref.split('/').map(esc).join('/<wbr>');

/** HTML-escapes text for element content and double-quoted attributes: XML's escaping serves HTML5 too. */
export const esc = escapeXml;

const CSS = `
:root{--pass:#1a7f37;--fail:#cf222e;--warning:#9a6700;--error:#6e7781;--skip:#57606a;--bg:#f6f8fa;--line:#d0d7de;color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#fff}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.verdict{padding:28px 32px;color:#fff}
.verdict-conformant{background:var(--pass)}.verdict-non-conformant{background:var(--fail)}.verdict-error{background:#57606a}
.verdict-label{margin:0;font-size:34px;font-weight:700;letter-spacing:.01em}
.verdict-sub{margin:6px 0 0;font-size:15px;opacity:.95}
main{padding:8px 32px 40px;max-width:1280px}
h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:6px}
h3{font-size:15px;margin:0 0 6px}
.meta{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start;margin-top:18px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0;flex:1 1 520px}
dt{font-weight:600;color:#57606a}dd{margin:0;overflow-wrap:anywhere}
.tiles{display:flex;gap:10px;list-style:none;margin:0;padding:0;flex-wrap:wrap}
.tile{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:92px;background:var(--bg);color:#57606a}
.tile .n{display:block;font-size:24px;font-weight:700}
.tile-pass .n{color:var(--pass)}.tile-fail .n{color:var(--fail)}.tile-warning .n{color:var(--warning)}.tile-error .n{color:var(--error)}.tile-skip .n{color:var(--skip)}
.tile.zero .n{color:#8c959f}
.tile-fail:not(.zero){border-color:var(--fail);background:#ffebe9}.tile-warning:not(.zero){border-color:#d4a72c;background:#fff8c5}
table.checks{border-collapse:collapse;width:100%}
.checks th,.checks td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
.checks th{background:var(--bg);font-weight:600;position:sticky;top:0}
.checks .num{text-align:right;white-space:nowrap}
.row-fail{background:#ffebe9}.row-warning{background:#fff8c5}.row-error{background:#eaeef2}
.note{color:#57606a;font-size:13px;margin-top:2px}
.ref{color:#57606a}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.pill-pass{background:var(--pass)}.pill-fail{background:var(--fail)}.pill-warning{background:#bf8700}.pill-error{background:var(--error)}.pill-skip{background:#8c959f}
.level{display:inline-block;border:1px solid var(--line);border-radius:4px;padding:0 5px;font-size:11.5px;font-weight:600}
.level-MUST{border-color:#1f2328}.level-SHOULD{color:#57606a}.level-MAY{color:#8c959f}
.tag{background:#ddf4ff;border-radius:4px;padding:0 6px;font-size:12px}.tag-insecure{background:#ffebe9;color:var(--fail);font-weight:600}
.muted{color:#57606a}
.evidence{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:12px 16px;margin:12px 0}
.evidence-fail{border-left-color:var(--fail)}.evidence-warning{border-left-color:#d4a72c}.evidence-error{border-left-color:var(--error)}
.reason{margin:4px 0;font-weight:500}
details{margin:6px 0}summary{cursor:pointer;color:#0969da}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px 12px;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0}
.run-errors li{color:var(--fail)}
@media print{.checks th{position:static}details{display:block}}
`;
