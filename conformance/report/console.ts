import type { ReportDocument, ReportSummary } from './types.js';

/**
 * Console conventions shared by everything the suite prints to a terminal: the runner's progress and closing
 * line, the gate. Text that came from a target (messages, bodies, the auto-detection reason) may carry
 * escape sequences meant for the reader's terminal; it is printed only through terminalSafe().
 */

/**
 * C0 controls except tab and newline (ESC starts every ANSI/OSC sequence; CR and backspace overwrite what was
 * printed), DEL, C1 controls (U+009B is a one-character CSI, U+009D an OSC), and the bidirectional overrides
 * and isolates that reorder what a reader sees ("Trojan Source").
 */
const TERMINAL_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

const visible = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The text with every control character made visible (`\u001b`), so no sequence reaches the terminal. */
export const terminalSafe = (text: string): string => text.replace(TERMINAL_CONTROL, visible);

/** One line of terminal-safe text: whitespace runs (newlines too) become one space; long text is cut. */
export function terminalLine(text: string, max = Infinity): string {
  const flat = terminalSafe(text.replace(/\s+/g, ' ').trim());
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/**
 * Whether to colour: only on a TTY, and never when NO_COLOR is set to anything non-empty
 * (https://no-color.org) or the terminal says it cannot (TERM=dumb).
 */
export function useColour(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  return stream.isTTY === true && !env['NO_COLOR'] && env['TERM'] !== 'dumb';
}

/** `1 warning`, `2 warnings`, `0 warnings`. */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/**
 * The runner's closing line, which CI reads: it starts with `N passed, N failed` (failed = MUST failures), then
 * the skipped and the errored checks (the warnings are on the line above it).
 */
export const closingLine = (s: Pick<ReportSummary, 'passed' | 'failed' | 'skipped' | 'errored'>): string =>
  `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.errored} errored`;

/** What the runner prints after the checks: run errors, the warnings and the verdict, the closing line. */
export function runEpilogue(report: ReportDocument, reportDir: string): string[] {
  const s = report.summary;
  return [
    ...report.errors.map((e) => `error ${e.code}: ${terminalLine(e.message)}`),
    `${plural(s.warnings, 'warning')}, ${s.errored} errored · verdict ${report.verdict} · ${terminalSafe(reportDir)}`,
    closingLine(s),
  ];
}

/** The auto-detection line: its reason quotes what the target answered. */
export const detectionLine = (d: { profile: string; reason: string }): string =>
  `detected: ${terminalLine(d.profile)} (${terminalLine(d.reason)})`;
