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
  | 'E_TRUNCATED' // the response body ended before its declared length (the connection closed cleanly)
  // A target that does not follow HTTP, or answers in a way no judgement can rest on. Each has its own code,
  // because "a bug in the suite" (E_INTERNAL) or "cannot connect" (E_CONNECT) sends the operator the wrong way.
  | 'E_BODY_TOO_LARGE' // the body exceeded the size cap; reading stopped there, so no target can exhaust memory
  | 'E_HEADERS_TOO_LARGE' // more or larger response headers than the HTTP parser accepts (16 KiB in all)
  | 'E_PROTOCOL' // the answer is not HTTP/1.1: bad status line, broken chunked encoding, bytes of another protocol
  | 'E_RESET' // the connection was reset after the response had begun (a reset mid-body, not a refusal)
  | 'E_UNAVAILABLE' // 503 (Onezone 21.02.6+'s circuit breaker) or a gateway's 502/504: not served; not a verdict
  | 'E_RATE_LIMITED' // 429: the target (a proxy in front of it) throttles this client; not a verdict
  // Requests the suite refuses to send. A value chosen by the target (a listed or created token) must never
  // steer a request: it could otherwise smuggle a header or reach another resource with the user's credentials.
  | 'E_INTERRUPTED' // the run was interrupted (its AbortSignal): requests in flight were aborted, no new one sent
  | 'E_UNSENDABLE' // a header value with control characters (CR, LF, ...) that HTTP cannot carry; not sent
  | 'E_OUT_OF_SCOPE' // a request outside the operation's paths; not sent
  // Preflight: the run's inputs do not fit the target, so judging would report the operator's mistake as
  // non-conformance. Exit 2 with a hint instead.
  | 'E_BASE_URL' // the base URL does not serve the operation (missing /api/v3/onezone, http:// to an HTTPS port)
  | 'E_CREDENTIALS' // the given --user, --other-user or --token do not authenticate as the user they name
  | 'E_SPEC' // the spec could not be loaded or compiled
  | 'E_REPORT' // a report could not be built, validated or written
  | 'E_STANDIN' // the embedded stand-in failed to start
  | 'E_DEADLINE' // the run passed its --deadline
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
  | 'P_STATE' // the target is not in a state the check needs (e.g. empty token list)
  | 'P_DEPENDENCY' // a check this one depends on did not pass (failed, errored or skipped)
  | 'P_DEPTH'; // --depth 0: the check draws generated cases and none are wanted

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
