import type { Credentials } from '../../config.js';
import { PreconditionError } from '../../errors.js';
import { tokenPath } from '../../guard.js';
import type { HttpResponse } from '../../http.js';
import type { Exchange } from '../../report/types.js';
import type { Wire } from './wire.js';

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
  /** A token thought deleted is still there (listed or valid): the cleanup must try again. */
  markStillPresent(token: string): void;
}

export interface LedgerParts {
  readonly wire: Wire;
  readonly credentialsOf: (who: Owner) => Credentials | undefined;
}

export interface CleanupProblem {
  readonly code: string;
  readonly message: string;
}

/**
 * Every token the run created, whose it is, and which are still on the target. Whoever must forget what it
 * knew of a user's list when the list changes (the memoised facts) listens with onChange.
 */
export class TokenLedger {
  /** Every token the run created, with its owner. */
  readonly #owners = new Map<string, Owner>();
  /** Created and not (known to be) deleted: removed by cleanup(). */
  readonly #pending = new Map<string, Owner>();
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
    const res = await this.parts.wire.send(
      'POST',
      { kind: 'basic', user: creds },
      { headers: { 'content-type': 'application/json' }, body: '{}', as: who },
      evidence,
    );
    const token = (res.json as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string') return { res, token: undefined };
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
    this.#pending.set(token, this.#owners.get(token) ?? 'user');
  }

  /** Deletes every token the run created and did not delete itself. Returns the problems, never throws. */
  async cleanup(): Promise<CleanupProblem[]> {
    const problems: CleanupProblem[] = [];
    await Promise.all(
      [...this.#pending].map(async ([token, who]) => {
        const creds = this.parts.credentialsOf(who);
        if (!creds) return;
        const path = tokenPath(token);
        if (path === undefined) {
          // The target chose a "token" that would steer the path (e.g. ../../user): never put it in a URL.
          problems.push({
            code: 'E_CLEANUP',
            message: 'the target answered the POST with a token that is not of token form; it was not deleted',
          });
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
          if (res.status < 300) this.#pending.delete(token);
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

  #changed(who: Owner): void {
    for (const l of this.#changeListeners) l(who);
  }
}
