import type { CheckResult, ReportDocument } from './types.js';

/** What the runner tells the person watching. On a TTY: a line per check; in CI: failures and summary only. */
export interface Progress {
  checkFinished(result: CheckResult): void;
  finished(report: ReportDocument): void;
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  /** True on a terminal outside CI (no CI=true and stream is a TTY). */
  interactive: boolean;
}

/** Skeleton: the reports work replaces this with the real console reporter. */
export function createProgress({ stream, interactive }: ProgressOptions): Progress {
  return {
    checkFinished(r) {
      if (interactive || r.status === 'failed' || r.status === 'errored') {
        stream.write(`${r.status.padEnd(7)} ${r.level.padEnd(6)} ${r.id}${r.message ? ' — ' + r.message : ''}\n`);
      }
    },
    finished() {},
  };
}
