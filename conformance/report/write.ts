import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HarnessError } from '../errors.js';
import { listedValue, SecretSpellings, type ListedSecret, type SecretHit } from '../redact.js';
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
   * (findSecretSpellings), and each rendered file is scrubbed once more as the last line of defence. Given as
   * the redactor's own search (Redactor.credentialSpellings), each is searched exactly as the redactor does.
   */
  secrets?: readonly ListedSecret[] | SecretSpellings;
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
  // One search for the document and every rendered file: all secrets in one pass over each text.
  const given = options.secrets ?? [];
  const search = given instanceof SecretSpellings ? given : new SecretSpellings(given, MASK);
  const secrets = given instanceof SecretSpellings ? given.listed() : given.filter((s) => listedValue(s) !== '');
  const doc = secrets.length ? redactWith(report, search) : report;
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
    const scrubbed = scrub(name, format(doc), search, secrets);
    scrubbed.caught.forEach((note) => {
      onScrubbed(note);
    });
    return [name, scrubbed.text] as const;
  });
  const target = await prepareReportDir(dir);
  try {
    const paths: string[] = [];
    for (const [name, text] of outputs) paths.push(await writeNoFollow(target, name, text));
    return paths;
  } catch (e) {
    throw new HarnessError('E_REPORT', `reports could not be written to ${target}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * Validates and creates the report directory and returns its absolute path (relative paths resolve from
 * `cwd`, the directory the command was typed in). Meant to run before the first request, so that a run
 * never does its work (and its writes on the target) only to find nowhere to put the evidence. Refuses an
 * empty value (E_USAGE: it would write into the current directory), a path that is not a directory, and
 * a directory that cannot be written (E_REPORT).
 */
export async function prepareReportDir(dir: string, cwd: string = process.cwd()): Promise<string> {
  if (dir.trim() === '') throw new HarnessError('E_USAGE', '--report-dir is empty: give a directory for the reports');
  const target = resolve(cwd, dir);
  try {
    await mkdir(target, { recursive: true });
    if (!(await stat(target)).isDirectory()) throw new Error('not a directory');
    await access(target, constants.W_OK);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new HarnessError('E_REPORT', `the report directory ${target} cannot be used: ${why}`, { cause: e });
  }
  return target;
}

/**
 * Writes `name` in `dir` without following a symlink planted there: the text goes to a new temporary file
 * (O_EXCL and O_NOFOLLOW: never an existing path), which is then renamed over the name; rename replaces a
 * symlink itself, never the file it points to. A reader never sees a half-written report either.
 */
async function writeNoFollow(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const file = await open(tmp, flags, 0o644);
  try {
    try {
      await file.writeFile(text);
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return path;
}

/**
 * The document with every spelling of every secret masked in its free-text fields (messages, URLs, header
 * values, bodies, run errors). Enumerated fields (IDs, levels, statuses, the verdict) are left alone: the
 * verdict and the counts stand whatever a server echoed.
 */
export function redactDocument(report: ReportDocument, secrets: readonly ListedSecret[]): ReportDocument {
  return redactWith(report, new SecretSpellings(secrets, MASK));
}

function redactWith(report: ReportDocument, search: SecretSpellings): ReportDocument {
  const m = (text: string): string => search.mask(text, MASK);
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
function catches(fileName: string, text: string, search: SecretSpellings, secrets: readonly ListedSecret[]): string[] {
  const found = new Map<number, SecretHit[]>();
  for (const h of search.find(text)) found.set(h.secret, [...(found.get(h.secret) ?? []), h]);
  // By the secret's position in the list the caller gave (the set keeps one entry for a repeated value).
  return secrets.flatMap((secret, index) => {
    const hits = found.get(search.indexOf(listedValue(secret))) ?? [];
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
  secrets: readonly ListedSecret[],
): { text: string; caught: string[] } {
  return scrub(fileName, text, new SecretSpellings(secrets, MASK), secrets);
}

function scrub(
  fileName: string,
  text: string,
  search: SecretSpellings,
  secrets: readonly ListedSecret[],
): { text: string; caught: string[] } {
  const caught = catches(fileName, text, search, secrets);
  if (!caught.length) return { text, caught };
  return { text: search.mask(text, MASK), caught: caught.map((c) => `${c}; masked`) };
}

/**
 * Refuses an output that contains a secret in any spelling findSecretSpellings knows (raw, JSON/URL/HTML
 * escaped, base64, hex, half of it). The error names the file, the secret's position in the list and the
 * spelling, never the secret.
 */
export function assertNoSecrets(fileName: string, text: string, secrets: readonly ListedSecret[]): void {
  const listed = secrets.filter((s) => listedValue(s) !== '');
  const [first] = catches(fileName, text, new SecretSpellings(listed, MASK), listed);
  if (first !== undefined) throw new HarnessError('E_REPORT', first);
}
