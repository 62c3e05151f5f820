import type { Credentials } from '../../config.js';
import { findSecretSpellings, type Redactor } from '../../redact.js';
import type { Auth } from '../types.js';

/**
 * A password of a few characters would be "found" in any body by chance; such a password cannot be told apart
 * from noise, so it is masked where it can be but not searched for (see secrets-no-password).
 */
const MIN_SEARCHED_PASSWORD = 6;

/**
 * The secrets of one conformance run: every one is registered with the redactor before anything that might
 * carry it is recorded, and the passwords long enough to search for are kept for secrets-no-password.
 */
export class SecretBook {
  readonly #passwords: string[] = [];

  constructor(readonly redactor: Redactor) {}

  /** Every searchable password sent in the run, including deliberately wrong ones. */
  get passwords(): readonly string[] {
    return this.#passwords;
  }

  addCredentials(c: Credentials): void {
    this.redactor.addCredentials(c.name, c.password);
    if (c.password.length >= MIN_SEARCHED_PASSWORD && !this.#passwords.includes(c.password))
      this.#passwords.push(c.password);
  }

  addToken(token: string): void {
    this.redactor.addToken(token);
  }

  /** Registers whatever secret a request's authentication carries. */
  addAuth(auth: Auth): void {
    if (auth.kind === 'basic') this.addCredentials(auth.user);
    else if (auth.kind === 'x-auth-token' || auth.kind === 'macaroon' || auth.kind === 'bearer')
      this.addToken(auth.token);
  }

  /**
   * Indexes (into `passwords`) of the passwords that occur in any of the texts, in any spelling: JSON
   * escapes, URL or HTML encoding, base64, hex, or a long half of it.
   */
  passwordHits(texts: readonly string[]): number[] {
    return this.#passwords.flatMap((p, i) => (texts.some((t) => findSecretSpellings(t, p).length > 0) ? [i] : []));
  }
}
