import type { Credentials } from '../../config.js';
import { isHarnessError, PreconditionError } from '../../errors.js';
import { basePathOf, isTokenForm, MIN_TOKEN_LENGTH, tokenPath } from '../../guard.js';
import type { HttpResponse } from '../../http.js';
import { fingerprint } from '../../redact.js';
import type { Exchange } from '../../report/types.js';
import { tokenSetOf } from '../list.js';
import { dateSeconds, postMintedAt, runSpan, type ListSnapshot } from './provenance.js';
import type { Auth } from '../types.js';
import { NotSent, type Wire } from './wire.js';

/** Whose token it is: the run's user or the other user. */
export type Owner = 'user' | 'other';

export interface Created {
  readonly res: HttpResponse;
  /** The new token, or undefined when the answer carried none. */
  readonly token: string | undefined;
}

/** What a check may do with the ledger (CheckContext.ledger). */
export interface LedgerView {
  /**
   * POSTs a new token for `who`; it is deleted at the end of the run unless a DELETE removed it first.
   * `handOn: true` makes it the token that `created()` gives to the checks that follow (lifecycle).
   */
  create(who: Owner, opts?: { readonly handOn?: boolean }): Promise<Created>;
  /** The token handed on by a create; PreconditionError P_STATE when none was. */
  created(): string;
  /** The target accepted a DELETE of `token`: the cleanup need not, and `deleted()` gives it on. */
  markDeleted(token: string): void;
  /** The token markDeleted last; PreconditionError P_STATE when none was. */
  deleted(): string;
  /** A token the run created and thought deleted is still there (listed or valid): the cleanup tries again. */
  markStillPresent(token: string): void;
}

export interface LedgerParts {
  readonly wire: Wire;
  readonly credentialsOf: (who: Owner) => Credentials | undefined;
  /** The base URL, for the DELETE an operator must send by hand when the cleanup could not. */
  readonly baseUrl: string;
}

export interface CleanupProblem {
  readonly code: string;
  readonly message: string;
}

export interface CleanupOptions {
  /** The whole cleanup ends by then; what is not removed by then is reported. Default 10 s. */
  readonly deadlineMs?: number;
  /** List again after the DELETEs to catch one the target ignored (default true; an interrupted run skips it). */
  readonly verify?: boolean;
}

/**
 * The tokens of a list answer, only when it is one beyond doubt (2xx, JSON, `tokens` an array): a set read
 * from anything less could make the cleanup take a user's own token for one the run created.
 */
function listedIn(res: HttpResponse): ReadonlySet<string> | undefined {
  const tokens = (res.json as { tokens?: unknown } | undefined)?.tokens;
  return res.status >= 200 && res.status < 300 && Array.isArray(tokens) ? tokenSetOf(res) : undefined;
}

/** A list answer beyond doubt with when it was read (its Date header and the local clock), for the cleanup. */
function snapshotOf(res: HttpResponse, sentAtMs: number): ListSnapshot | undefined {
  const tokens = listedIn(res);
  return tokens && { tokens, serverSeconds: dateSeconds(res.headers.date), sentAtMs, receivedAtMs: Date.now() };
}

/** Failures of a POST that leave open whether the target created the token (it may have, after we gave up). */
const NEVER_SENT = new Set(['E_UNSENDABLE', 'E_OUT_OF_SCOPE', 'E_USAGE']);
const DEFAULT_CLEANUP_DEADLINE_MS = 10_000;

/**
 * Every token the run created or may have created, whose it is, and which are still on the target. A creation
 * is written down before the POST is sent (an intent): when the POST's outcome is doubtful (a timeout, an
 * interrupt while it was in flight, an answer without a usable token), the cleanup lists the owner's tokens and
 * takes as the run's those that were not there before and that show, by their one `time <` caveat, that a POST
 * minted them while the run was creating: a list can lie, so being new to it proves nothing, and a token the run
 * cannot show to be its own is reported, never deleted. Whoever must forget what it knew of a user's list when
 * the list changes (the memoised facts) listens with onChange.
 */
export class TokenLedger {
  /** Every token the run created, with its owner. */
  readonly #owners = new Map<string, Owner>();
  /** Created and not (known to be) deleted: removed by cleanup(). */
  readonly #pending = new Map<string, Owner>();
  /**
   * Per owner, the tokens listed before the run's first POST for that owner (null: the list could not be read).
   * A token of a doubtful POST is one listed later that is neither in here nor created by the run.
   */
  readonly #before = new Map<Owner, ListSnapshot | null>();
  /** Per owner, POSTs whose outcome is unknown: the target may have created a token we cannot name. */
  readonly #doubtful = new Map<Owner, number>();
  readonly #createdListeners: Array<(token: string, who: Owner) => void> = [];
  readonly #changeListeners: Array<(who: Owner) => void> = [];
  #handedOn: string | undefined;
  #deleted: string | undefined;

  constructor(private readonly parts: LedgerParts) {}

  /** Told of every token created (to register it as a secret and as its owner's). */
  onCreated(listener: (token: string, who: Owner) => void): void {
    this.#createdListeners.push(listener);
  }

  /** Told whenever a user's list changed on the target. */
  onChange(listener: (who: Owner) => void): void {
    this.#changeListeners.push(listener);
  }

  /** Tokens created and not deleted, with their owners. */
  get pending(): ReadonlyMap<string, Owner> {
    return this.#pending;
  }

  async create(who: Owner, evidence: Exchange[], opts: { readonly handOn?: boolean } = {}): Promise<Created> {
    const creds = this.parts.credentialsOf(who);
    if (!creds) throw new PreconditionError('P_NO_BASIC', `no Basic credentials for the ${who} to create a token with`);
    // What was there before: without it a token of unknown outcome could not be told from the user's own.
    if (!this.#before.has(who)) {
      const sentAtMs = Date.now();
      const res = await this.parts.wire.send('GET', { kind: 'basic', user: creds }, { as: who }, []);
      this.#before.set(who, snapshotOf(res, sentAtMs) ?? null);
    }
    let res: HttpResponse;
    try {
      res = await this.parts.wire.send(
        'POST',
        { kind: 'basic', user: creds },
        { headers: { 'content-type': 'application/json' }, body: '{}', as: who },
        evidence,
      );
    } catch (e) {
      // Timed out, interrupted in flight, cut or reset: the target may still have created it.
      if (!(e instanceof NotSent) && !(isHarnessError(e) && NEVER_SENT.has(e.code))) this.#doubt(who);
      throw e;
    }
    const token = (res.json as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || !isTokenForm(token) || token.length < MIN_TOKEN_LENGTH) {
      // An answer that names no usable token: a 2xx or a 5xx may still have created one.
      if (res.status < 300 || res.status >= 500) this.#doubt(who);
      return { res, token: typeof token === 'string' ? token : undefined };
    }
    for (const l of this.#createdListeners) l(token, who);
    this.#owners.set(token, who);
    this.#pending.set(token, who);
    // Hand the token on even when the answer is wrong otherwise, so later checks still judge their own rule.
    if (opts.handOn) this.#handedOn = token;
    this.#changed(who);
    return { res, token };
  }

  created(): string {
    if (this.#handedOn === undefined)
      throw new PreconditionError('P_STATE', 'no token was created (see lifecycle-create)');
    return this.#handedOn;
  }

  markDeleted(token: string): void {
    this.#pending.delete(token);
    this.#deleted = token;
    const who = this.#owners.get(token);
    if (who) this.#changed(who);
  }

  deleted(): string {
    if (this.#deleted === undefined)
      throw new PreconditionError('P_STATE', 'no token was deleted (see lifecycle-delete)');
    return this.#deleted;
  }

  markStillPresent(token: string): void {
    // Only a token the run created goes back to the cleanup: whatever else a check saw, the run never deletes.
    const who = this.#owners.get(token);
    if (who !== undefined) this.#pending.set(token, who);
  }

  /**
   * Removes every token the run created and did not delete itself, also those of doubtful POSTs (found by
   * listing), and confirms by listing that the DELETEs took effect. Bounded by `deadlineMs`; returns one problem
   * per token it could not remove (with its fingerprint and the DELETE to send by hand), never throws.
   */
  async cleanup(opts: CleanupOptions = {}): Promise<CleanupProblem[]> {
    const problems: CleanupProblem[] = [];
    const owners = new Set<Owner>([...this.#pending.values(), ...this.#doubtful.keys()]);
    const work = Promise.all([...owners].map((who) => this.#cleanupOf(who, problems, opts.verify ?? true)));
    let timer: NodeJS.Timeout | undefined;
    const deadlineMs = opts.deadlineMs ?? DEFAULT_CLEANUP_DEADLINE_MS;
    const late = new Promise<'late'>(
      (r) =>
        (timer = setTimeout(() => {
          r('late');
        }, deadlineMs)),
    );
    const outcome = await Promise.race([work, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      // Whatever is still pending was not removed in time: say so, token by token.
      for (const [token, who] of this.#pending)
        problems.push(this.#leftBehind(token, who, `the cleanup ran out of its ${deadlineMs} ms`));
      for (const [who, n] of this.#doubtful)
        problems.push(this.#unknown(who, n, `the cleanup ran out of its ${deadlineMs} ms before it could list them`));
    }
    return problems;
  }

  async #cleanupOf(who: Owner, problems: CleanupProblem[], verify: boolean): Promise<void> {
    const creds = this.parts.credentialsOf(who);
    if (!creds) return;
    const doubtful = this.#doubtful.get(who) ?? 0;
    if (doubtful > 0) {
      this.#findDoubtful(who, creds, doubtful, await this.#list(who, creds), problems);
      this.#doubtful.delete(who);
    }
    const mine = [...this.#pending].filter(([, w]) => w === who).map(([t]) => t);
    const accepted: string[] = [];
    await Promise.all(
      mine.map(async (token) => {
        const path = tokenPath(token);
        if (path === undefined) {
          // The target chose a "token" that would steer the path (e.g. ../../user): never put it in a URL.
          problems.push(this.#leftBehind(token, who, 'it is not of token form, so it is not put in a path'));
          this.#pending.delete(token);
          return;
        }
        try {
          const res = await this.parts.wire.send(
            'DELETE',
            { kind: 'basic', user: creds },
            { path, as: who },
            [],
            true, // try even after the target stopped answering: leaving a token behind is worse
          );
          if (res.status < 300) accepted.push(token);
          else problems.push(this.#leftBehind(token, who, `the DELETE was answered: ${res.summary}`));
        } catch (e) {
          problems.push(this.#leftBehind(token, who, `the DELETE failed: ${(e as Error).message}`));
        }
      }),
    );
    if (!verify) for (const token of accepted) this.#pending.delete(token);
    if (accepted.length === 0 || !verify) return;
    // A DELETE answered 2xx that changed nothing is a target lying about it: the token is still usable. The
    // list may lie too (leave the token out), so a token it does not show must also fail to authenticate;
    // unless the target serves the list to anyone, when authenticating shows nothing.
    const after = await this.#list(who, creds);
    const unlisted: string[] = [];
    for (const token of accepted) {
      if (after?.tokens.has(token))
        problems.push(this.#leftBehind(token, who, 'the DELETE was accepted but the token is still listed'));
      else unlisted.push(token);
    }
    const probe = unlisted.length > 0 && !(await this.#answers({ kind: 'none' }, 'nobody'));
    await Promise.all(
      unlisted.map(async (token) => {
        if (probe && (await this.#answers({ kind: 'x-auth-token', token }, who)))
          problems.push(this.#leftBehind(token, who, 'the DELETE was accepted but the token still authenticates'));
        else this.#pending.delete(token);
      }),
    );
  }

  /**
   * After POSTs of unknown outcome: takes as the run's the tokens new to the owner's list that show they were
   * minted by a POST during the run, and reports the rest (and any POST none of them accounts for).
   */
  #findDoubtful(
    who: Owner,
    creds: Credentials,
    doubtful: number,
    after: ListSnapshot | undefined,
    problems: CleanupProblem[],
  ): void {
    const before = this.#before.get(who);
    if (after === undefined || !before) {
      problems.push(this.#unknown(who, doubtful, `the list ${after ? 'before the POST' : 'now'} could not be read`));
      return;
    }
    const fresh = [...after.tokens].filter((t) => !before.tokens.has(t) && !this.#owners.has(t));
    const prints = (ts: readonly string[]): string => ts.map((t) => '#' + fingerprint(t)).join(', ');
    if (fresh.length > doubtful) {
      problems.push({
        code: 'E_CLEANUP',
        message:
          `${fresh.length} tokens of ${creds.name} appeared during the run, but only ${doubtful} POST(s) of the ` +
          `run may have created them; none was deleted, as the run cannot tell its own from others (tokens ` +
          `${prints(fresh)}): ${this.#byHand(creds)}`,
      });
      return;
    }
    const span = runSpan(before, after);
    const proven = fresh.filter((t) => {
      const at = postMintedAt(t);
      return span !== undefined && at !== undefined && at >= span.from && at <= span.to;
    });
    for (const t of proven) {
      this.#owners.set(t, who);
      this.#pending.set(t, who);
    }
    const unproven = fresh.filter((t) => !proven.includes(t));
    if (unproven.length > 0) {
      const why =
        span === undefined
          ? "the list answers carry no Date header that agrees with the run's clock, so no token can be dated"
          : 'they do not carry the one `time <` caveat of a POST made while the run was creating';
      problems.push({
        code: 'E_CLEANUP',
        message:
          `${unproven.length} token(s) of ${creds.name} are new to the list after ${doubtful} POST(s) of unknown ` +
          `outcome, but ${why}; none of them was deleted, as the list alone does not prove whose they are (tokens ` +
          `${prints(unproven)}): if one is the run's, ${this.#byHand(creds)}`,
      });
    }
    if (fresh.length < doubtful)
      problems.push(
        this.#unknown(
          who,
          doubtful - fresh.length,
          'no new token is listed for it (the target created none, or its list does not show it)',
        ),
      );
  }

  /** The owner's listed tokens (Basic) at cleanup time, or undefined when the list cannot be read. */
  async #list(who: Owner, creds: Credentials): Promise<ListSnapshot | undefined> {
    const sentAtMs = Date.now();
    try {
      const res = await this.parts.wire.send('GET', { kind: 'basic', user: creds }, { as: who }, [], true);
      return snapshotOf(res, sentAtMs);
    } catch {
      return undefined;
    }
  }

  /** True when the list is served (2xx) to `auth`; false when refused or when no answer came. */
  async #answers(auth: Auth, as: Owner | 'nobody'): Promise<boolean> {
    try {
      const res = await this.parts.wire.send('GET', auth, { as }, [], true);
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  }

  #doubt(who: Owner): void {
    this.#doubtful.set(who, (this.#doubtful.get(who) ?? 0) + 1);
  }

  #byHand(creds: Credentials): string {
    const path = basePathOf(this.parts.baseUrl);
    return `list them with GET ${path}/user/client_tokens as ${creds.name} and remove each with DELETE ${path}/user/client_tokens/<token>`;
  }

  #leftBehind(token: string, who: Owner, why: string): CleanupProblem {
    const name = this.parts.credentialsOf(who)?.name ?? who;
    const path = basePathOf(this.parts.baseUrl);
    return {
      code: 'E_CLEANUP',
      message:
        `a token the run created was not removed (${why}): remove it by hand with DELETE ` +
        `${path}/user/client_tokens/<the token of ${name} with fingerprint ${fingerprint(token)}>`,
    };
  }

  #unknown(who: Owner, n: number, why: string): CleanupProblem {
    const creds = this.parts.credentialsOf(who);
    return {
      code: 'E_CLEANUP',
      message:
        `${n} POST(s) for ${creds?.name ?? who} ended without a usable answer, so the target may have created ` +
        `a token the run cannot name, and ${why}: ${creds ? this.#byHand(creds) : 'check the tokens by hand'}`,
    };
  }

  #changed(who: Owner): void {
    for (const l of this.#changeListeners) l(who);
  }
}
