import type { Credentials } from '../../config.js';
import type { Exchange } from '../../report/types.js';
import type { Auth, Requester } from '../types.js';
import type { Owner } from './ledger.js';

/** One response of the run, as the secrets and error-body checks need it. Kept in memory only. */
export interface LoggedResponse {
  readonly auth: Auth;
  readonly as: Requester | undefined;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Token-like strings (quoted, 40+ token characters) found in the body. */
  readonly found: readonly string[];
  /** The given users' passwords (by the order SecretBook registered them) the response contained. */
  readonly passwordHits: readonly number[];
  /** The passwords of the request's Basic Authorization headers, however the check wrote them. */
  readonly sentPasswords: readonly string[];
  /** The raw body of error responses (status >= 400); lists are not kept, they may be megabytes. */
  readonly errorBody?: string;
  readonly exchange: Exchange;
  readonly summary: string;
  /** The body began with a UTF-8 byte-order mark (http.ts). */
  readonly bom?: true;
  /** The body did not decode as its Content-Encoding says (http.ts). */
  readonly encodingError?: string;
}

/** What a check may read of the log: every response so far, and whose each one was. */
export interface ExchangeLogView {
  readonly entries: readonly LoggedResponse[];
  /** Tokens the run knows to belong to `who` (listed, created or given). */
  knownTokens(who: Owner): ReadonlySet<string>;
  /** Whose response this was, judged with everything the run has learnt (see Requester). */
  principalOf(entry: LoggedResponse): Requester;
}

/**
 * Every response of the run in the order received, and the tokens known to belong to each user: the facts
 * the checks that judge the whole run (secrets, error bodies) read. Appended to only by the Wire.
 */
export class ExchangeLog implements ExchangeLogView {
  readonly #entries: LoggedResponse[] = [];
  readonly #known: Record<Owner, Set<string>> = { user: new Set(), other: new Set() };

  constructor(private readonly users: { readonly user?: Credentials; readonly otherUser?: Credentials }) {}

  get entries(): readonly LoggedResponse[] {
    return this.#entries;
  }

  record(entry: LoggedResponse): void {
    this.#entries.push(entry);
  }

  knownTokens(who: Owner): ReadonlySet<string> {
    return this.#known[who];
  }

  addKnownToken(who: Owner, token: string): void {
    this.#known[who].add(token);
  }

  principalOf(entry: LoggedResponse): Requester {
    if (entry.status >= 400) return 'nobody';
    if (entry.as) return entry.as;
    const a = entry.auth;
    const { user, otherUser } = this.users;
    if (a.kind === 'basic') {
      if (user && a.user.name === user.name && a.user.password === user.password) return 'user';
      if (otherUser && a.user.name === otherUser.name && a.user.password === otherUser.password) return 'other';
      return 'nobody';
    }
    if (a.kind === 'x-auth-token' || a.kind === 'macaroon' || a.kind === 'bearer') {
      if (this.#known.user.has(a.token)) return 'user';
      if (this.#known.other.has(a.token)) return 'other';
    }
    return 'nobody';
  }
}
