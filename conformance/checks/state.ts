import { expect } from 'chai';
import type { Credentials } from '../config.js';
import { HarnessError, PreconditionError } from '../errors.js';
import { HttpFailure, type HttpClient, type HttpRequest, type HttpResponse } from '../http.js';
import type { Profile } from '../profiles.js';
import { checkWellFormed } from '../token/index.js';
import type { Redactor } from '../redact.js';
import type { Exchange } from '../report/types.js';
import type { Schemas } from './schemas.js';
import type { Auth, CheckContext, Principal, RequestOptions, TokenList } from './types.js';

export const LIST_PATH = '/user/client_tokens';
const MIN_SEARCHED_PASSWORD = 6;
/** Transport failures after which the target is taken as gone for the rest of the run. */
const STOPPED_ANSWERING = new Set(['E_TIMEOUT', 'E_CONNECT', 'E_TLS']);

/** One response of the run, as the secrets and error-body checks need it. Kept in memory only. */
export interface LoggedResponse {
  readonly auth: Auth;
  readonly as: Principal | undefined;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Token-like strings (quoted, 40+ token characters) found in the body. */
  readonly found: readonly string[];
  /** Passwords (by index into RunState.passwords) the response contained. */
  readonly passwordHits: readonly number[];
  /** The raw body of error responses (status >= 400); lists are not kept, they may be megabytes. */
  readonly errorBody?: string;
  readonly exchange: Exchange;
  readonly summary: string;
}

/** What the checks need to know of a listed token: well formed or why not, and its caveat ids. */
export type TokenFacts = { ok: true; caveats: readonly string[] } | { ok: false; reason: string };

export interface RunStateOptions {
  readonly baseUrl: string;
  readonly http: HttpClient;
  readonly redactor: Redactor;
  readonly profile: Profile;
  readonly schemas: Schemas;
  readonly user?: Credentials;
  readonly otherUser?: Credentials;
  readonly token?: string;
  readonly allowWrites: boolean;
}

const TOKEN_LIKE = /"([A-Za-z0-9_\-+/=]{40,})"|(MDAx[A-Za-z0-9]{20,})/g;
/** TOKEN_LIKE's two halves for a JSON string already parsed: the whole string, or Onedata tokens inside it. */
const WHOLE_TOKEN_LIKE = /^[A-Za-z0-9_\-+/=]{40,}$/;
const ONEDATA_INSIDE = /MDAx[A-Za-z0-9]{20,}/g;

const basicHeader = (c: Credentials): string => 'Basic ' + Buffer.from(`${c.name}:${c.password}`).toString('base64');

function authHeaders(auth: Auth): Record<string, string> {
  switch (auth.kind) {
    case 'none':
      return {};
    case 'basic':
      return { authorization: basicHeader(auth.user) };
    case 'authorization':
      return { authorization: auth.value };
    case 'x-auth-token':
      return { 'x-auth-token': auth.token };
    case 'macaroon':
      return { macaroon: auth.token };
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
  }
}

/** Reads `{"tokens": [...]}` leniently: the shape checks judge the shape, this only needs the strings. */
export function tokensOf(res: HttpResponse): string[] {
  const tokens = (res.json as { tokens?: unknown } | undefined)?.tokens;
  return Array.isArray(tokens) ? tokens.filter((t): t is string => typeof t === 'string') : [];
}

/**
 * Per-run state shared by the checks: memoised facts (the lists, the token to use), what the lifecycle
 * checks created, and the log of every response. Created fresh for each run; nothing here is module-global.
 */
export class RunState {
  readonly log: LoggedResponse[] = [];
  /** Every password sent in the run, including deliberately wrong ones. */
  readonly passwords: string[] = [];
  /** Tokens the run knows to belong to each user (listed, created or given). */
  readonly known = { user: new Set<string>(), other: new Set<string>() };
  /** Tokens this run created and has not yet deleted, with their owner: removed by cleanup(). */
  readonly pending = new Map<string, 'user' | 'other'>();
  /** Set by lifecycle-create for the checks that follow it. */
  created: string | undefined;
  /** Set by lifecycle-delete when the target accepted the DELETE. */
  deleted: string | undefined;

  readonly #memo = new Map<string, Promise<unknown>>();
  #unreachable: HarnessError | undefined;
  readonly #interned = new Map<string, string>();
  readonly #tokenFacts = new Map<string, TokenFacts>();

  constructor(readonly opts: RunStateOptions) {
    if (opts.user) this.#notePassword(opts.user);
    if (opts.otherUser) this.#notePassword(opts.otherUser);
    if (opts.token) {
      opts.redactor.addToken(opts.token);
      this.known.user.add(opts.token);
    }
  }

  /**
   * Sends one request, records the redacted exchange in `sink` and the response in the run's log.
   * Once the target has stopped answering (timeout, refused, TLS), later requests fail at once with the same
   * code instead of each waiting out its own timeout: a dead target ends the run within about two timeouts.
   */
  async send(method: string, auth: Auth, opts: RequestOptions, sink: Exchange[], force = false): Promise<HttpResponse> {
    if (this.#unreachable && !force) {
      throw new HarnessError(
        this.#unreachable.code,
        `not sent, the target stopped answering: ${this.#unreachable.message}`,
      );
    }
    this.#registerSecrets(auth);
    const req: HttpRequest = {
      method,
      url: this.opts.baseUrl + (opts.path ?? LIST_PATH),
      headers: { ...authHeaders(auth), ...opts.headers },
      ...(opts.body !== undefined && { body: opts.body }),
    };
    let found: string[] = [];
    let passwordHits: number[] = [];
    try {
      const res = await this.opts.http.send(req, (_req, raw) => {
        // Runs before the exchange is recorded, so every token seen is masked in its own exchange too.
        found = 'json' in raw ? this.#tokensInJson(raw.json) : this.#tokensIn(raw.bodyText);
        for (const t of found) this.opts.redactor.addToken(t);
        const texts = [raw.bodyText, ...Object.values(raw.headers)];
        passwordHits = this.passwords.flatMap((p, i) => (texts.some((t) => t.includes(p)) ? [i] : []));
      });
      sink.push(res.exchange);
      this.log.push({
        auth,
        as: opts.as,
        status: res.status,
        headers: res.headers,
        found,
        passwordHits,
        ...(res.status >= 400 && { errorBody: res.bodyText }),
        exchange: res.exchange,
        summary: res.summary,
      });
      return res;
    } catch (e) {
      if (e instanceof HttpFailure) {
        sink.push(e.exchange);
        if (STOPPED_ANSWERING.has(e.code)) this.#unreachable ??= e;
      }
      throw e;
    }
  }

  /**
   * checkWellFormed's verdict and the caveats, decoded once per distinct token for the run: with a 10,000-token
   * list several checks judge the same tokens. Only these facts are kept, not the decoded macaroons, whose
   * buffers would make the run's memory grow with the list.
   */
  tokenFacts(token: string): TokenFacts {
    let facts = this.#tokenFacts.get(token);
    if (facts === undefined) {
      const wf = checkWellFormed(token);
      facts = wf.ok ? { ok: true, caveats: wf.macaroon.caveats.map((c) => c.cid) } : wf;
      this.#tokenFacts.set(token, facts);
    }
    return facts;
  }

  memo<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.#memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.#memo.set(key, p);
    }
    return p;
  }

  /** Whose response this was, judged with everything the run has learnt (see Principal). */
  principalOf(entry: LoggedResponse): Principal {
    if (entry.status >= 400) return 'nobody';
    if (entry.as) return entry.as;
    const a = entry.auth;
    const { user, otherUser } = this.opts;
    if (a.kind === 'basic') {
      if (user && a.user.name === user.name && a.user.password === user.password) return 'user';
      if (otherUser && a.user.name === otherUser.name && a.user.password === otherUser.password) return 'other';
      return 'nobody';
    }
    if (a.kind === 'x-auth-token' || a.kind === 'macaroon' || a.kind === 'bearer') {
      if (this.known.user.has(a.token)) return 'user';
      if (this.known.other.has(a.token)) return 'other';
    }
    return 'nobody';
  }

  /** POSTs a new token for `who` and remembers it for cleanup. */
  async createToken(
    who: 'user' | 'other',
    sink: Exchange[],
  ): Promise<{ res: HttpResponse; token: string | undefined }> {
    const creds = who === 'user' ? this.opts.user : this.opts.otherUser;
    if (!creds) throw new PreconditionError('P_NO_BASIC', `no Basic credentials for the ${who} to create a token with`);
    const res = await this.send(
      'POST',
      { kind: 'basic', user: creds },
      { headers: { 'content-type': 'application/json' }, body: '{}', as: who },
      sink,
    );
    const token = (res.json as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string') return { res, token: undefined };
    this.opts.redactor.addToken(token);
    this.known[who].add(token);
    this.pending.set(token, who);
    // The memoised list no longer matches the target: the next reader fetches it again.
    this.#memo.delete(`${who}-list`);
    this.#memo.delete(`${who}-list-response`);
    return { res, token };
  }

  /** Deletes every token the run created and did not delete itself. Returns the problems, never throws. */
  async cleanup(): Promise<Array<{ code: string; message: string }>> {
    const problems: Array<{ code: string; message: string }> = [];
    await Promise.all(
      [...this.pending].map(async ([token, who]) => {
        const creds = who === 'user' ? this.opts.user : this.opts.otherUser;
        if (!creds) return;
        try {
          const res = await this.send(
            'DELETE',
            { kind: 'basic', user: creds },
            { path: `${LIST_PATH}/${token}`, as: who },
            [],
            true, // try even after the target stopped answering: leaving a token behind is worse
          );
          if (res.status < 300) this.pending.delete(token);
          else
            problems.push({ code: 'E_CLEANUP', message: `could not delete a token the run created: ${res.summary}` });
        } catch (e) {
          problems.push({
            code: (e as { code?: string }).code ?? 'E_INTERNAL',
            message: `cleanup: ${(e as Error).message}`,
          });
        }
      }),
    );
    return problems;
  }

  /** A CheckContext whose requests record their exchanges into `sink` (the check's evidence). */
  contextFor(sink: Exchange[], notes: string[] = []): CheckContext {
    const attach = <T extends { res: { readonly exchange: Exchange } }>(v: T): T => {
      if (!sink.includes(v.res.exchange)) sink.push(v.res.exchange);
      return v;
    };
    const requireUser = (): Credentials => {
      if (!this.opts.user) throw new PreconditionError('P_NO_BASIC', 'needs --user NAME:PASSWORD');
      return this.opts.user;
    };
    return {
      profile: this.opts.profile,
      schemas: this.opts.schemas,
      user: this.opts.user,
      otherUser: this.opts.otherUser,
      allowWrites: this.opts.allowWrites,
      run: this,
      requireUser,
      attach: (res) => void attach({ res }),
      note: (text) => void notes.push(text),
      get: (auth, opts = {}) => this.send('GET', auth, opts, sink),
      send: (method, auth, opts = {}) => this.send(method, auth, opts, sink),
      listResponse: async (who = 'user') => attach({ res: await this.listResponse(who) }).res,
      userList: async () => attach(await this.#userList()),
      otherList: async () => attach(await this.#otherList()),
      token: () => this.#token(sink),
    };
  }

  /** The response to the first GET of `who`'s list (Basic, or --token without --user); read once per run. */
  listResponse(who: 'user' | 'other'): Promise<HttpResponse> {
    return this.memo(`${who}-list-response`, async () => {
      const { user, token, otherUser } = this.opts;
      let auth: Auth;
      if (who === 'other') {
        if (!otherUser) throw new PreconditionError('P_NO_OTHER_USER', 'needs --other-user NAME:PASSWORD');
        auth = { kind: 'basic', user: otherUser };
      } else if (user) auth = { kind: 'basic', user };
      else if (token) auth = { kind: 'x-auth-token', token };
      else throw new PreconditionError('P_NO_BASIC', 'needs --user or --token to read the list');
      return this.send('GET', auth, { as: who }, []);
    });
  }

  #userList(): Promise<TokenList> {
    return this.memo('user-list', () => this.#readList('user'));
  }

  #otherList(): Promise<TokenList> {
    return this.memo('other-list', () => this.#readList('other'));
  }

  async #readList(who: 'user' | 'other'): Promise<TokenList> {
    const res = await this.listResponse(who);
    if (res.status !== 200) {
      // Facts other checks build on: a list that cannot be read makes them inapplicable, not failed.
      throw new PreconditionError('P_STATE', `the ${who}'s list could not be read: ${res.summary}`);
    }
    const tokens = tokensOf(res);
    for (const t of tokens) this.known[who].add(t);
    return { res, tokens };
  }

  #token(sink: Exchange[]): Promise<string> {
    return this.memo('token', async () => {
      if (this.opts.token) return this.opts.token;
      const { tokens } = await this.#userList();
      const first = tokens[0];
      if (first !== undefined) return first;
      if (!this.opts.allowWrites) {
        throw new PreconditionError('P_NO_TOKEN', 'the user has no tokens; give --token or --allow-writes');
      }
      const { res, token } = await this.createToken('user', sink);
      expect(token, `could not create a token to authenticate with: ${res.summary}`).to.be.a('string');
      return token as string;
    });
  }

  #notePassword(c: Credentials): void {
    this.opts.redactor.addCredentials(c.name, c.password);
    // A password of a few characters would be "found" in any body by chance; such a password cannot be
    // told apart from noise, so it is masked where it can be but not searched for (see secrets-no-password).
    if (c.password.length >= MIN_SEARCHED_PASSWORD && !this.passwords.includes(c.password))
      this.passwords.push(c.password);
  }

  #registerSecrets(auth: Auth): void {
    if (auth.kind === 'basic') this.#notePassword(auth.user);
    else if (auth.kind === 'x-auth-token' || auth.kind === 'macaroon' || auth.kind === 'bearer')
      this.opts.redactor.addToken(auth.token);
  }

  #tokensIn(body: string): string[] {
    const out: string[] = [];
    for (const m of body.matchAll(TOKEN_LIKE)) {
      const t = m[1] ?? m[2];
      if (t !== undefined) out.push(this.#intern(t));
    }
    return out;
  }

  /**
   * The same search as #tokensIn, over the strings (keys and values) of a parsed body: a quoted token-like run
   * in JSON text is exactly a string that is one whole, and a 10,000-token list is walked in one pass with
   * no regex over its megabytes. Differs from the text search only for strings with JSON escapes inside.
   */
  #tokensInJson(json: unknown): string[] {
    const out: string[] = [];
    const visit = (s: string): void => {
      if (WHOLE_TOKEN_LIKE.test(s)) out.push(this.#intern(s));
      else if (s.includes('MDAx')) for (const m of s.matchAll(ONEDATA_INSIDE)) out.push(this.#intern(m[0]));
    };
    // A stack, not recursion: a hostile target may nest arrays deeper than the call stack goes.
    const pending: unknown[] = [json];
    while (pending.length > 0) {
      const v = pending.pop();
      if (typeof v === 'string') visit(v);
      else if (Array.isArray(v))
        for (let i = v.length - 1; i >= 0; i--) {
          const item: unknown = v[i];
          // A listed token is swapped for the run's one copy (equal strings), so the fresh copy this
          // response's parse made dies young instead of being carried through the garbage collector.
          if (typeof item === 'string' && this.#interned.has(item)) v[i] = this.#interned.get(item);
          pending.push(v[i]);
        }
      else if (v !== null && typeof v === 'object') {
        const entries = Object.entries(v);
        for (let i = entries.length - 1; i >= 0; i--) {
          const [k, item] = entries[i] as [string, unknown];
          pending.push(item, k);
        }
      }
    }
    return out;
  }

  /** One copy of each token string for the whole run, however many responses carry it. */
  #intern(t: string): string {
    const interned = this.#interned.get(t);
    if (interned !== undefined) return interned;
    this.#interned.set(t, t);
    return t;
  }
}
