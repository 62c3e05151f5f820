import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { checkDocs, checkDrift, checkJsonExamples, guessSchema, jsonBlocks } from '../tools/check.js';
import { unifiedDiff } from '../tools/diff.js';
import { generateAll, generateDocs, writeAll } from '../tools/generate.js';
import { specArtefacts } from '../tools/spec-build.js';
import { fromRoot } from '../paths.js';
import { commandArgs } from './support/command.js';

/** docs:check passes on the committed tree and fails, readably, on every kind of drift or bad example. */

const run = promisify(execFile);

/** A scratch repository root with copies of spec/ and docs/ (not docs/html), so the real tree is untouched. */
function scratchTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'docs-check-'));
  cpSync(fromRoot('spec'), join(root, 'spec'), { recursive: true });
  cpSync(fromRoot('docs'), join(root, 'docs'), {
    recursive: true,
    filter: (src) => !src.includes(join('docs', 'html')),
  });
  return root;
}

function edit(root: string, file: string, from: string, to: string): void {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  expect(text, `${file} contains ${from}`).to.include(from);
  writeFileSync(path, text.replace(from, to));
}

describe('docs check', function () {
  this.timeout(30000);
  const roots: string[] = [];
  const tree = (): string => {
    const root = scratchTree();
    roots.push(root);
    return root;
  };
  after(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('passes on the committed docs', () => {
    const problems = checkDocs(fromRoot());
    expect(problems.map((p) => p.message).join('\n')).to.equal('');
  });

  it('generates the operation, definition, version and mock files', () => {
    expect([...generateAll(fromRoot()).keys()]).to.include.members([
      'docs/operations/list_client_tokens.md',
      'docs/operations/create_client_token.md',
      'docs/operations/remove_client_token.md',
      'docs/definitions/ClientTokens.md',
      'docs/definitions/ClientToken.md',
      'docs/definitions/Error.md',
      'docs/version-differences.md',
      'spec/mock/onezone-17.06.prism.json',
      'spec/mock/onezone-21.02.prism.json',
    ]);
  });

  it('keeps the spec artefacts a step of their own: the docs step writes only docs/', () => {
    expect([...generateDocs(fromRoot()).keys()].filter((f) => !f.startsWith('docs/'))).to.deep.equal([]);
    expect([...generateDocs(fromRoot()).keys()]).to.include('docs/checks.md');
    expect([...specArtefacts(fromRoot()).keys()].filter((f) => !f.startsWith('spec/'))).to.deep.equal([]);
    expect([...specArtefacts(fromRoot()).keys()]).to.include('spec/compiled/onezone.versions.json');
  });

  it('fails with a unified diff when one word of a generated doc is changed by hand', () => {
    const root = tree();
    edit(root, 'docs/operations/list_client_tokens.md', 'newest first', 'oldest first');
    const problems = checkDrift(root);
    expect(problems.map((p) => p.kind)).to.deep.equal(['drift']);
    expect(problems[0]!.message).to.include('--- docs/operations/list_client_tokens.md (on disk)');
    expect(problems[0]!.message)
      .to.match(/^-.*oldest first/m)
      .and.match(/^\+.*newest first/m);
  });

  it('fails when one word of a description in the spec is changed without regenerating', () => {
    const root = tree();
    edit(
      root,
      'spec/onezone.openapi.yaml',
      'The list of user access tokens, newest first.',
      'The list of user access tokens, latest first.',
    );
    const problems = checkDrift(root);
    expect(problems.map((p) => p.where)).to.include('docs/operations/list_client_tokens.md');
    expect(problems.map((p) => p.message).join('\n')).to.match(/^\+.*latest first/m);
  });

  it('fails when a variant changes without regenerating (version-differences page)', () => {
    const root = tree();
    edit(root, 'spec/variants/onezone-18.02.merge-patch.yaml', 'deleteStatus: 204', 'deleteStatus: 200');
    expect(checkDrift(root).map((p) => p.where)).to.include('docs/version-differences.md');
  });

  it('fails when docs/checks.md is not what the check registry generates', () => {
    const root = tree();
    edit(root, 'docs/checks.md', '# Check catalogue', '# Check list');
    const problems = checkDrift(root);
    expect(problems.map((p) => `${p.kind} ${p.where}`)).to.deep.equal(['drift docs/checks.md']);
    expect(problems[0]!.message).to.include('+++ docs/checks.md (generated from the check registry)');
  });

  it('fails when a spec artefact is stale, and names its own step (npm run spec:build)', () => {
    const root = tree();
    edit(root, 'spec/mock/onezone-21.02.prism.json', '"21.02.7"', '"21.02.6"');
    const problems = checkDrift(root);
    expect(problems.map((p) => `${p.kind} ${p.where}`)).to.deep.equal(['drift spec/mock/onezone-21.02.prism.json']);
    expect(problems[0]!.message).to.include('`npm run spec:build`');
  });

  it('fails on a missing generated file and on an extra file in a generated folder', () => {
    const root = tree();
    rmSync(join(root, 'docs/definitions/Error.md'));
    writeFileSync(join(root, 'docs/operations/get_user.md'), '# not generated\n');
    const kinds = checkDrift(root).map((p) => `${p.kind} ${p.where}`);
    expect(kinds).to.include.members(['missing docs/definitions/Error.md', 'extra docs/operations/get_user.md']);
  });

  it('is clean again after regenerating a drifted tree', () => {
    const root = tree();
    edit(root, 'spec/onezone.openapi.yaml', 'newest first.', 'latest first.');
    writeFileSync(join(root, 'docs/operations/stale.md'), 'x\n');
    const { removed } = writeAll(root);
    expect(removed).to.deep.equal(['docs/operations/stale.md']);
    expect(checkDocs(root)).to.deep.equal([]);
  });

  it('fails when a JSON block anywhere in docs/ does not parse', () => {
    const root = tree();
    writeFileSync(join(root, 'docs/notes.md'), '# notes\n\n```json\n{\n  "tokens: [ "abc" ]\n}\n```\n');
    const problems = checkJsonExamples(root);
    expect(problems.map((p) => `${p.kind} ${p.where}`)).to.deep.equal(['json-parse docs/notes.md:3']);
  });

  it('fails when an example does not validate against its schema (marked or recognised by its keys)', () => {
    const root = tree();
    writeFileSync(
      join(root, 'docs/notes.md'),
      [
        '```json',
        '{ "tokens": ["has-dash_and_underscore"] }',
        '```',
        '',
        '<!-- example-of: Error@20.02 -->',
        '```',
        'json :',
        '{ "error": { "id": "x" } }',
        '```',
        '',
      ].join('\n'),
    );
    const problems = checkJsonExamples(root);
    expect(problems.map((p) => `${p.kind} ${p.where}`)).to.deep.equal([
      'json-schema docs/notes.md:1',
      'json-schema docs/notes.md:6',
    ]);
    expect(problems[1]!.message).to.include('description');
  });

  it('exits 0 from the command line on the committed tree', async () => {
    const { stdout } = await run(process.execPath, commandArgs('docs', 'check'), { cwd: fromRoot() });
    expect(stdout).to.include('docs check: docs/ matches spec/');
  });
});

describe('docs check helpers', () => {
  it('finds ```json blocks and upstream "json :" blocks with their markers', () => {
    const md = [
      'text',
      '```json',
      '{"a":1}',
      '```',
      '<!-- example-of: Error@19.02 -->',
      '```',
      'json :',
      '"/p"',
      '```',
      '```bash',
      'curl',
      '```',
    ].join('\n');
    expect(jsonBlocks(md)).to.deep.equal([
      { line: 2, text: '{"a":1}' },
      { line: 6, text: '"/p"', exampleOf: { schema: 'Error', version: '19.02' } },
    ]);
  });

  it('recognises examples by their keys', () => {
    expect(guessSchema({ tokens: [] })).to.equal('ClientTokens');
    expect(guessSchema({ token: 'a' })).to.equal('ClientToken');
    expect(guessSchema({ error: 'a' })).to.equal('Error');
    expect(guessSchema('/user/client_tokens')).to.equal(undefined);
  });

  it('writes diff -u style hunks', () => {
    const diff = unifiedDiff('a\nb\nc\nd\n', 'a\nB\nc\nd\n', 'old', 'new', 1);
    expect(diff).to.equal('--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
    expect(unifiedDiff('same', 'same', 'a', 'b')).to.equal('');
  });

  it('gives one hunk per distant change on a long page, with diff -u line numbers', () => {
    const lines = Array.from({ length: 20000 }, (_, i) => `line ${i}`);
    const changed = [...lines];
    changed[100] = 'changed';
    changed.splice(15000, 1);
    const diff = unifiedDiff(lines.join('\n') + '\n', changed.join('\n') + '\n', 'old', 'new', 1);
    expect(diff.split('\n').filter((l) => l.startsWith('@@'))).to.deep.equal([
      '@@ -100,3 +100,3 @@',
      '@@ -15000,3 +15000,2 @@',
    ]);
    expect(diff).to.include('\n-line 100\n+changed\n').and.include('\n line 14999\n-line 15000\n line 15001\n');
  });
});
