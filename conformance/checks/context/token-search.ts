import { onedataTokensIn } from '../onedata-token.js';

/**
 * Finds token-like strings in response bodies, for redaction and for secrets-no-foreign-token, and keeps one
 * copy of each token string for the whole run however many responses carry it.
 */

/** A quoted run of 40+ token characters; Onedata tokens anywhere are found by decoding (onedata-token.ts). */
const QUOTED_TOKEN_LIKE = /"([A-Za-z0-9_\-+/=]{40,})"/g;
/** The same for a JSON string already parsed: the whole string. */
const WHOLE_TOKEN_LIKE = /^[A-Za-z0-9_\-+/=]{40,}$/;

/**
 * A string of its own, not a slice or a match of a larger text that it would keep alive (V8 makes substrings
 * of 13 or more characters views of their text). Token-like strings are ASCII, which latin1 carries unchanged.
 */
const ownCopy = (t: string): string => Buffer.from(t, 'latin1').toString('latin1');

export class TokenSearch {
  readonly #interned = new Map<string, string>();
  /**
   * The body (http.ts ResponseBody) whose strings the interned tokens may be slices of: its text lives as long
   * as they do anyway, so it is kept whole, and an answer with the same bytes finds it read (no second copy).
   */
  #lender: object | undefined;

  /** Token-like strings (quoted, 40+ token characters) and Onedata tokens anywhere, in a body that is not JSON. */
  inText(body: string): string[] {
    const out: string[] = [];
    for (const m of body.matchAll(QUOTED_TOKEN_LIKE)) if (m[1] !== undefined) out.push(this.#intern(m[1]));
    // A set beside the array, not out.includes: a text body with 100,000 tokens would make that quadratic.
    const seen = new Set(out);
    for (const t of onedataTokensIn(body))
      if (!seen.has(t)) {
        seen.add(t);
        out.push(this.#intern(t));
      }
    return out;
  }

  /**
   * The same search as inText, over the strings (keys and values) of a parsed body: a quoted token-like run
   * in JSON text is exactly a string that is one whole, and a 10,000-token list is walked in one pass with
   * no regex over its megabytes. Differs from the text search only for strings with JSON escapes inside.
   */
  inJson(json: unknown, body?: object): string[] {
    const out: string[] = [];
    // The first body with tokens lends its strings to the run: they may be slices of its text (http.ts reads a
    // plain list that way), which the text then outlives. Tokens first seen later are copied, so that no later
    // body is kept alive for the sake of one new token.
    const borrow = this.#interned.size === 0;
    const visit = (s: string): void => {
      if (WHOLE_TOKEN_LIKE.test(s)) out.push(this.#intern(s, borrow));
      else for (const t of onedataTokensIn(s)) out.push(this.#intern(t, borrow));
    };
    // A stack, not recursion: a hostile target may nest arrays deeper than the call stack goes.
    const pending: unknown[] = [json];
    while (pending.length > 0) {
      const v = pending.pop();
      if (typeof v === 'string') visit(v);
      else if (Array.isArray(v) && v.every((item) => typeof item === 'string'))
        // A list: its strings in order, as the stack would give them, without stacking 100,000 of them.
        for (let i = 0; i < v.length; i++) {
          const item = v[i] as string;
          const interned = this.#interned.get(item);
          if (interned !== undefined) v[i] = interned;
          visit(v[i] as string);
        }
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
    if (borrow && out.length > 0) this.#lender = body;
    return out;
  }

  #intern(t: string, borrow = false): string {
    const interned = this.#interned.get(t);
    if (interned !== undefined) return interned;
    const own = borrow ? t : ownCopy(t);
    this.#interned.set(own, own);
    return own;
  }
}
