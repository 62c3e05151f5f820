import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isEntryPoint } from '../paths.js';
import { compileReportSchema, PRECOMPILED_VALIDATOR_PATH, REPORT_SCHEMA_PATH, schemaSha256 } from './validate.js';

/**
 * Build step (`npm run build`, after tsc): writes report.schema.json's validator as ajv standalone code beside
 * the compiled validate.js, stamped with the schema's SHA-256, so that a run validates report.json without
 * compiling the schema (see validate.ts). The output lives in dist/ only and is remade when the schema changed.
 */
const require = createRequire(import.meta.url);

/** Writes the validator unless the one there was made from this schema; true when it wrote. */
export function buildReportValidator(): boolean {
  const text = readFileSync(REPORT_SCHEMA_PATH, 'utf8');
  if (existsSync(PRECOMPILED_VALIDATOR_PATH)) {
    const there = readFileSync(PRECOMPILED_VALIDATOR_PATH, 'utf8');
    if (there.endsWith(`module.exports.schemaSha256 = ${JSON.stringify(schemaSha256(text))};\n`)) return false;
  }
  const { ajv, validate } = compileReportSchema(text, { source: true });
  const standalone = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js');
  const code = standalone.default(ajv, validate);
  writeFileSync(
    PRECOMPILED_VALIDATOR_PATH,
    `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaSha256(text))};\n`,
  );
  return true;
}

if (isEntryPoint(import.meta.url)) buildReportValidator();
