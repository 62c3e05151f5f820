/**
 * `npm run spec:build`: the spec artefacts, built from spec/*.yaml for the runner and the mock rather than for
 * readers: the compiled JSON load cache (spec/compiled/) and Prism's copies with the API prefix (spec/mock/).
 * A function of a repository root, so tests run it on temporary copies; `npm run docs:check` checks them.
 */
import { fromRoot, isEntryPoint } from '../paths.js';
import {
  BASE_SPEC_FILE,
  COMPILED_SPEC_FILE,
  buildSpecsFromYaml,
  compileSpecs,
  variantFile,
  type OpenApiDocument,
  type SpecVersion,
} from '../spec.js';
import { writeGenerated, type GeneratedFiles } from './write.js';

/** Folders whose every file is a spec artefact: a file there that is not produced is an error. */
export const SPEC_ARTEFACT_DIRS = ['spec/mock', 'spec/compiled'] as const;

/** The real Onezone base path; Prism 5.14 ignores a server's path, so the mock spec carries it in `paths`. */
export const API_PREFIX = '/api/v3/onezone';

export const mockSpecFile = (version: SpecVersion): string => `spec/mock/onezone-${version}.prism.json`;

/**
 * The document Prism serves (`npm run mock`): the same operations under `/api/v3/onezone/...`, because
 * Prism 5.14 routes the raw request path against `paths` and reads `servers` only when a request carries
 * `?__server=` (prism-http router). This way one URL form serves both the mock and a real Onezone.
 */
export function mockSpec(doc: OpenApiDocument, version: SpecVersion): Record<string, unknown> {
  const copy = structuredClone(doc) as unknown as Record<string, unknown>;
  const paths = Object.fromEntries(
    Object.entries(doc.paths).map(([p, item]) => [API_PREFIX + p, structuredClone(item)]),
  );
  const source = `${BASE_SPEC_FILE}${version === '17.06' ? '' : ` and ${variantFile(version) ?? ''}`}`;
  return {
    'x-generated': `from ${source} by npm run spec:build; do not edit`,
    ...copy,
    servers: [
      { url: 'http://127.0.0.1:4010', description: `Prism mock of Onezone ${version} (paths carry ${API_PREFIX})` },
    ],
    paths,
  };
}

/** Repository-relative path → content of every spec artefact. */
export function specArtefacts(root: string): GeneratedFiles {
  // Always from the YAML: the compiled copy is itself an output here.
  const files: GeneratedFiles = new Map();
  for (const [version, doc] of buildSpecsFromYaml(root))
    files.set(mockSpecFile(version), JSON.stringify(mockSpec(doc, version), null, 2) + '\n');
  files.set(COMPILED_SPEC_FILE, JSON.stringify(compileSpecs(root), null, 1) + '\n');
  return files;
}

/** Writes the spec artefacts and removes files in their folders that are no longer produced. */
export function writeSpecArtefacts(root: string): { written: string[]; removed: string[] } {
  return writeGenerated(root, specArtefacts(root), SPEC_ARTEFACT_DIRS);
}

function main(): void {
  const { written, removed } = writeSpecArtefacts(fromRoot());
  for (const f of written) console.log(`spec:build: wrote ${f}`);
  for (const f of removed) console.log(`spec:build: removed ${f}`);
}

if (isEntryPoint(import.meta.url)) main();
