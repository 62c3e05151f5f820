import type { GeneratedRun } from '../../attacks/budget.js';
import type { Credentials } from '../../config.js';
import { PreconditionError } from '../../errors.js';
import type { HttpClient, HttpResponse } from '../../http.js';
import type { Profile } from '../../profiles.js';
import { fingerprint, type Redactor } from '../../redact.js';
import type { Exchange } from '../../report/types.js';
import { restObstacle } from '../caveats.js';
import { tokensOf } from '../list.js';
import type { Schemas } from '../schemas.js';
import type { Auth, CheckContext, ContextCapabilities, Requirement, Sender, TokenList } from '../types.js';
import { ExchangeLog } from './exchange-log.js';
import { factKey, FactStore, TokenFactsCache, type FactKey } from './facts.js';
import { TokenLedger, type CleanupOptions, type CleanupProblem, type Owner } from './ledger.js';
import { SecretBook } from './secret-book.js';
import { TokenSearch } from './token-search.js';
import { Wire } from './wire.js';

export interface SessionOptions {
  readonly baseUrl: string;
  readonly http: HttpClient;
  readonly redactor: Redactor;
  readonly profile: Profile;
  readonly schemas: Schemas;
  readonly user?: Credentials;
  readonly otherUser?: Credentials;
  readonly token?: string;
  readonly allowWrites: boolean;
  /** Seed, depth and tally of the generated checks (conformance/attacks); a fixed seed when absent. */
  readonly generated?: GeneratedRun;
}

const LIST_RESPONSE: Record<Owner, FactKey<HttpResponse>> = {
  user: factKey('list-response:user', 'user'),
  other: factKey('list-response:other', 'other'),
};
const LIST: Record<Owner, FactKey<TokenList>> = {
  user: factKey('list:user', 'user'),
  other: factKey('list:other', 'other'),
};
const TOKEN: Record<Owner, FactKey<TokenChoice>> = {
  user: factKey('token-to-use:user'),
  other: factKey('token-to-use:other'),
};

/** The token the run authenticates with, and why that one: said in the notes of the checks that use it. */
export interface TokenChoice {
  readonly token: string;
  readonly why: string;
}

/** Listed tokens that look usable but are rejected (revoked): how many to try before giving up on the list. */
const MAX_CONFIRMATIONS = 5;

/**
 * What the checks of one conformance run share, and nothing else: the wire to the target, the exchange log,
 * the memoised facts and the created-token ledger. A fresh one per run; nothing here is module-global.
 * Checks never see this object, only the CheckContext that contextFor() builds from it.
 */
export class CheckSession {
  readonly secrets: SecretBook;
  readonly log: ExchangeLog;
  readonly ledger: TokenLedger;
  readonly facts = new FactStore();
  readonly tokenFacts = new TokenFactsCache();
  readonly wire: Wire;
  readonly generated: GeneratedRun;

  constructor(readonly opts: SessionOptions) {
    this.generated = opts.generated ?? { seed: 1, depth: 'default', cases: 0 };
    this.secrets = new SecretBook(opts.redactor);
    this.log = new ExchangeLog(opts);
    this.wire = new Wire({
      baseUrl: opts.baseUrl,
      http: opts.http,
      secrets: this.secrets,
      search: new TokenSearch(),
      log: this.log,
    });
    this.ledger = new TokenLedger({
      wire: this.wire,
      credentialsOf: (who) => this.#credentialsOf(who),
      baseUrl: opts.baseUrl,
    });
    this.ledger.onCreated((token, who) => {
      this.secrets.addToken(token);
      this.log.addKnownToken(who, token);
    });
    this.ledger.onChange((who) => {
      this.facts.invalidateListOf(who);
    });
    if (opts.user) this.secrets.addCredentials(opts.user);
    if (opts.otherUser) this.secrets.addCredentials(opts.otherUser);
    if (opts.token) {
      this.secrets.addToken(opts.token);
      this.log.addKnownToken('user', opts.token);
    }
  }

  /** Deletes every token the run created and did not delete itself. Returns the problems, never throws. */
  cleanup(opts?: CleanupOptions): Promise<CleanupProblem[]> {
    return this.ledger.cleanup(opts);
  }

  /**
   * The context of one check: its requests and the facts it reads record into `evidence`, its notes into
   * `notes`, and what it stood on (which token, and why that one) into `basis`, which a failure names too. The requirements were checked by the runner; a missing user is still refused here, so that the
   * type's promise (`requires: ['basic']` gives a user) cannot be broken by a caller that skipped the check.
   */
  contextFor<R extends Requirement>(
    requires: readonly R[],
    evidence: Exchange[],
    notes: string[] = [],
    basis: string[] = notes,
  ): CheckContext<R> {
    const { user, otherUser } = this.opts;
    if ((requires as readonly Requirement[]).includes('basic') && !user)
      throw new PreconditionError('P_NO_BASIC', 'needs --user NAME:PASSWORD');
    if ((requires as readonly Requirement[]).includes('other-user') && !otherUser)
      throw new PreconditionError('P_NO_OTHER_USER', 'needs --other-user NAME:PASSWORD');
    const sender = this.#sender(evidence);
    const ctx: ContextCapabilities = {
      ...sender,
      profile: this.opts.profile,
      schemas: this.opts.schemas,
      allowWrites: this.opts.allowWrites,
      user,
      otherUser,
      listResponse: (who = 'user') =>
        this.facts.get(LIST_RESPONSE[who], (ev) => this.#readListResponse(who, ev), evidence),
      userList: () => this.#list('user', evidence),
      otherList: () => this.#list('other', evidence),
      token: async () => {
        const choice = await this.facts.get(TOKEN.user, (ev) => this.#tokenToUse('user', ev), evidence);
        if (!basis.includes(choice.why)) basis.push(choice.why);
        return choice.token;
      },
      otherToken: async () => {
        if (!otherUser) throw new PreconditionError('P_NO_OTHER_USER', 'needs --other-user NAME:PASSWORD');
        const choice = await this.facts.get(TOKEN.other, (ev) => this.#tokenToUse('other', ev), evidence);
        const why = `the other user: ${choice.why}`;
        if (!basis.includes(why)) basis.push(why);
        return choice.token;
      },
      unrecorded: this.#sender([]),
      ledger: {
        create: (who, opts) => this.ledger.create(who, evidence, opts),
        created: () => this.ledger.created(),
        markDeleted: (token) => {
          this.ledger.markDeleted(token);
        },
        deleted: () => this.ledger.deleted(),
        markStillPresent: (token) => {
          this.ledger.markStillPresent(token);
        },
      },
      log: this.log,
      secret: (value, kind = 'token') => {
        if (kind === 'token') this.secrets.addToken(value);
        else if (kind === 'derived') this.secrets.redactor.addDerivedPassword(value);
        else this.secrets.redactor.addPassword(value);
        return value;
      },
      quiet: this.#sender([]),
      generated: this.generated,
      tokenFacts: (token) => this.tokenFacts.of(token),
      shared: (key, make) => this.facts.get(key, (ev) => make(this.#sender(ev)), evidence),
      note: (text) => void notes.push(text),
      attach: (res) => {
        if (!evidence.includes(res.exchange)) evidence.push(res.exchange);
      },
    };
    // Sound: the checks above (and the runner's, before) make `user`/`otherUser` present when R names them.
    return ctx as CheckContext<R>;
  }

  #sender(evidence: Exchange[]): Sender {
    return {
      get: (auth, opts = {}) => this.wire.send('GET', auth, opts, evidence),
      send: (method, auth, opts = {}) => this.wire.send(method, auth, opts, evidence),
    };
  }

  #credentialsOf(who: Owner): Credentials | undefined {
    return who === 'user' ? this.opts.user : this.opts.otherUser;
  }

  /** The response to the first GET of `who`'s list (Basic, or --token without --user). */
  async #readListResponse(who: Owner, evidence: Exchange[]): Promise<HttpResponse> {
    const { user, token, otherUser } = this.opts;
    let auth: Auth;
    if (who === 'other') {
      if (!otherUser) throw new PreconditionError('P_NO_OTHER_USER', 'needs --other-user NAME:PASSWORD');
      auth = { kind: 'basic', user: otherUser };
    } else if (user) auth = { kind: 'basic', user };
    else if (token) auth = { kind: 'x-auth-token', token };
    else throw new PreconditionError('P_NO_BASIC', 'needs --user or --token to read the list');
    return this.wire.send('GET', auth, { as: who }, evidence);
  }

  #list(who: Owner, reader: Exchange[]): Promise<TokenList> {
    return this.facts.get(
      LIST[who],
      async (evidence) => {
        const res = await this.facts.get(LIST_RESPONSE[who], (ev) => this.#readListResponse(who, ev), evidence);
        if (res.status !== 200) {
          // Facts other checks build on: a list that cannot be read makes them inapplicable, not failed.
          throw new PreconditionError('P_STATE', `the ${who}'s list could not be read: ${res.summary}`);
        }
        const tokens = tokensOf(res);
        for (const t of tokens) this.log.addKnownToken(who, t);
        return { res, tokens };
      },
      reader,
    );
  }

  /**
   * The user's token to authenticate with. --token wins. Else a listed token whose caveats allow a REST request
   * now (real-server-2102.md §1.6: from 20.02 the list holds expired, revoked and caveated tokens, oldest
   * first), confirmed by authenticating with it; else, with --allow-writes, a token created for the run; else
   * the checks that need one are skipped, saying why.
   */
  async #tokenToUse(who: Owner, evidence: Exchange[]): Promise<TokenChoice> {
    if (who === 'user' && this.opts.token)
      return { token: this.opts.token, why: `authenticated with ${tokenName(this.opts.token)} (--token)` };
    const { tokens } = await this.#list(who, evidence);
    const now = Math.floor(Date.now() / 1000);
    const passedOver: string[] = [];
    const candidates: Array<{ token: string; position: number }> = [];
    for (const [i, token] of tokens.entries()) {
      const facts = this.tokenFacts.of(token);
      const obstacle = facts.ok ? restObstacle(facts.caveats, now) : undefined;
      if (obstacle) passedOver.push(obstacle.text);
      // Only the first few are tried: an object for each of 100,000 usable tokens was garbage.
      else if (candidates.length < MAX_CONFIRMATIONS) candidates.push({ token, position: i + 1 });
    }
    const rejected: string[] = [];
    for (const c of candidates.slice(0, MAX_CONFIRMATIONS)) {
      const res = await this.wire.send('GET', { kind: 'x-auth-token', token: c.token }, { as: who }, evidence);
      if (res.status === 200) {
        const skipped = [...summarise(passedOver), ...(rejected.length ? [`${rejected.length} rejected`] : [])];
        return {
          token: c.token,
          why:
            `authenticated with ${tokenName(c.token)}, listed #${c.position} of ${tokens.length}` +
            (skipped.length ? ` (passed over: ${skipped.join(', ')})` : ''),
        };
      }
      rejected.push(String(res.status));
    }
    const why =
      tokens.length === 0
        ? `the ${who === 'user' ? 'user' : 'other user'} has no tokens`
        : `no listed token of the ${who === 'user' ? 'user' : 'other user'} authenticates a REST request now (${[...summarise(passedOver), ...(rejected.length ? [`${rejected.length} rejected by the server (${[...new Set(rejected)].join(', ')}), e.g. revoked`] : [])].join(', ')})`;
    if (!this.opts.allowWrites) throw new PreconditionError('P_NO_TOKEN', `${why}; give --token or --allow-writes`);
    const { res, token } = await this.ledger.create(who, evidence);
    // Not this check's failure: the POST is judged by lifecycle-create; here it only means "cannot apply".
    if (token === undefined)
      throw new PreconditionError('P_NO_TOKEN', `${why}, and a token could not be created: ${res.summary}`);
    return { token, why: `authenticated with ${tokenName(token)}, created for the run: ${why}` };
  }
}

/** A token as the report may name it: the fingerprint its redaction mask shows, never a part of it. */
const tokenName = (token: string): string => `token #${fingerprint(token)}`;

/** `["expired at …", "expired at …", "interface = oneclient"]` → `["2 expired", "1 interface = oneclient"]`. */
function summarise(reasons: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const r of reasons) {
    const key = r.startsWith('expired at ') ? 'expired' : r;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} ${k}`);
}
