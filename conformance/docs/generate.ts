/**
 * `npm run docs`: renders docs/ and the Prism mock specs from spec/. Everything is a function of a
 * repository root, so tests run it on temporary copies without touching the real tree.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { fromRoot, isEntryPoint } from '../paths.js';
import {
  BASE_SPEC_FILE,
  COMPILED_SPEC_FILE,
  SPEC_VERSIONS,
  buildSpecsFromYaml,
  compileSpecs,
  variantFile,
  type OpenApiDocument,
  type SpecVersion,
} from '../spec.js';
import { operationsOf, renderDefinition, renderOperation, renderVersionDifferences } from './render.js';

/** Folders whose every file is generated: a file there that the generator does not produce is an error. */
export const GENERATED_DIRS = ['docs/operations', 'docs/definitions', 'spec/mock', 'spec/compiled'] as const;

/** Single generated files outside GENERATED_DIRS. */
export const VERSION_DIFFERENCES_FILE = 'docs/version-differences.md';

/** The schemas that get a definition page (SerializedToken is documented inside them). */
export const DEFINITIONS = ['ClientTokens', 'ClientToken', 'Error'] as const;

/** The real Onezone base path; Prism 5.14 ignores a server's path, so the mock spec carries it in `paths`. */
export const API_PREFIX = '/api/v3/onezone';

export const mockSpecFile = (version: SpecVersion): string => `spec/mock/onezone-${version}.prism.json`;

/** Repository-relative path → file content, for every generated file. */
export type GeneratedFiles = Map<string, string>;

export function generateDocs(root: string): GeneratedFiles {
  // Always from the YAML: the compiled copy is itself an output here.
  const docs = buildSpecsFromYaml(root);
  const base = docs.get('17.06');
  if (base === undefined) throw new Error('the 17.06 base spec is missing');
  const files: GeneratedFiles = new Map();
  for (const op of operationsOf(base)) {
    const id = typeof op.operation['operationId'] === 'string' ? op.operation['operationId'] : `${op.method}${op.path}`;
    files.set(`docs/operations/${id}.md`, renderOperation(base, '17.06', op, BASE_SPEC_FILE));
  }
  for (const name of DEFINITIONS) files.set(`docs/definitions/${name}.md`, renderDefinition(base, '17.06', name, BASE_SPEC_FILE));
  files.set(VERSION_DIFFERENCES_FILE, renderVersionDifferences(docs, patchSummaries(root), 'spec/onezone.openapi.yaml and spec/variants/'));
  for (const [version, doc] of docs) files.set(mockSpecFile(version), JSON.stringify(mockSpec(doc, version), null, 2) + '\n');
  files.set(COMPILED_SPEC_FILE, JSON.stringify(compileSpecs(root), null, 1) + '\n');
  return files;
}

/** The JSON pointers of every leaf a merge patch sets or removes, in file order. */
function leafPointers(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix || '/'];
  return Object.entries(value).flatMap(([k, v]) => leafPointers(v, `${prefix}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
}

function patchSummaries(root: string): Map<SpecVersion, { file: string; pointers: string[] }> {
  const out = new Map<SpecVersion, { file: string; pointers: string[] }>();
  for (const version of SPEC_VERSIONS) {
    const file = variantFile(version);
    if (file === undefined) continue;
    out.set(version, { file, pointers: leafPointers(parse(readFileSync(join(root, file), 'utf8'))) });
  }
  return out;
}

/**
 * The document Prism serves (`npm run mock`): the same operations under `/api/v3/onezone/...`, because
 * Prism 5.14 routes the raw request path against `paths` and reads `servers` only when a request carries
 * `?__server=` (prism-http router). This way one URL form serves both the mock and a real Onezone.
 */
export function mockSpec(doc: OpenApiDocument, version: SpecVersion): Record<string, unknown> {
  const copy = structuredClone(doc) as unknown as Record<string, unknown>;
  const paths = Object.fromEntries(Object.entries(doc.paths).map(([p, item]) => [API_PREFIX + p, structuredClone(item)]));
  return {
    'x-generated': `from ${BASE_SPEC_FILE}${version === '17.06' ? '' : ` and ${variantFile(version) ?? ''}`} by npm run docs; do not edit`,
    ...copy,
    servers: [{ url: 'http://127.0.0.1:4010', description: `Prism mock of Onezone ${version} (paths carry ${API_PREFIX})` }],
    paths,
  };
}

/** Files under the generated folders, repository-relative (to find extra files). */
export function listGeneratedDirs(root: string): string[] {
  return GENERATED_DIRS.flatMap((dir) =>
    existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((f) => `${dir}/${f}`) : [],
  );
}

/** Writes every generated file and removes files in the generated folders that are no longer produced. */
export function writeDocs(root: string): { written: string[]; removed: string[] } {
  const files = generateDocs(root);
  const removed = listGeneratedDirs(root).filter((f) => !files.has(f));
  for (const f of removed) rmSync(join(root, f));
  for (const [file, content] of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return { written: [...files.keys()], removed };
}

function main(): void {
  const { written, removed } = writeDocs(fromRoot());
  for (const f of written) console.log(`wrote ${f}`);
  for (const f of removed) console.log(`removed ${f}`);
}

if (isEntryPoint(import.meta.url)) main();
