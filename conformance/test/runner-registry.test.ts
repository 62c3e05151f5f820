import { expect } from 'chai';
import { CHECKS, CHECK_IDS } from '../checks/index.js';
import { PROFILES } from '../profiles.js';
import { FAULTS } from '../standin/faults.js';

describe('check registry', () => {
  it('has unique IDs', () => {
    expect(new Set(CHECK_IDS).size).to.equal(CHECK_IDS.length);
  });

  it('uses kebab-case IDs and present-tense titles without "should"', () => {
    for (const c of CHECKS) {
      expect(c.id, c.id).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.title, c.id).not.to.match(/\bshould\b/i);
      expect(c.specRef, c.id).to.match(/^(#\/|docs\/)/);
    }
  });

  it('contains every check ID that a stand-in fault names in `catches`', () => {
    for (const f of FAULTS) for (const id of f.catches) expect(CHECK_IDS, `fault ${f.id}`).to.include(id);
  });

  it('grades every fault with the level of its catching checks (exit 0 faults are caught by SHOULD/MAY only)', () => {
    for (const f of FAULTS) {
      const levels = f.catches.map((id) => CHECKS.find((c) => c.id === id)?.level);
      if (f.exit === 0)
        expect(
          levels.every((l) => l !== 'MUST'),
          f.id,
        ).to.equal(true);
      if (f.exit === 1)
        expect(
          levels.some((l) => l === 'MUST'),
          f.id,
        ).to.equal(true);
    }
  });

  it('keeps the secrets checks last, after every check that makes requests', () => {
    expect(CHECK_IDS.slice(-2)).to.deep.equal(['secrets-no-password', 'secrets-no-foreign-token']);
  });

  it('keeps the mock profile free of checks a spec mock cannot satisfy', () => {
    expect(PROFILES.mock.capabilities).to.deep.equal([]);
  });
});
