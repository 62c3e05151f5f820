/**
 * The build after the type check (`npm run build` = `tsc -b`, then this): removes outputs whose source is
 * gone, precompiles the report and response validators, bundles the command for start-up. Each step works
 * only when its inputs changed, so a build with nothing to do costs one `tsc -b` check and this script's
 * start, well under a second.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { AJV_OPTIONS, PRECOMPILED_RESPONSE_VALIDATORS, SCHEMA_NAMES, schemaDigest } from '../checks/schemas.js';
import { fromRoot, isEntryPoint } from '../paths.js';
import { buildReportValidator } from '../report/build-validator.js';
import { jsonSchemaFor, loadSpecsFrom, SPEC_VERSIONS } from '../spec.js';

const require = createRequire(import.meta.url);

/** The bundled commands: name in dist/bin/ → the compiled entry module. */
export const BUNDLES: Readonly<Record<string, string>> = {
  'onezone-conformance': 'dist/conformance/cli/main.js',
};
export const BUNDLE_DIR = 'dist/bin';
const BUNDLE_STAMP = join(BUNDLE_DIR, 'inputs.json');

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * tsc never deletes the output of a source that was removed or renamed, and mocha would go on running a
 * deleted test from dist/: every dist/conformance/**.js(.map) without its .ts goes.
 */
export function pruneOrphans(root: string = fromRoot()): string[] {
  const removed: string[] = [];
  for (const file of walk(join(root, 'dist', 'conformance'))) {
    const m = /^(.*)\.js(?:\.map)?$/.exec(relative(join(root, 'dist'), file));
    if (m?.[1] === undefined || existsSync(join(root, `${m[1]}.ts`))) continue;
    rmSync(file);
    removed.push(relative(root, file));
  }
  return removed;
}

/**
 * The ClientTokens, ClientToken and Error validators of every spec version as one ajv standalone module, one
 * export per distinct schema, named by the digest the runner looks them up by (checks/schemas.ts). The first
 * line lists the digests, so an unchanged spec is recognised without loading ajv.
 */
export function buildResponseValidators(root: string = fromRoot()): boolean {
  const docs = loadSpecsFrom(root);
  const schemas = new Map<string, Record<string, unknown>>();
  for (const version of SPEC_VERSIONS) {
    const doc = docs.get(version);
    if (doc === undefined) continue;
    for (const name of SCHEMA_NAMES) {
      const schema = jsonSchemaFor(doc, name);
      schemas.set(schemaDigest(schema), schema);
    }
  }
  const digests = [...schemas.keys()].sort();
  const stamp = `// response validators for schema digests ${digests.join(' ')}\n`;
  if (
    existsSync(PRECOMPILED_RESPONSE_VALIDATORS) &&
    readFileSync(PRECOMPILED_RESPONSE_VALIDATORS, 'utf8').startsWith(stamp)
  )
    return false;
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standalone = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js');
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  for (const [digest, schema] of schemas) ajv.addSchema(schema, digest);
  const code = standalone.default(ajv, Object.fromEntries(digests.map((d) => [d, d])));
  mkdirSync(dirname(PRECOMPILED_RESPONSE_VALIDATORS), { recursive: true });
  writeFileSync(PRECOMPILED_RESPONSE_VALIDATORS, stamp + code);
  return true;
}

/** Each input file of the last bundle with its size and modification time: the bundle is current when equal. */
function inputsSignature(root: string, files: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    files.map((f) => {
      try {
        const s = statSync(join(root, f));
        return [f, `${s.size}:${s.mtimeMs}`];
      } catch {
        return [f, 'missing'];
      }
    }),
  );
}

const thisScript = (root: string): string => relative(root, fileURLToPath(import.meta.url));

function bundleIsCurrent(root: string): boolean {
  try {
    const stamp = JSON.parse(readFileSync(join(root, BUNDLE_STAMP), 'utf8')) as {
      bundles: unknown;
      builder: unknown;
      inputs: Record<string, string>;
    };
    if (JSON.stringify(stamp.bundles) !== JSON.stringify(BUNDLES)) return false;
    // This script's options (the undici plugin…) shape the bundle too: a changed script rebuilds it.
    if (JSON.stringify(stamp.builder) !== JSON.stringify(inputsSignature(root, [thisScript(root)]))) return false;
    if (!Object.keys(BUNDLES).every((name) => existsSync(join(root, BUNDLE_DIR, `${name}.js`)))) return false;
    return JSON.stringify(inputsSignature(root, Object.keys(stamp.inputs))) === JSON.stringify(stamp.inputs);
  } catch {
    return false;
  }
}

/**
 * What the bundle takes of undici: the runner uses only `Agent` and its `request` (http.ts). undici's index
 * loads all of it (fetch, WebSocket, EventSource, caches, mocks, SQLite store): 1.6 MB of bundle that cost
 * ~60 ms of every start, and its fetch part wakes Node's own copy of undici too. ES module on purpose: an import
 * of anything else from 'undici' in the bundled code is then a build error, not an undefined at run time.
 */
export const UNDICI_FOR_BUNDLE = `
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import request from 'undici/lib/api/api-request.js';
Dispatcher.prototype.request = request;
export { Agent };
`;

const undiciForBundle = (root: string): Plugin => ({
  name: 'undici-agent-only',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-agent-only' }));
    b.onLoad({ filter: /.*/, namespace: 'undici-agent-only' }, () => ({
      contents: UNDICI_FOR_BUNDLE,
      loader: 'js',
      resolveDir: root,
    }));
  },
});

/**
 * The command as one ES module plus a chunk per lazily imported part (esbuild, code splitting): Node loads a
 * handful of files instead of hundreds at start. Packages the code loads with `require` at run time (ajv, yaml)
 * stay outside, so a run that does not need them never reads them; of undici, only the Agent goes in.
 */
export async function buildBundles(root: string = fromRoot()): Promise<boolean> {
  if (bundleIsCurrent(root)) return false;
  const { build } = await import('esbuild');
  rmSync(join(root, BUNDLE_DIR), { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(BUNDLES)),
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    // Imported by the commands that validate documents (gate, docs): their chunks load them from node_modules.
    external: ['ajv', 'ajv-formats', 'yaml'],
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    plugins: [undiciForBundle(root)],
    // The bundled CommonJS packages call require(); an ES module has none unless it is made.
    banner: {
      js: "import { createRequire as __onezoneCreateRequire } from 'node:module';\nconst require = __onezoneCreateRequire(import.meta.url);",
    },
  });
  writeFileSync(
    join(root, BUNDLE_STAMP),
    JSON.stringify(
      {
        bundles: BUNDLES,
        builder: inputsSignature(root, [thisScript(root)]),
        inputs: inputsSignature(root, Object.keys(result.metafile.inputs)),
      },
      null,
      1,
    ),
  );
  return true;
}

export async function buildAll(): Promise<string[]> {
  const did: string[] = [];
  const removed = pruneOrphans();
  if (removed.length) did.push(`removed ${removed.length} output(s) without a source`);
  if (buildReportValidator()) did.push('report validator');
  if (buildResponseValidators()) did.push('response validators');
  if (await buildBundles()) did.push(`bundle ${BUNDLE_DIR}/`);
  return did;
}

if (isEntryPoint(import.meta.url)) {
  buildAll().then(
    (did) => {
      if (did.length && process.env['npm_config_loglevel'] !== 'silent') console.log(`build: ${did.join(', ')}`);
    },
    (e: unknown) => {
      console.error(`build: ${(e as Error).stack ?? String(e)}`);
      process.exitCode = 1;
    },
  );
}
