import { Ajv, type ValidateFunction } from 'ajv';
import { HarnessError } from '../errors.js';
import { jsonSchemaFor, loadSpec } from '../spec.js';
import type { SpecVersion } from '../profiles.js';

/** Validators compiled from spec/ (never restated by hand), one set per spec version. */
export interface Schemas {
  readonly ClientTokens: ValidateFunction;
  readonly ClientToken: ValidateFunction;
  readonly Error: ValidateFunction;
}

export type SchemaName = keyof Schemas;

// A cache of pure derived data (the spec is immutable during a process): compiling ajv once per version keeps
// repeated in-process runs (the self-tests, the benchmark) fast. Not configuration, so not per-run state.
const compiled = new Map<SpecVersion, Schemas>();

export function compileSchemas(version: SpecVersion): Schemas {
  const hit = compiled.get(version);
  if (hit) return hit;
  try {
    const doc = loadSpec(version);
    const ajv = new Ajv({ allErrors: true });
    const compile = (name: SchemaName): ValidateFunction => ajv.compile(jsonSchemaFor(doc, name));
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
