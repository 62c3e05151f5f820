import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../errors.js';
import { formatBadge } from './formatters/badge.js';
import { formatHtml } from './formatters/html.js';
import { formatJson } from './formatters/json.js';
import { formatJunit } from './formatters/junit.js';
import { formatMarkdown } from './formatters/markdown.js';
import type { ReportDocument } from './types.js';
import { validateReport } from './validate.js';

/** A pure formatter in Spectral's shape: the whole canonical document in, one file's text out. */
export type Formatter = (report: ReportDocument) => string;

/** File name → formatter. report.json comes first: it is the canonical document the others derive from. */
export const REPORT_FILES: ReadonlyArray<readonly [string, Formatter]> = [
  ['report.json', formatJson],
  ['junit.xml', formatJunit],
  ['report.md', formatMarkdown],
  ['report.html', formatHtml],
  ['badge.svg', formatBadge],
];

export interface WriteOptions {
  /**
   * Values that must never reach a file: passwords and tokens the run was given. The document is already
   * redacted by the HTTP layer; this is the last line of defence should a redaction ever be missed.
   */
  secrets?: readonly string[];
}

/**
 * Writes every report format for one result document into `dir` and returns the paths written.
 * Validates the document against report.schema.json first and renders and scrubs every format before
 * writing any, so a bad document or a leaked secret leaves no partial set of files. Throws
 * HarnessError('E_REPORT') on a schema mismatch, a secret in any output, or a write failure.
 */
export async function writeReports(dir: string, report: ReportDocument, options: WriteOptions = {}): Promise<string[]> {
  const validation = validateReport(report);
  if (!validation.ok) {
    throw new HarnessError(
      'E_REPORT',
      `report.json does not match report.schema.json: ${validation.errors.join('; ')}`,
    );
  }
  const outputs = REPORT_FILES.map(([name, format]) => [name, format(report)] as const);
  for (const [name, text] of outputs) assertNoSecrets(name, text, options.secrets ?? []);
  try {
    await mkdir(dir, { recursive: true });
    const paths: string[] = [];
    for (const [name, text] of outputs) {
      const path = join(dir, name);
      await writeFile(path, text);
      paths.push(path);
    }
    return paths;
  } catch (e) {
    throw new HarnessError('E_REPORT', `reports could not be written to ${dir}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Refuses an output that contains a secret in any of the spellings a formatter could produce (raw, JSON
 * string, XML/HTML-escaped, URL-encoded). The error names the file and the secret's position in the
 * list, never the secret.
 */
export function assertNoSecrets(fileName: string, text: string, secrets: readonly string[]): void {
  secrets.forEach((secret, index) => {
    if (secret === '') return;
    const leaked = spellings(secret).some((s) => text.includes(s));
    if (leaked) {
      throw new HarnessError(
        'E_REPORT',
        `${fileName} would contain secret #${index + 1} of the secrets list; no report written`,
      );
    }
  });
}

function spellings(secret: string): string[] {
  const markup = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return [
    ...new Set([
      secret,
      JSON.stringify(secret).slice(1, -1),
      markup,
      markup.replace(/'/g, '&apos;'),
      markup.replace(/'/g, '&#39;'),
      encodeURIComponent(secret),
    ]),
  ];
}
