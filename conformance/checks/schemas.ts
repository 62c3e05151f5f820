import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import { HarnessError } from '../errors.js';
import { fromRoot } from '../paths.js';
import { jsonSchemaFor, loadSpec } from '../spec.js';
import type { SpecVersion } from '../profiles.js';

/** Validators compiled from spec/ (never restated by hand), one set per spec version. */
export interface Schemas {
  readonly ClientTokens: ValidateFunction;
  readonly ClientToken: ValidateFunction;
  readonly Error: ValidateFunction;
}

export type SchemaName = keyof Schemas;

export const SCHEMA_NAMES: readonly SchemaName[] = ['ClientTokens', 'ClientToken', 'Error'];

/** The one ajv set-up for response bodies, at run time and in the build's precompilation alike. */
export const AJV_OPTIONS = { allErrors: true } as const satisfies Options;

/**
 * The validators `npm run build` precompiles (ajv standalone code, conformance/tools/build.ts): compiling the
 * three schemas cost every run ~100 ms of its start, loading ajv included. Keyed by the digest of the schema
 * and the ajv options, so a validator is used only for exactly the schema it was made from: a spec edited
 * since the build, or run from source without a build, falls back to compiling here.
 */
export const PRECOMPILED_RESPONSE_VALIDATORS = fromRoot('dist', 'conformance', 'checks', 'response-validators.cjs');

export const schemaDigest = (schema: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify({ ajv: AJV_OPTIONS, schema }))
    .digest('hex');

// ajv is CommonJS; required lazily so that a run served by the precompiled validators never loads it.
const require = createRequire(import.meta.url);

let precompiled: Readonly<Record<string, ValidateFunction>> | null | undefined;
let ajv: Ajv | undefined;

function precompiledValidators(): Readonly<Record<string, ValidateFunction>> | null {
  if (precompiled === undefined) {
    try {
      precompiled = existsSync(PRECOMPILED_RESPONSE_VALIDATORS)
        ? (require(PRECOMPILED_RESPONSE_VALIDATORS) as Record<string, ValidateFunction>)
        : null;
    } catch {
      precompiled = null; // a damaged build output is no reason to fail: the spec is the source
    }
  }
  return precompiled;
}

/** The validator for one JSON Schema: the build's precompiled one when it was made from exactly this schema. */
export function responseValidator(schema: Record<string, unknown>): ValidateFunction {
  const ready = precompiledValidators()?.[schemaDigest(schema)];
  if (ready) return ready;
  if (!ajv) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    ajv = new Ajv(AJV_OPTIONS);
  }
  return ajv.compile(schema);
}

// A cache of pure derived data (the spec is immutable during a process): compiling ajv once per version keeps
// repeated in-process runs (the self-tests, the benchmark) fast. Not configuration, so not per-run state.
const compiled = new Map<SpecVersion, Schemas>();

export function compileSchemas(version: SpecVersion): Schemas {
  const hit = compiled.get(version);
  if (hit) return hit;
  try {
    const doc = loadSpec(version);
    const compile = (name: SchemaName): ValidateFunction => responseValidator(jsonSchemaFor(doc, name));
    const schemas: Schemas = {
      ClientTokens: compile('ClientTokens'),
      ClientToken: compile('ClientToken'),
      Error: compile('Error'),
    };
    compiled.set(version, schemas);
    return schemas;
  } catch (e) {
    throw new HarnessError('E_SPEC', `spec ${version} could not be loaded or compiled: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Validation errors as one line, e.g. `/tokens/0 must be string`. */
export function schemaErrors(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
}
