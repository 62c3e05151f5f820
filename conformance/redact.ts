import { createHash } from 'node:crypto';

/**
 * Masks the run's secrets in everything that leaves the process (console, reports). It knows the secrets
 * the run was given or saw (passwords, `user:pass` in base64, every token) and, as a safety net for secrets it
 * was never told about, two generic patterns: Onedata tokens (`MDAx…`, the base62 form of a V1 macaroon's
 * first packet header) and long base64url runs.
 *
 * A token is replaced by `[REDACTED token #abcd1234]`: a short hash, not the token's last characters, because
 * any literal part of a signature helps an attacker while a hash still lets a reader see that two exchanges
 * used the same token.
 */
const ONEDATA_TOKEN = /MDAx[A-Za-z0-9]{20,}/g;
/**
 * Long runs of base64url characters: tokens in unescaped form, keys. Not `/`: URL paths are evidence and
 * would match (Basic values, which may contain `/`, are registered literally instead).
 */
const LONG_BASE64 = /[A-Za-z0-9_-]{40,}/g;
/** Secrets shorter than this are not masked literally: masking "ab" would shred every message. */
const MIN_SECRET_LENGTH = 4;

export const fingerprint = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 8);

/** A token-shaped run: base62, base64url. Registered tokens are looked up by run, not searched one by one. */
const RUN = /[A-Za-z0-9_-]{8,}/g;
const RUN_ONLY = /^[A-Za-z0-9_-]{8,}$/;

export class Redactor {
  /** Secrets searched literally (passwords, Basic values, odd tokens): few, so split/join is cheap. */
  readonly #literal = new Map<string, string>();
  /**
   * Token-shaped secrets, found by one pass over the text and a map lookup: a run against a 10,000-token
   * list registers 10,000 tokens, and searching each one through megabytes would take minutes.
   */
  readonly #runs = new Map<string, string>();

  /** Registers a password; its Basic encodings with any known user name are added by addCredentials. */
  addPassword(password: string): void {
    this.#add(password, '[REDACTED password]', false);
  }

  addCredentials(name: string, password: string): void {
    this.addPassword(password);
    this.#add(Buffer.from(`${name}:${password}`).toString('base64'), '[REDACTED basic]', false);
  }

  addToken(token: string): void {
    // Every list response re-registers its tokens: hashing 10,000 of them per response was the run's
    // largest cost with long lists, and the mask of a token never changes.
    if (this.#runs.has(token) || this.#literal.has(token)) return;
    this.#add(token, `[REDACTED token #${fingerprint(token)}]`, true);
  }

  /** Every secret registered so far. */
  secrets(): string[] {
    return [...this.#literal.keys(), ...this.#runs.keys()];
  }

  /**
   * The credentials (passwords, Basic values) for a final scrubber such as writeReports' secrets list. Not
   * the tokens: a 10,000-token run would make that scrubber search every file 10,000 times, and tokens are
   * caught by the Onedata pattern anyway.
   */
  credentials(): string[] {
    return [...this.#literal.keys()];
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so that a secret containing a shorter one is masked as a whole.
    for (const [secret, mask] of [...this.#literal].sort((a, b) => b[0].length - a[0].length)) {
      out = out.split(secret).join(mask);
    }
    if (this.#runs.size > 0) out = out.replace(RUN, (run) => this.#runs.get(run) ?? run);
    out = out.replace(ONEDATA_TOKEN, (t) => `[REDACTED token #${fingerprint(t)}]`);
    return out.replace(LONG_BASE64, (t) => `[REDACTED #${fingerprint(t)}]`);
  }

  #add(secret: string, mask: string, tokenLike: boolean): void {
    if (secret.length < MIN_SECRET_LENGTH) return;
    if (tokenLike && RUN_ONLY.test(secret)) this.#runs.set(secret, mask);
    else this.#literal.set(secret, mask);
  }
}

/** Header values that are credentials whatever they contain. */
const SECRET_HEADERS = new Set([
  'authorization',
  'x-auth-token',
  'macaroon',
  'discharge-macaroons',
  'cookie',
  'set-cookie',
]);

export function redactHeaders(headers: Record<string, string>, redactor: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!SECRET_HEADERS.has(lower)) {
      out[lower] = redactor.redact(value);
      continue;
    }
    // Keep the scheme of an Authorization header: whether Basic or Bearer was sent is evidence, not a secret.
    const scheme = lower === 'authorization' ? /^(\S+)\s/.exec(value)?.[1] : undefined;
    out[lower] = scheme ? `${scheme} [REDACTED]` : '[REDACTED]';
  }
  return out;
}
