import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parseFlags, type ParsedFlags } from '../cli/flags.js';
import { commandHelp } from '../cli/help.js';
import type { Io } from '../cli/io.js';
import { HarnessError, isHarnessError } from '../errors.js';
import { fromRoot } from '../paths.js';
import { plural, terminalSafe } from './console.js';
import { gate, parseExpiry, type AllowlistEntry } from './gate.js';
import type { ReportDocument } from './types.js';
import { validateReport } from './validate.js';

/**
 * `onezone-conformance gate --report R [--baseline B] [--allowlist A]`. Exit 0: release may go; 1: blocked
 * (non-conformant, regression, expired or stale allowlist entry); 2: could not judge (bad input, or a
 * report whose run errored). The allowlist defaults to reports/baseline/allowlist.json when that file
 * exists: reports/ is git-ignored except README.md and baseline/, and an allowlist must be committed.
 */
export const DEFAULT_ALLOWLIST = fromRoot('reports', 'baseline', 'allowlist.json');

export interface GateIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly cwd: string;
  readonly now: Date;
}

/** The gate from a command line (tests; the one command goes through gateCommand). */
export function gateCli(argv: readonly string[], io: GateIo): 0 | 1 | 2 {
  try {
    const parsed = parseFlags('gate', argv, {});
    if (parsed.kind !== 'flags') {
      io.out.write(commandHelp('gate') + '\n');
      return 0;
    }
    return gateWith(parsed.flags, io);
  } catch (e) {
    if (!isHarnessError(e)) throw e;
    io.err.write(`error ${e.code}: ${terminalSafe(e.message)}\n`);
    return 2;
  }
}

export function gateCommand(flags: ParsedFlags, io: Io): Promise<number> {
  return Promise.resolve(gateWith(flags, { out: io.out, err: io.err, cwd: io.cwd, now: new Date() }));
}

function gateWith(flags: ParsedFlags, io: GateIo): 0 | 1 | 2 {
  try {
    const args = gateArgsFrom(flags);
    const at = (p: string): string => resolve(io.cwd, p);
    const report = loadReport(at(args.report), 'report');
    const baseline = args.baseline === undefined ? undefined : loadReport(at(args.baseline), 'baseline');
    const allowlistPath = args.noAllowlist
      ? undefined
      : args.allowlist !== undefined
        ? at(args.allowlist)
        : existsSync(DEFAULT_ALLOWLIST)
          ? DEFAULT_ALLOWLIST
          : undefined;
    const allowlist = allowlistPath === undefined ? [] : loadAllowlist(allowlistPath);
    // Every line may quote a report or an allowlist: none may carry a sequence to the reader's terminal.
    const print = (line: string): void => {
      io.out.write(terminalSafe(line) + '\n');
    };
    print(`report:    ${at(args.report)}`);
    if (args.baseline !== undefined) print(`baseline:  ${at(args.baseline)}`);
    print(
      `allowlist: ${allowlistPath ?? '(none)'}${allowlistPath ? ` (${plural(allowlist.length, 'entry', 'entries')})` : ''}`,
    );
    const result = gate(report, { ...(baseline && { baseline }), allowlist, now: io.now });
    result.lines.forEach(print);
    return result.exitCode;
  } catch (e) {
    if (!isHarnessError(e)) throw e;
    io.err.write(
      `error ${e.code}: ${terminalSafe(e.message)}\n${e.code === 'E_USAGE' ? 'Run `onezone-conformance gate --help` for the options.\n' : ''}`,
    );
    return 2;
  }
}

interface GateArgs {
  report: string;
  baseline?: string;
  allowlist?: string;
  noAllowlist: boolean;
}

function gateArgsFrom(flags: ParsedFlags): GateArgs {
  const report = flags.string('report');
  if (report === undefined) throw new HarnessError('E_USAGE', '--report is required');
  const baseline = flags.string('baseline');
  const allowlist = flags.string('allowlist');
  return {
    report,
    ...(baseline !== undefined && { baseline }),
    ...(allowlist !== undefined && { allowlist }),
    noAllowlist: flags.boolean('no-allowlist'),
  };
}

function readJson(path: string, what: string): unknown {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new HarnessError(
      'E_USAGE',
      `${what} ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HarnessError('E_REPORT', `${what} ${path} is not JSON: ${(e as Error).message}`);
  }
}

function loadReport(path: string, what: string): ReportDocument {
  const v = validateReport(readJson(path, what));
  if (!v.ok)
    throw new HarnessError('E_REPORT', `${what} ${path} does not match report.schema.json: ${v.errors.join('; ')}`);
  return v.report;
}

const ALLOWLIST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['entries'],
  properties: {
    $comment: { type: 'string' },
    entries: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'reason', 'expires'],
        properties: {
          id: { type: 'string', minLength: 1 },
          reason: { type: 'string', minLength: 1 },
          expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T.+)?$' },
          profile: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;

/** An allowlist without a reason or a parseable expiry is refused: an entry that never expires is the thing to avoid. */
export function loadAllowlist(path: string): AllowlistEntry[] {
  const doc = readJson(path, 'allowlist');
  const validate = new Ajv({ allErrors: true }).compile<{ entries: AllowlistEntry[] }>(ALLOWLIST_SCHEMA);
  if (!validate(doc)) {
    const why = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
    throw new HarnessError('E_USAGE', `allowlist ${path} is invalid: ${why}`);
  }
  const undated = doc.entries.filter((e) => parseExpiry(e.expires) === undefined);
  if (undated.length)
    throw new HarnessError(
      'E_USAGE',
      `allowlist ${path}: expires is not a real date (YYYY-MM-DD) for ${undated.map((e) => e.id).join(', ')}`,
    );
  return doc.entries;
}
