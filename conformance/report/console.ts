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

/** The auto-detection line: its reason quotes what the target answered. */
export const detectionLine = (d: { profile: string; reason: string }): string =>
  `detected: ${terminalLine(d.profile)} (${terminalLine(d.reason)})`;
