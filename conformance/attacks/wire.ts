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
}

export interface AttackPort {
  send(req: WireRequest, as: Principal): Promise<WireResponse>;
  /** Masks a generated credential in everything the run writes, before it is sent. */
  registerSecret(secret: string, kind: 'token' | 'password'): void;
}

/** Reads `{"tokens": [...]}` leniently: the invariants judge sets of strings, the shape checks the shape. */
export function tokensIn(res: WireResponse): string[] {
  const tokens = (res.json as { tokens?: unknown } | undefined)?.tokens;
  return Array.isArray(tokens) ? tokens.filter((t): t is string => typeof t === 'string') : [];
}

export const is2xx = (status: number): boolean => status >= 200 && status < 300;
