/**
 * Typed errors with stable codes. The code, never the message, is what tests and reports key on.
 *
 * - `HarnessError`: we could not judge (network, TLS, timeout, bad arguments). Becomes status `errored`
 *   for a check, or exit code 2 for the run.
 * - `PreconditionError`: the check does not apply to this target or configuration. Becomes `skipped`
 *   with the message as the reason.
 * - A chai `AssertionError` is the only thing that makes a check `failed`.
 */
export type HarnessErrorCode =
  | 'E_USAGE' // bad command-line arguments or environment
  | 'E_CONNECT' // connection refused, DNS failure, reset before any response
  | 'E_TLS' // certificate not trusted, hostname mismatch, handshake failure
  | 'E_TIMEOUT' // no complete answer within --timeout
  | 'E_TRUNCATED' // the response body ended before its declared length
  | 'E_SPEC' // the spec could not be loaded or compiled
  | 'E_REPORT' // a report could not be built, validated or written
  | 'E_STANDIN' // the embedded stand-in failed to start
  | 'E_INTERNAL'; // a bug in the suite itself

export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  constructor(
    readonly code: HarnessErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type PreconditionCode =
  | 'P_NO_TOKEN' // no access token given and none could be obtained
  | 'P_NO_OTHER_USER' // --other-user not given
  | 'P_NO_WRITES' // the check needs --allow-writes
  | 'P_PROFILE' // the profile says this behaviour is not expected of the target
  | 'P_NO_BASIC' // no Basic credentials given
  | 'P_STATE'; // the target is not in a state the check needs (e.g. empty token list)

export class PreconditionError extends Error {
  override readonly name = 'PreconditionError';
  constructor(
    readonly code: PreconditionCode,
    message: string,
  ) {
    super(message);
  }
}

export const isHarnessError = (e: unknown): e is HarnessError => e instanceof HarnessError;
export const isPreconditionError = (e: unknown): e is PreconditionError => e instanceof PreconditionError;
