import type { Credentials } from '../config.js';
import type { HttpResponse } from '../http.js';
import type { Capability, Profile } from '../profiles.js';
import type { Exchange, Level } from '../report/types.js';
import type { Schemas } from './schemas.js';
import type { RunState } from './state.js';

/** How a request authenticates. `authorization` sends a raw header value (malformed Basic, other schemes). */
export type Auth =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly user: Credentials }
  | { readonly kind: 'authorization'; readonly value: string }
  | { readonly kind: 'x-auth-token' | 'macaroon' | 'bearer'; readonly token: string };

/**
 * Whose request it is, for the secrets checks: `user` and `other` when the credentials are valid ones of
 * that user, `nobody` for no or invalid credentials. When omitted it is derived from the credentials.
 */
export type Principal = 'user' | 'other' | 'nobody';

export interface RequestOptions {
  /** Path below the base URL; default `/user/client_tokens`. */
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly as?: Principal;
}

/** A token list read from the target, with the response that carried it. */
export interface TokenList {
  readonly res: HttpResponse;
  readonly tokens: readonly string[];
}

/** Preconditions a check states as data; the runner skips the check with a reason when one is not met. */
export type Requirement = Capability | 'writes' | 'other-user' | 'basic';

export type Category = 'authentication' | 'tokens' | 'shape' | 'http' | 'isolation' | 'lifecycle' | 'secrets';

/** What a check gets: request helpers that record evidence, memoised facts of the run, and the expectations. */
export interface CheckContext {
  readonly profile: Profile;
  readonly schemas: Schemas;
  readonly user: Credentials | undefined;
  readonly otherUser: Credentials | undefined;
  readonly allowWrites: boolean;
  /** GET the list (or `opts.path`) with the given credentials. */
  get(auth: Auth, opts?: RequestOptions): Promise<HttpResponse>;
  send(method: string, auth: Auth, opts?: RequestOptions): Promise<HttpResponse>;
  /** The raw response to the first GET of a user's list (read once per run), whatever its status. */
  listResponse(who?: 'user' | 'other'): Promise<HttpResponse>;
  /** The user's list, read once per run with Basic (or the given token when no user was given). */
  userList(): Promise<TokenList>;
  /** The other user's list, read once per run with Basic. */
  otherList(): Promise<TokenList>;
  /** The user's token to authenticate with: --token, else the first listed, else one created (with writes). */
  token(): Promise<string>;
  /** A remark for the report's message when the check passes (e.g. that a sample was taken). */
  note(text: string): void;
  /** Adds a response read elsewhere (a memoised fact) to this check's evidence. */
  attach(res: { readonly exchange: Exchange }): void;
  /** Basic credentials of the user, or PreconditionError P_NO_BASIC. */
  requireUser(): Credentials;
  /** The run's shared state: the response log, known tokens, what lifecycle created. */
  readonly run: RunState;
}

export interface CheckDefinition {
  /** Stable and frozen: kebab-case, never re-used with another meaning. */
  readonly id: string;
  readonly level: Level;
  /** Present tense, no "should". */
  readonly title: string;
  readonly category: Category;
  readonly specRef: string;
  readonly requires?: readonly Requirement[];
  /** Resolves when the rule holds; rejects with chai's AssertionError when it does not. */
  run(ctx: CheckContext): Promise<void>;
}

/** Checks are data: this only freezes the definition and keeps the type in one place. */
export const defineCheck = (def: CheckDefinition): CheckDefinition => Object.freeze(def);
