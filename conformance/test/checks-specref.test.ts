import { expect } from 'chai';
import { CHECKS } from '../checks/index.js';
import { loadSpec } from '../spec.js';

/** Every check points into the spec: its specRef must resolve as a JSON pointer in spec/ (17.06 base). */

function resolvePointer(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const raw of pointer.replace(/^#\//, '').split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(key in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

describe('check spec references', () => {
  const doc = loadSpec('17.06');
  for (const check of CHECKS.filter((c) => c.specRef.startsWith('#/'))) {
    it(`${check.id} → ${check.specRef}`, () => {
      expect(resolvePointer(doc, check.specRef), check.specRef).to.not.equal(undefined);
    });
  }
});
