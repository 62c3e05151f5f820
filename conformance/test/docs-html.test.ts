import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';

/** `npm run docs:html` (Redocly build-docs) renders the spec offline into one static, prerendered page. */

const run = promisify(execFile);

describe('docs:html', function () {
  this.timeout(60000);
  let out = '';
  before(() => {
    out = mkdtempSync(join(tmpdir(), 'docs-html-'));
  });
  after(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('writes one HTML page that already contains the operations (readable without scripts)', async () => {
    const file = join(out, 'index.html');
    await run(
      fromRoot('node_modules', '.bin', 'redocly'),
      ['build-docs', fromRoot('spec', 'onezone.openapi.yaml'), '--output', file],
      // Telemetry and update checks would reach the network; the build itself must not need it.
      { cwd: fromRoot(), env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    );
    const html = readFileSync(file, 'utf8');
    expect(html).to.match(/^<!DOCTYPE html>/i);
    for (const text of ['List user access tokens', 'Generate user access token', 'Delete access token'])
      expect(html).to.include(text);
  });
});
