import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { fromRoot } from '../paths.js';
import { exitCodeOf, summarize } from './grade.js';
import type { ReportDocument } from './types.js';

/**
 * `report.schema.json` is read from the source tree (not copied into dist/) so that the one file the
 * schema test pins is the one that validates at run time, from tsx and from dist/ alike.
 */
export const REPORT_SCHEMA_PATH = fromRoot('conformance', 'report', 'report.schema.json');

/**
 * The validator `npm run build` precompiles beside this module (build-validator.ts, ajv standalone code):
 * compiling the schema with ajv cost every run ~60 ms of its start. Used only when it was made from the
 * schema as it is now (its SHA-256), so an edited schema is never judged by a stale validator; otherwise
 * (running from source, or a schema edited since the build) the schema is compiled here as before.
 */
// Named from the root, not from this module: the bundled command (dist/bin/) must find it too.
export const PRECOMPILED_VALIDATOR_PATH = fromRoot('dist', 'conformance', 'report', 'report-schema.validator.cjs');

export type ReportValidation = { ok: true; report: ReportDocument } | { ok: false; errors: string[] };

// ajv and ajv-formats are CommonJS; required lazily so that a run with the precompiled validator never loads
// them for the report, and synchronously so that validateReport stays a plain function.
const require = createRequire(import.meta.url);

export const schemaSha256 = (schemaText: string): string => createHash('sha256').update(schemaText).digest('hex');

/** The one ajv set-up for the report schema, shared by the build step (which needs the instance too). */
export function compileReportSchema(
  schemaText: string,
  opts: { source?: boolean } = {},
): { ajv: Ajv; validate: ValidateFunction } {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv({ allErrors: true, strict: true, ...(opts.source === true && { code: { source: true } }) });
  addFormats(ajv, ['date-time']);
  return { ajv, validate: ajv.compile(JSON.parse(schemaText) as object) };
}

function precompiled(sha256: string): ValidateFunction | undefined {
  if (!existsSync(PRECOMPILED_VALIDATOR_PATH)) return undefined;
  const mod = require(PRECOMPILED_VALIDATOR_PATH) as ValidateFunction & { schemaSha256?: unknown };
  return mod.schemaSha256 === sha256 ? mod : undefined;
}

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (compiled) return compiled;
  const text = readFileSync(REPORT_SCHEMA_PATH, 'utf8');
  compiled = precompiled(schemaSha256(text)) ?? compileReportSchema(text).validate;
  return compiled;
}

const describeError = (e: ErrorObject): string =>
  `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String(e.params['additionalProperty'])})` : ''}`;

/**
 * The summary is derived data; a summary that disagrees with the checks would make the badge, the JUnit
 * counts and the gate tell different stories, so it is checked here rather than trusted.
 */
function summaryMismatches(report: ReportDocument): string[] {
  const expected = summarize(report.checks);
  return Object.entries(expected)
    .filter(([key, value]) => report.summary[key as keyof typeof expected] !== value)
    .map(
      ([key, value]) =>
        `/summary/${key} is ${report.summary[key as keyof typeof expected]} but the checks give ${value}`,
    );
}

/** The exit code is the verdict's other name: a document where they disagree has no one meaning. */
function verdictMismatch(report: ReportDocument): string[] {
  const expected = exitCodeOf(report.verdict);
  return report.exitCode === expected
    ? []
    : [`/exitCode is ${report.exitCode} but verdict ${report.verdict} means ${expected}`];
}

function duplicateIds(report: ReportDocument): string[] {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const c of report.checks) (seen.has(c.id) ? dupes : seen).add(c.id);
  return [...dupes].map((id) => `/checks: id ${id} occurs more than once`);
}

/** Validates a parsed report.json against report.schema.json and the summary/ID invariants. */
export function validateReport(doc: unknown): ReportValidation {
  const validate = schemaValidator();
  if (!validate(doc)) return { ok: false, errors: (validate.errors ?? []).map(describeError) };
  const report = doc as ReportDocument;
  const errors = [...summaryMismatches(report), ...verdictMismatch(report), ...duplicateIds(report)];
  return errors.length ? { ok: false, errors } : { ok: true, report };
}
