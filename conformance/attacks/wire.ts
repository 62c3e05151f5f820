import { tokensOf } from '../checks/list.js';
import type { BodyKey, ResponseBody } from '../http.js';

/**
 * The only things the generated attacks need from the runner: send one request (recorded as evidence), and
 * register a secret before it is sent. Kept this small so that the generators, the model and the invariants
 * are pure and testable without a server, and so that the runner's check context can change underneath.
 */

/** Whose request it is for the run's secrets checks (see checks/types.ts Principal). */
export type Principal = 'user' | 'other' | 'nobody';

export interface WireRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path below the base URL, raw (dot segments and escapes are sent as written), with any query string. */
  readonly path: string;
  /** Header names as they are sent (case matters only as evidence: servers lower-case them). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface WireResponse {
  readonly status: number;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyText: string;
  readonly json?: unknown;
  /** Method, path, status and the redacted body: the evidence line. */
  readonly summary: string;
  /**
   * The runner's record of the body (http.ts), shared by answers with identical bytes: what the invariants
   * derive from a body is then derived once per distinct body. Without it, derived for each answer.
   */
  readonly body?: ResponseBody;
}

export interface AttackPort {
  send(req: WireRequest, as: Principal): Promise<WireResponse>;
  /** Masks a generated credential in everything the run writes, before it is sent. */
  registerSecret(secret: string, kind: 'token' | 'password'): void;
}

/** Reads `{"tokens": [...]}` leniently: the invariants judge sets of strings, the shape checks the shape. */
export function tokensIn(res: WireResponse): readonly string[] {
  const read = (): string[] => {
    const tokens = (res.json as { tokens?: unknown } | undefined)?.tokens;
    return Array.isArray(tokens) ? tokens.filter((t): t is string => typeof t === 'string') : [];
  };
  // The runner's answers: the checks' one reading of the body (list.ts), not a second array per body.
  return res.body ? tokensOf({ body: res.body }) : read();
}

/**
 * `derive(res)` once per distinct body and `arg` (compared by identity, e.g. one user's list), when the answer
 * carries the runner's record of its body; else each time.
 */
export function perBody<A extends object, T>(
  key: BodyKey<WeakMap<A, T>>,
  res: WireResponse,
  arg: A,
  derive: () => T,
): T {
  return res.body ? res.body.deriveWith(key, arg, derive) : derive();
}

export const is2xx = (status: number): boolean => status >= 200 && status < 300;
