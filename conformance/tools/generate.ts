/**
 * `npm run docs`: renders docs/ from spec/ (the operation and definition pages, version-differences.md) and
 * docs/checks.md from the check registry. The spec artefacts (compiled cache, Prism copies) are the separate
 * step `npm run spec:build` (spec-build.ts), which `npm run docs` runs first. Everything is a function of a
 * repository root, so tests run it on temporary copies without touching the real tree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderCatalogue } from '../checks/catalogue.js';
import { BASE_SPEC_FILE, SPEC_VERSIONS, buildSpecsFromYaml, variantFile, type SpecVersion } from '../spec.js';
import { operationsOf, renderDefinition, renderOperation, renderVersionDifferences } from './render.js';
import { SPEC_ARTEFACT_DIRS, specArtefacts, writeSpecArtefacts } from './spec-build.js';
import { listFilesIn, writeGenerated, type GeneratedFiles } from './write.js';

export type { GeneratedFiles };
export { API_PREFIX, mockSpec, mockSpecFile } from './spec-build.js';

/** Folders of docs/ whose every file is generated. */
export const DOCS_DIRS = ['docs/operations', 'docs/definitions'] as const;

/** Every folder whose every file is generated: a file there that no generator produces is an error. */
export const GENERATED_DIRS = [...DOCS_DIRS, ...SPEC_ARTEFACT_DIRS] as const;

/** Single generated files outside GENERATED_DIRS. */
export const VERSION_DIFFERENCES_FILE = 'docs/version-differences.md';
export const CATALOGUE_FILE = 'docs/checks.md';

/** The schemas that get a definition page (SerializedToken is documented inside them). */
export const DEFINITIONS = ['ClientTokens', 'ClientToken', 'Error'] as const;

/** The pages of docs/ (not the spec artefacts). */
export function generateDocs(root: string): GeneratedFiles {
  const docs = buildSpecsFromYaml(root);
  const base = docs.get('17.06');
  if (base === undefined) throw new Error('the 17.06 base spec is missing');
  const files: GeneratedFiles = new Map();
  for (const op of operationsOf(base)) {
    const id = typeof op.operation['operationId'] === 'string' ? op.operation['operationId'] : `${op.method}${op.path}`;
    files.set(`docs/operations/${id}.md`, renderOperation(base, '17.06', op, BASE_SPEC_FILE));
  }
  for (const name of DEFINITIONS)
    files.set(`docs/definitions/${name}.md`, renderDefinition(base, '17.06', name, BASE_SPEC_FILE));
  files.set(
    VERSION_DIFFERENCES_FILE,
    renderVersionDifferences(docs, patchSummaries(root), 'spec/onezone.openapi.yaml and spec/variants/'),
  );
  // The catalogue is rendered from the code (registry, profiles, fault table), not from `root`'s files.
  files.set(CATALOGUE_FILE, renderCatalogue());
  return files;
}

/** Every generated file: the spec artefacts and the docs. */
export function generateAll(root: string): GeneratedFiles {
  return new Map([...specArtefacts(root), ...generateDocs(root)]);
}

/** The JSON pointers of every leaf a merge patch sets or removes, in file order. */
function leafPointers(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix || '/'];
  return Object.entries(value).flatMap(([k, v]) =>
    leafPointers(v, `${prefix}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`),
  );
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

/** Files under the generated folders, repository-relative (to find extra files). */
export function listGeneratedDirs(root: string): string[] {
  return listFilesIn(root, GENERATED_DIRS);
}

/** Writes the docs pages and removes files in the docs' generated folders that are no longer produced. */
export function writeDocs(root: string): { written: string[]; removed: string[] } {
  return writeGenerated(root, generateDocs(root), DOCS_DIRS);
}

/** Both steps, in the order `npm run docs` runs them: the spec artefacts, then the docs. */
export function writeAll(root: string): { written: string[]; removed: string[] } {
  const spec = writeSpecArtefacts(root);
  const docs = writeDocs(root);
  return { written: [...spec.written, ...docs.written], removed: [...spec.removed, ...docs.removed] };
}
