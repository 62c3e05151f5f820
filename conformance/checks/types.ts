import type { GeneratedRun } from '../attacks/budget.js';
import type { Credentials } from '../config.js';
import type { HttpResponse } from '../http.js';
import type { Capability, Profile } from '../profiles.js';
import type { Exchange, Level } from '../report/types.js';
import type { ExchangeLogView } from './context/exchange-log.js';
import type { FactKey, TokenFacts } from './context/facts.js';
import type { LedgerView } from './context/ledger.js';
import type { Schemas } from './schemas.js';

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
export type Requester = 'user' | 'other' | 'nobody';

export interface RequestOptions {
  /** Path below the base URL; default `/user/client_tokens`. */
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whose response it is; a function when only the answer tells (a request carrying two users' credentials). */
  readonly as?: Requester | ((res: HttpResponse) => Requester);
}

/** A token list read from the target, with the response that carried it. */
export interface TokenList {
  readonly res: HttpResponse;
  readonly tokens: readonly string[];
}

/** Preconditions a check states as data; the runner skips the check with a reason when one is not met. */
/** `generated`: the check draws generated cases, so `--depth 0` skips it (P_DEPTH). */
export type Requirement = Capability | 'writes' | 'other-user' | 'basic' | 'generated';

export type Category = 'authentication' | 'tokens' | 'shape' | 'http' | 'isolation' | 'lifecycle' | 'secrets';

/** Sends requests whose exchanges become someone's evidence (a check's, or a shared fact's). */
export interface Sender {
  /** GET the list (or `opts.path`) with the given credentials. */
  get(auth: Auth, opts?: RequestOptions): Promise<HttpResponse>;
  send(method: string, auth: Auth, opts?: RequestOptions): Promise<HttpResponse>;
}

/**
 * What a check gets: small named capabilities, each recording its evidence into the check's result. `R` is
 * what the check `requires`; the runner has made sure of it, so `requires: ['basic']` gives a `user`.
 */
export type CheckContext<R extends Requirement = never> = ContextCapabilities &
  ('basic' extends R ? { readonly user: Credentials } : unknown) &
  ('other-user' extends R ? { readonly otherUser: Credentials } : unknown);

/** The capabilities every check gets, whatever it requires. */
export interface ContextCapabilities extends Sender {
  readonly profile: Profile;
  readonly schemas: Schemas;
  readonly allowWrites: boolean;
  /** Basic credentials of the user: declare `requires: ['basic']` to be given them for certain. */
  readonly user: Credentials | undefined;
  /** Basic credentials of the other user: declare `requires: ['other-user']` to be given them for certain. */
  readonly otherUser: Credentials | undefined;
  /** The raw response to the first GET of a user's list (read once per run), whatever its status. */
  listResponse(who?: 'user' | 'other'): Promise<HttpResponse>;
  /** The user's list, read once with Basic (or the given token when no user was given); P_STATE if not 200. */
  userList(): Promise<TokenList>;
  /** The other user's list, read once with Basic; P_STATE if not 200. */
  otherList(): Promise<TokenList>;
  /**
   * The user's token to authenticate with: --token, else a listed one whose caveats allow REST now, confirmed
   * by authenticating, else one created (with writes), else P_NO_TOKEN. The check's message says which and why.
   */
  token(): Promise<string>;
  /** The same for the other user (never --token); P_NO_OTHER_USER without --other-user. */
  otherToken(): Promise<string>;
  /**
   * Requests NOT added to this check's evidence (still in the run's log, so the secrets checks search them):
   * for checks that send many requests; attach the ones that show a failure with `attach(res)`.
   */
  readonly unrecorded: Sender;
  /** The tokens the run created: create one, hand it on to later checks, say it was deleted. */
  readonly ledger: LedgerView;
  /** Every response of the run so far (read-only), for checks that judge the whole run. */
  readonly log: ExchangeLogView;
  /**
   * Registers a secret the check made itself (e.g. an attenuated token, a generated wrong password) before it is
   * sent, so that it is masked everywhere; returns it. `derived`: a wrong password made from a real one, masked
   * like a password from 4 characters on (Redactor.addDerivedPassword).
   */
  secret(value: string, kind?: 'token' | 'password' | 'derived'): string;
  /**
   * Sends like `get`/`send` (logged for the checks that judge the run) without making the exchange this check's
   * evidence: the generated checks send thousands and attach only the one that shows a failure.
   */
  readonly quiet: Sender;
  /** Seed, depth and running tally of the generated checks (conformance/attacks). */
  readonly generated: GeneratedRun;
  /** Well-formedness and caveats of a token, decoded once per run. */
  tokenFacts(token: string): TokenFacts;
  /**
   * A fact read once for the whole run and shared by the checks that ask for it by the same key (e.g. the
   * answers two checks judge). Its requests go through `sender`; their exchanges become every reader's evidence.
   */
  shared<T>(key: FactKey<T>, make: (sender: Sender) => Promise<T>): Promise<T>;
  /** A remark for the report's message when the check passes (e.g. that a sample was taken). */
  note(text: string): void;
  /** Adds a response read elsewhere (e.g. a logged one) to this check's evidence. */
  attach(res: { readonly exchange: Exchange }): void;
}

export interface CheckDefinition<R extends Requirement = Requirement> {
  /** Stable and frozen: kebab-case, never re-used with another meaning. */
  readonly id: string;
  readonly level: Level;
  /** Present tense, no "should". */
  readonly title: string;
  readonly category: Category;
  readonly specRef: string;
  readonly requires?: readonly R[];
  /**
   * IDs of earlier checks whose passing this one builds on (e.g. a token they created): when one of them did
   * not pass, this check is skipped with P_DEPENDENCY instead of repeating or misreading its failure.
   */
  readonly dependsOn?: readonly string[];
  /**
   * Judges every response of the run (the exchange log) and makes no request of its own: the runner runs
   * such checks after all the others, whatever their place in the registry.
   */
  readonly judgesTheRun?: true;
  /** Resolves when the rule holds; rejects with chai's AssertionError when it does not. */
  run(ctx: CheckContext<R>): Promise<void>;
}

/** Checks are data: this only freezes the definition and keeps the type in one place. */
export const defineCheck = <const R extends Requirement = never>(def: CheckDefinition<R>): CheckDefinition =>
  Object.freeze(def);
