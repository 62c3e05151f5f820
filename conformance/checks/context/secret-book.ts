import type { Credentials } from '../../config.js';
import { bodyKey, type ResponseBody } from '../../http.js';
import { SecretSpellings, type Redactor } from '../../redact.js';
import type { Auth } from '../types.js';

/**
 * A password of a few characters would be "found" in any body by chance; such a password cannot be told apart
 * from noise, so it is masked where it can be but not searched for (see secrets-no-password).
 */
const MIN_SEARCHED_PASSWORD = 6;

/**
 * The secrets of one conformance run: every one is registered with the redactor before anything that might
 * carry it is recorded, and the given users' passwords long enough to search for are kept for
 * secrets-no-password. The wrong passwords checks send are masked, not searched in every answer: one may be
 * the server's own words ("password"); secrets-no-password looks for each in the answer to its own request.
 */
export class SecretBook {
  /** The given users' passwords, searched together: one pass over a text, however many there are. */
  readonly #search = new SecretSpellings();
  /**
   * Per distinct body, the passwords found in it and how many passwords there were when it was searched: a body
   * is searched once, and again only after a password was added.
   */
  readonly #inBody = bodyKey<{ searched: number; hits: readonly number[] }>('secret-book:passwords-in-body');

  constructor(readonly redactor: Redactor) {}

  /** Registers a user's real credentials: masked, and searched in every answer. */
  addCredentials(c: Credentials): void {
    this.redactor.addCredentials(c.name, c.password);
    if (c.password.length >= MIN_SEARCHED_PASSWORD) this.#search.add(c.password, '[REDACTED password]');
  }

  addToken(token: string): void {
    this.redactor.addToken(token);
  }

  /** Registers whatever secret a request's authentication carries. */
  addAuth(auth: Auth): void {
    if (auth.kind === 'basic') this.redactor.addCredentials(auth.user.name, auth.user.password);
    else if (auth.kind === 'x-auth-token' || auth.kind === 'macaroon' || auth.kind === 'bearer')
      this.addToken(auth.token);
  }

  /**
   * Indexes (in the order registered) of the given passwords that occur in a response, in any spelling (JSON escapes, URL
   * or HTML encoding, base64, hex, or a long half of it): in its body, searched for each password once however
   * many answers carry the same bytes (a password registered later is searched when first asked), or in
   * `others` (its headers).
   */
  passwordHits(body: ResponseBody, others: readonly string[]): number[] {
    const known = body.derive(this.#inBody, () => ({ searched: -1, hits: [] }));
    if (known.searched < this.#search.size) {
      known.searched = this.#search.size;
      known.hits = this.#hitsIn([body.text]);
    }
    return [...new Set([...known.hits, ...this.#hitsIn(others)])].sort((a, b) => a - b);
  }

  #hitsIn(texts: readonly string[]): number[] {
    const hit = new Set<number>();
    for (const t of texts) for (const h of this.#search.find(t)) hit.add(h.secret);
    return [...hit];
  }
}
