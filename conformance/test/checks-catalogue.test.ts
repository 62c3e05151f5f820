import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { renderCatalogue } from '../checks/catalogue.js';
import { CHECK_IDS } from '../checks/index.js';
import { fromRoot } from '../paths.js';

describe('docs/checks.md', () => {
  it('is the catalogue generated from the registry (regenerate: npm run docs)', () => {
    expect(readFileSync(fromRoot('docs', 'checks.md'), 'utf8')).to.equal(renderCatalogue());
  });

  it('names every check', () => {
    const text = renderCatalogue();
    for (const id of CHECK_IDS) expect(text).to.include(`\`${id}\``);
  });
});
