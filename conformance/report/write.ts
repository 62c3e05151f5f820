import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../errors.js';
import { findSecretSpellings, maskSecretSpellings } from '../redact.js';
import { formatBadge } from './formatters/badge.js';
import { formatHtml } from './formatters/html.js';
import { formatJson } from './formatters/json.js';
import { formatJunit } from './formatters/junit.js';
import { formatMarkdown } from './formatters/markdown.js';
import type { Exchange, ReportDocument } from './types.js';
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
   * redacted by the HTTP layer; every free-text field is masked again here in every spelling
   * (findSecretSpellings), and each rendered file is scrubbed once more as the last line of defence.
   */
  secrets?: readonly string[];
  /**
   * Told what the final scrubber caught in a rendered file (file, which secret, which spelling): a gap in
   * the redaction to fix. The file is written with the catch masked. Default: a process warning.
   */
  onScrubbed?: (note: string) => void;
}

const MASK = '[REDACTED secret]';

/**
 * Writes every report format for one result document into `dir` and returns the paths written.
 * Validates the document against report.schema.json first and renders and scrubs every format before
 * writing any, so a bad document leaves no partial set of files. A secret never suppresses the reports: the
 * verdict stands and the evidence is kept, masked. Throws HarnessError('E_REPORT') on a schema mismatch or
 * a write failure.
 */
export async function writeReports(dir: string, report: ReportDocument, options: WriteOptions = {}): Promise<string[]> {
  const secrets = (options.secrets ?? []).filter((s) => s !== '');
  const doc = secrets.length ? redactDocument(report, secrets) : report;
  const validation = validateReport(doc);
  if (!validation.ok) {
    throw new HarnessError(
      'E_REPORT',
      `report.json does not match report.schema.json: ${validation.errors.join('; ')}`,
    );
  }
  const onScrubbed =
    options.onScrubbed ??
    ((note: string): void => {
      process.emitWarning(note, 'ReportScrubberWarning');
    });
  const outputs = REPORT_FILES.map(([name, format]) => {
    const scrubbed = scrubSecrets(name, format(doc), secrets);
    scrubbed.caught.forEach((note) => {
      onScrubbed(note);
    });
    return [name, scrubbed.text] as const;
  });
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
 * The document with every spelling of every secret masked in its free-text fields (messages, URLs, header
 * values, bodies, run errors). Enumerated fields (IDs, levels, statuses, the verdict) are left alone: the
 * verdict and the counts stand whatever a server echoed.
 */
export function redactDocument(report: ReportDocument, secrets: readonly string[]): ReportDocument {
  const m = (text: string): string => secrets.reduce((t, secret) => maskSecretSpellings(t, secret, MASK), text);
  const headers = (h: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(h).map(([k, v]) => [k, m(v)]));
  const exchange = (x: Exchange): Exchange => ({
    ...x,
    request: {
      ...x.request,
      url: m(x.request.url),
      headers: headers(x.request.headers),
      ...(x.request.body !== undefined && { body: m(x.request.body) }),
    },
    ...(x.response && { response: { ...x.response, headers: headers(x.response.headers), body: m(x.response.body) } }),
    ...(x.error && { error: { ...x.error, message: m(x.error.message) } }),
  });
  return {
    ...report,
    target: {
      ...report.target,
      url: m(report.target.url),
      ...(report.target.detection && {
        detection: { ...report.target.detection, reason: m(report.target.detection.reason) },
      }),
      ...(report.target.tls && {
        tls: { ...report.target.tls, ...(report.target.tls.ca !== undefined && { ca: m(report.target.tls.ca) }) },
      }),
    },
    checks: report.checks.map((c) => ({ ...c, message: m(c.message), exchanges: c.exchanges.map(exchange) })),
    errors: report.errors.map((e) => ({ ...e, message: m(e.message) })),
  };
}

/** What the scrubber found in one rendered file: which secret (by its position), in which spellings. */
function catches(fileName: string, text: string, secrets: readonly string[]): string[] {
  return secrets.flatMap((secret, index) => {
    const hits = findSecretSpellings(text, secret);
    if (!hits.length) return [];
    const kinds = [...new Set(hits.map((h) => h.kind))].join(', ');
    return [`${fileName} contained secret #${index + 1} of the secrets list (${kinds}, ${hits.length}×)`];
  });
}

/**
 * The last guard: masks any spelling of a secret left in a rendered file and says what it caught (never
 * the secret itself). With the document redacted first it should catch nothing.
 */
export function scrubSecrets(
  fileName: string,
  text: string,
  secrets: readonly string[],
): { text: string; caught: string[] } {
  const caught = catches(fileName, text, secrets);
  if (!caught.length) return { text, caught };
  const clean = secrets.reduce((t, secret) => maskSecretSpellings(t, secret, MASK), text);
  return { text: clean, caught: caught.map((c) => `${c}; masked`) };
}

/**
 * Refuses an output that contains a secret in any spelling findSecretSpellings knows (raw, JSON/URL/HTML
 * escaped, base64, hex, half of it). The error names the file, the secret's position in the list and the
 * spelling, never the secret.
 */
export function assertNoSecrets(fileName: string, text: string, secrets: readonly string[]): void {
  const [first] = catches(
    fileName,
    text,
    secrets.filter((s) => s !== ''),
  );
  if (first !== undefined) throw new HarnessError('E_REPORT', first);
}
