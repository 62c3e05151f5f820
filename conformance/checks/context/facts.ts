import type { Exchange } from '../../report/types.js';
import { checkWellFormed } from '../../token/index.js';
import type { Owner } from './ledger.js';

/**
 * The key of a memoised fact: compared by identity, so two modules cannot collide on a name, and typed, so
 * the value read is the value made. `readsListOf` says whose list the fact was read from: when the ledger
 * reports that list changed (a token created or deleted), the fact is forgotten and read again when next asked.
 */
export interface FactKey<T> {
  readonly name: string;
  readonly readsListOf?: Owner;
  /** Only carries T; never set. */
  readonly _type?: T;
}

export const factKey = <T>(name: string, readsListOf?: Owner): FactKey<T> =>
  Object.freeze({ name, ...(readsListOf && { readsListOf }) });

interface Memo {
  readonly value: Promise<unknown>;
  /** The exchanges the fact was read with: evidence of every check that uses it. */
  readonly evidence: Exchange[];
}

/**
 * Facts read once and shared by the checks (the users' lists, the token to use, answers two checks judge).
 * Each reader gets the fact's exchanges as its own evidence, also when reading it failed.
 */
export class FactStore {
  readonly #memos = new Map<FactKey<unknown>, Memo>();

  /** Forgets every fact read from `who`'s list (the ledger calls this when the list changes). */
  invalidateListOf(who: Owner): void {
    for (const key of [...this.#memos.keys()]) if (key.readsListOf === who) this.#memos.delete(key);
  }

  async get<T>(key: FactKey<T>, make: (evidence: Exchange[]) => Promise<T>, reader: Exchange[]): Promise<T> {
    let memo = this.#memos.get(key);
    if (!memo) {
      const evidence: Exchange[] = [];
      memo = { value: make(evidence), evidence };
      this.#memos.set(key, memo);
    }
    try {
      return (await memo.value) as T;
    } finally {
      for (const x of memo.evidence) if (!reader.includes(x)) reader.push(x);
    }
  }
}

/** What the checks need to know of a listed token: well formed or why not, and its caveat ids. */
export type TokenFacts = { ok: true; caveats: readonly string[] } | { ok: false; reason: string };

/**
 * checkWellFormed's verdict and the caveats, decoded once per distinct token for the run: with a 10,000-token
 * list several checks judge the same tokens. Only these facts are kept, not the decoded macaroons, whose
 * buffers would make the run's memory grow with the list; and tokens with the same caveats (most of a long
 * list) share one frozen facts object, so that 100,000 tokens cost a map entry each, not three objects.
 */
const SHARED_FACTS_LIMIT = 4096;

export class TokenFactsCache {
  readonly #facts = new Map<string, TokenFacts>();
  readonly #shared = new Map<string, TokenFacts>();

  of(token: string): TokenFacts {
    let facts = this.#facts.get(token);
    if (facts === undefined) {
      const wf = checkWellFormed(token);
      facts = wf.ok ? this.#sharedFacts(wf.macaroon.caveats.map((c) => c.cid)) : wf;
      this.#facts.set(token, facts);
    }
    return facts;
  }

  #sharedFacts(caveats: string[]): TokenFacts {
    // JSON, not a join: a caveat id may hold any character, the separator too.
    const key = JSON.stringify(caveats);
    let facts = this.#shared.get(key);
    if (facts === undefined) {
      facts = Object.freeze({ ok: true as const, caveats: Object.freeze(caveats) });
      // Bounded: a list whose every token has its own caveats would otherwise keep each one twice.
      if (this.#shared.size < SHARED_FACTS_LIMIT) this.#shared.set(key, facts);
    }
    return facts;
  }
}
