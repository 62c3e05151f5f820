import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import { fromRoot } from '../paths.js';
import { SPEC_VERSIONS, loadSpec } from '../spec.js';

/** Spectral (local ruleset, spectral:oas) reports nothing on the spec, nor on any merged version. */

const run = promisify(execFile);

interface SpectralResult {
  code: string | number;
  message: string;
  severity: number;
  path: string[];
  source?: string;
}

/** Runs the spectral CLI from node_modules; JSON results go to a file because stdout mixes in a summary. */
async function spectral(files: string[], workDir: string): Promise<SpectralResult[]> {
  const out = join(workDir, 'spectral.json');
  const args = ['lint', ...files, '--ruleset', fromRoot('spec', '.spectral.yaml'), '--format', 'json', '--output', out];
  // Exit status 1 only says "results found"; the results file is what we judge.
  await run(fromRoot('node_modules', '.bin', 'spectral'), args, { cwd: fromRoot() }).catch((e: unknown) => {
    if ((e as { code?: unknown }).code !== 1) throw e;
  });
  return JSON.parse(readFileSync(out, 'utf8')) as SpectralResult[];
}

const summary = (results: SpectralResult[]): string =>
  results
    .map((r) => `${r.source ?? ''} ${String(r.code)} [${r.severity}] ${r.path.join('.')}: ${r.message}`)
    .join('\n');

describe('spectral', function () {
  this.timeout(60000);
  let work = '';

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'spec-lint-'));
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('reports nothing (no error, warning, info or hint) on spec/ and on every merged version', async () => {
    const merged = SPEC_VERSIONS.filter((v) => v !== '17.06').map((v) => {
      const file = join(work, `onezone-${v}.yaml`);
      writeFileSync(file, stringify(loadSpec(v)));
      return file;
    });
    const results = await spectral([fromRoot('spec', 'onezone.openapi.yaml'), ...merged], work);
    expect(results, summary(results)).to.deep.equal([]);
  });

  it('does report a defect (the lint is live): an operation without operationId and tags', async () => {
    const doc = parse(readFileSync(fromRoot('spec', 'onezone.openapi.yaml'), 'utf8')) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const get = doc.paths['/user/client_tokens']?.['get'];
    if (get === undefined) throw new Error('GET /user/client_tokens missing from the spec');
    delete get['operationId'];
    delete get['tags'];
    const file = join(work, 'broken.yaml');
    writeFileSync(file, stringify(doc));
    const codes = (await spectral([file], work)).map((r) => String(r.code));
    expect(codes).to.include.members(['operation-operationId', 'operation-tags']);
  });
});
