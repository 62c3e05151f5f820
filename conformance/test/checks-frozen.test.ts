import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { CHECKS } from '../checks/index.js';
import { fromRoot } from '../paths.js';

/**
 * Check IDs are frozen (issue 10 item 6): a report, a gate baseline and an allowlist key on them, so adding,
 * removing, renaming, re-levelling or re-titling a check must be a deliberate edit of this fixture, with a
 * line under "### Checks" in CHANGELOG.md — not something a regenerated docs/checks.md lets through.
 */

interface FrozenCheck {
  readonly id: string;
  readonly level: string;
  readonly title: string;
}

const FIXTURE = 'conformance/test/fixtures/check-ids.json';
const HOW =
  `Check IDs, levels and titles are frozen. If this change is deliberate, update ${FIXTURE} ` +
  'and add a line under "### Checks" in the Unreleased section of CHANGELOG.md (an ID is never re-used).';

function describeChange(frozen: readonly FrozenCheck[], now: readonly FrozenCheck[]): string[] {
  const before = new Map(frozen.map((c) => [c.id, c]));
  const after = new Map(now.map((c) => [c.id, c]));
  const changes: string[] = [];
  for (const c of now) {
    const was = before.get(c.id);
    if (!was) changes.push(`added ${c.id}`);
    else {
      if (was.level !== c.level) changes.push(`re-levelled ${c.id}: ${was.level} → ${c.level}`);
      if (was.title !== c.title) changes.push(`re-titled ${c.id}: "${was.title}" → "${c.title}"`);
    }
  }
  for (const c of frozen) if (!after.has(c.id)) changes.push(`removed ${c.id}`);
  return changes;
}

describe('frozen check IDs', () => {
  const frozen = JSON.parse(readFileSync(fromRoot(FIXTURE), 'utf8')) as FrozenCheck[];
  const now: FrozenCheck[] = CHECKS.map(({ id, level, title }) => ({ id, level, title }));

  it('match the committed fixture exactly: no check added, removed, renamed, re-levelled or re-titled', () => {
    const changes = describeChange(frozen, now);
    expect(changes, `${changes.join('; ')}. ${HOW}`).to.deep.equal([]);
    expect(now.length, `duplicate IDs? ${HOW}`).to.equal(frozen.length);
  });

  it('names each kind of change, so the message says what to write in the CHANGELOG', () => {
    const base = [
      { id: 'a', level: 'MUST', title: 'x' },
      { id: 'b', level: 'MUST', title: 'y' },
    ];
    const changed = [
      { id: 'a', level: 'SHOULD', title: 'x2' },
      { id: 'c', level: 'MUST', title: 'z' },
    ];
    expect(describeChange(base, changed)).to.deep.equal([
      're-levelled a: MUST → SHOULD',
      're-titled a: "x" → "x2"',
      'added c',
      'removed b',
    ]);
  });
});
