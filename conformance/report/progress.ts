import { terminalLine, useColour } from './console.js';
import { outcomeOf, type Outcome } from './grade.js';
import type { CheckResult, ReportDocument } from './types.js';

/** What the runner tells the person watching. On a TTY: a line per check; in CI: failures and summary only. */
export interface Progress {
  checkFinished(result: CheckResult): void;
  finished(report: ReportDocument): void;
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** True on a terminal outside CI (no CI=true and stream is a TTY). */
  interactive: boolean;
  /** Defaults to: interactive, the stream is a TTY, NO_COLOR is not set (https://no-color.org), TERM is not dumb. */
  color?: boolean;
  /** Where NO_COLOR and TERM are read; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

const SYMBOL: Readonly<Record<Outcome, string>> = { pass: '✔', fail: '✖', warning: '⚠', error: '!', skip: '-' };
const WORD: Readonly<Record<Outcome, string>> = {
  pass: 'pass',
  fail: 'FAIL',
  warning: 'warn',
  error: 'ERROR',
  skip: 'skip',
};
// ANSI SGR codes: green, red, yellow, magenta, grey.
const COLOUR: Readonly<Record<Outcome, string>> = { pass: '32', fail: '31', warning: '33', error: '35', skip: '90' };

/**
 * The console reporter. Interactive: every check as it completes. CI or no TTY: only failures, warnings
 * and errors (a quiet log is one people read). finished() lists what needs attention; the runner prints
 * the closing `N passed, N failed, N skipped` line itself, so it is not repeated here.
 */
export function createProgress({ stream, interactive, color, env }: ProgressOptions): Progress {
  const colour = color ?? (interactive && useColour(stream, env));
  const paint = (outcome: Outcome, text: string): string =>
    colour ? `\u001b[${COLOUR[outcome]}m${text}\u001b[0m` : text;
  return {
    checkFinished(r) {
      const outcome = outcomeOf(r);
      if (!interactive && (outcome === 'pass' || outcome === 'skip')) return;
      const head = `${paint(outcome, `${SYMBOL[outcome]} ${WORD[outcome].padEnd(5)}`)} ${r.level.padEnd(6)} ${terminalLine(r.id)} (${Math.round(r.durationMs)} ms)`;
      const detail = r.message && outcome !== 'pass' ? ` — ${terminalLine(r.message, 200)}` : '';
      stream.write(head + detail + '\n');
    },
    finished(report) {
      const groups: Array<[Outcome, string]> = [
        ['fail', 'failed (MUST)'],
        ['error', 'errored'],
        ['warning', 'warning'],
      ];
      for (const [outcome, label] of groups) {
        const ids = report.checks.filter((c) => outcomeOf(c) === outcome).map((c) => terminalLine(c.id));
        const word = outcome === 'warning' && ids.length !== 1 ? 'warnings' : label;
        if (ids.length) stream.write(`${paint(outcome, word)}: ${ids.join(', ')}\n`);
      }
    },
  };
}
