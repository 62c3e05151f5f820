import type { ReportDocument } from '../types.js';
import { passRatio, tlsUnverified } from './common.js';
import { escapeXml } from './xml.js';

/**
 * badge.svg in the shields.io "flat" look, made here so that no service sees the report:
 * "onezone conformance | passing 35/36". N/M counts judged checks (skips excluded); "passing" means the
 * verdict is conformant, so warnings show as a yellow passing badge, not a red one.
 */
export function formatBadge(report: ReportDocument): string {
  const { passed, judged } = passRatio(report);
  const label = 'onezone conformance';
  const word = { conformant: 'passing', 'non-conformant': 'failing', error: 'error' }[report.verdict];
  // An unverified target's answers prove little: the badge must not look like every other passing badge.
  const message = `${word} ${passed}/${judged}${tlsUnverified(report) ? ' (TLS not verified)' : ''}`;
  const colour =
    report.verdict === 'conformant'
      ? report.summary.warnings > 0
        ? '#dfb317'
        : '#4c1'
      : report.verdict === 'non-conformant'
        ? '#e05d44'
        : '#9f9f9f';
  const lw = textWidth(label) + 10;
  const mw = textWidth(message) + 10;
  const w = lw + mw;
  const title = `${label}: ${message}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${escapeXml(title)}">
  <title>${escapeXml(title)}</title>
  <linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
  <clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
  <g clip-path="url(#r)">
    <rect width="${lw}" height="20" fill="#555"/>
    <rect x="${lw}" width="${mw}" height="20" fill="${colour}"/>
    <rect width="${w}" height="20" fill="url(#s)"/>
  </g>
  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
    <text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${escapeXml(label)}</text>
    <text x="${lw / 2}" y="14">${escapeXml(label)}</text>
    <text x="${lw + mw / 2}" y="15" fill="#010101" fill-opacity=".3">${escapeXml(message)}</text>
    <text x="${lw + mw / 2}" y="14">${escapeXml(message)}</text>
  </g>
</svg>
`;
}

/** Approximate Verdana 11px advance widths; exact metrics would need a font file, and ±1px is invisible. */
function textWidth(text: string): number {
  let w = 0;
  for (const ch of text)
    w += /[ilj.,:;!|'/]/.test(ch) ? 3.6 : /[mwMW]/.test(ch) ? 10.5 : /[A-Z0-9]/.test(ch) ? 7.6 : ch === ' ' ? 3.9 : 6.6;
  return Math.round(w);
}
