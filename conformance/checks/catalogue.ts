import { CAPABILITY_MEANING, PROFILES, type Profile } from '../profiles.js';
import { FAULTS } from '../standin/faults.js';
import { CHECKS } from './index.js';
import type { CheckDefinition } from './types.js';

/**
 * docs/checks.md, generated from the registry, the profiles and the fault table so that the catalogue cannot
 * drift from the code. Written by `npm run docs` (conformance/tools/generate.ts), checked by `npm run docs:check`.
 */

/** Text inside a Markdown table cell: only `|` needs escaping there. */
const tableText = (s: string): string => s.replace(/\|/g, '\\|');

function faultsCatching(id: string): string {
  const ids = FAULTS.filter((f) => (f.catches as readonly string[]).includes(id)).map((f) => `\`${f.id}\``);
  return ids.length ? ids.join(', ') : '—';
}

/** Every condition under which the check runs: its requirements, the checks it depends on, its place. */
function conditions(c: CheckDefinition): string {
  const parts = [
    ...(c.requires ?? []).map((r) => `\`${r}\``),
    ...(c.dependsOn ?? []).map((id) => `\`${id}\` passed`),
    ...(c.judgesTheRun ? ['after every other check'] : []),
  ];
  return parts.join(', ') || '—';
}

function checkRow(c: CheckDefinition): string {
  return `| \`${c.id}\` | ${c.level} | ${tableText(c.title)} | ${conditions(c)} | \`${c.specRef}\` | ${faultsCatching(c.id)} |`;
}

function profileRow(p: Profile): string {
  const none = p.noCredentials.map((a) => `${a.status}${a.emptyBody ? ' (empty)' : ''}`).join(' or ');
  const caps = p.capabilities.length ? p.capabilities.join(', ') : '(none: shape only)';
  return `| \`${p.id}\` | ${p.specVersion} | ${none} | ${p.bearer ? 'yes' : 'no'} | ${p.deleteStatus} | ${p.listOrder} | ${caps} |`;
}

export function renderCatalogue(): string {
  const categories = [...new Set(CHECKS.map((c) => c.category))];
  const lines = [
    '<!-- generated from conformance/checks/index.ts by conformance/checks/catalogue.ts; do not edit -->',
    '# Check catalogue',
    '',
    `${CHECKS.length} checks, run in this order (those that judge every response of the run go last). The level`,
    'alone decides the grade: a failed MUST makes the target non-conformant (exit 1); a failed SHOULD or MAY is a',
    'warning. A check whose condition is not met is skipped with the reason and a code; one that could not judge',
    '(network, TLS, timeout) is errored (exit 2). IDs are frozen (conformance/test/fixtures/check-ids.json).',
    '',
    'Conditions (column "Runs when"): `basic` needs `--user`, `other-user` needs `--other-user`, `writes` needs',
    '`--allow-writes` (skipped with P_NO_BASIC, P_NO_OTHER_USER, P_NO_WRITES); "`id` passed": skipped with',
    'P_DEPENDENCY when that check failed, errored or was skipped; `generated` draws generated cases and is skipped',
    'by `--depth 0` (P_DEPTH, "--depth 0: no generated cases"); the rest are capabilities of the profile',
    "(P_PROFILE), read from the spec version's `x-onezone-expectations` (a spec mock has none of them):",
    '',
    ...Object.entries(CAPABILITY_MEANING).map(([cap, meaning]) => `- \`${cap}\`: ${meaning}`),
    '',
  ];
  for (const cat of categories) {
    lines.push(
      `## ${cat}`,
      '',
      '| ID | Level | Title | Runs when | Spec | Caught faults |',
      '|---|---|---|---|---|---|',
    );
    lines.push(...CHECKS.filter((c) => c.category === cat).map(checkRow), '');
  }
  lines.push(
    '## Profiles',
    '',
    'What differs between versions (real-server-behaviour.md §2–§4). Normative differences, which make a',
    'target of one version fail the profile of another: the status without credentials (404 tolerated only up',
    'to 18.02), the Error body (a string up to 18.02, an object from 19.02: the spec variants say so), Bearer',
    '(required from 18.02) and the DELETE status (202 in 17.06, 204 from 18.02). The list order is a SHOULD.',
    '',
    '| Profile | Spec | Without credentials | Bearer | DELETE | Order | Capabilities |',
    '|---|---|---|---|---|---|---|',
    ...Object.values(PROFILES).map(profileRow),
    '',
    '`--profile auto`, the default, detects the version from `GET /configuration` (19.02+), else from the answer without',
    'credentials and the wording of error bodies, and records `{profile, reason}` in `report.target.detection`.',
    '',
  );
  return lines.join('\n');
}
