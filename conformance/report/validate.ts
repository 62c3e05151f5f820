import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { fromRoot } from '../paths.js';
import type { CheckResult, ReportDocument } from './types.js';

/**
 * `report.schema.json` is read from the source tree (not copied into dist/) so that the one file the
 * schema test pins is the one that validates at run time, from tsx and from dist/ alike.
 */
export const REPORT_SCHEMA_PATH = fromRoot('conformance', 'report', 'report.schema.json');

export type ReportValidation = { ok: true; report: ReportDocument } | { ok: false; errors: string[] };

// ajv-formats is CommonJS: under NodeNext its default import is module.exports, whose `default` is the plugin.
const addFormats = formatsModule.default;

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv, ['date-time']);
  compiled = ajv.compile(JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8')) as object);
  return compiled;
}

const describeError = (e: ErrorObject): string =>
  `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String(e.params['additionalProperty'])})` : ''}`;

/**
 * The summary is derived data; a summary that disagrees with the checks would make the badge, the JUnit
 * counts and the gate tell different stories, so it is checked here rather than trusted.
 */
function summaryMismatches(report: ReportDocument): string[] {
  const count = (pred: (c: CheckResult) => boolean): number => report.checks.filter(pred).length;
  const expected = {
    total: report.checks.length,
    passed: count((c) => c.status === 'passed'),
    failed: count((c) => c.status === 'failed' && c.level === 'MUST'),
    warnings: count((c) => c.status === 'failed' && c.level !== 'MUST'),
    skipped: count((c) => c.status === 'skipped'),
    errored: count((c) => c.status === 'errored'),
  };
  return Object.entries(expected)
    .filter(([key, value]) => report.summary[key as keyof typeof expected] !== value)
    .map(
      ([key, value]) =>
        `/summary/${key} is ${report.summary[key as keyof typeof expected]} but the checks give ${value}`,
    );
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
  const errors = [...summaryMismatches(report), ...duplicateIds(report)];
  return errors.length ? { ok: false, errors } : { ok: true, report };
}
