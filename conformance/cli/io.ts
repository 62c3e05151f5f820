import { closingLine } from '../report/console.js';

/**
 * What a subcommand gets from the process, as values: streams, environment, working directory and the
 * process-level events. Tests pass their own; only the entry point (main.ts) touches `process`.
 */
export interface Io {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly err: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The person's working directory (npm's INIT_CWD under an npm script): relative paths resolve from here. */
  readonly cwd: string;
  /** Signals and the parent's death; absent in-process (tests), where nothing is subscribed. */
  readonly lifecycle?: Lifecycle;
}

/** The line `run` ends with when it could not even start: scripts read the last line. */
export const NOTHING_RUN = closingLine({ passed: 0, failed: 0, skipped: 0, errored: 0 });

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The conventional exit code of a process ended by a signal: 128 + its number. */
export const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export interface Lifecycle {
  /** Subscribes to SIGINT, SIGTERM and SIGHUP (the default action, ending at once, is then replaced). */
  onSignal(handler: (signal: StopSignal) => void): () => void;
  /** Called once when the process that started this one has ended. */
  onParentGone(handler: () => void): () => void;
}

/** Resolves with the first signal or the parent's death; the returned `dispose` unsubscribes both. */
export function untilStopped(lifecycle: Lifecycle | undefined): {
  stopped: Promise<StopSignal | 'parent'>;
  dispose: () => void;
} {
  let dispose = (): void => undefined;
  const stopped = new Promise<StopSignal | 'parent'>((resolve) => {
    if (lifecycle === undefined) return;
    const offSignal = lifecycle.onSignal(resolve);
    const offParent = lifecycle.onParentGone(() => {
      resolve('parent');
    });
    dispose = () => {
      offSignal();
      offParent();
    };
  });
  return {
    stopped,
    dispose: () => {
      dispose();
    },
  };
}
