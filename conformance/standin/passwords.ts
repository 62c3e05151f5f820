import { createHmac, pbkdf2, pbkdf2Sync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes stored and checked the way Onezone does it. From 19.02, oz-worker checks Basic credentials
 * itself (`basic_auth:authenticate/2`) against the user's stored hash with ctool's `onedata_passwords:verify/2`
 * (ctool `src/auth/onedata_passwords.erl`): PBKDF2-HMAC-SHA512, 2,048 iterations, a 32-byte random salt, a
 * 32-byte hash. 17.06 and 18.02 asked their Onepanel instead, whose storage oz-worker does not show; the
 * stand-in uses the same hash for every version.
 *
 * The same derivation, salt and hash sizes, at a quarter of the iterations (512, stored with each hash): these
 * are public test passwords on loopback, and a check then costs ~0.3 ms of CPU instead of ~1 ms, so that a
 * burst of wrong passwords is answered at well over 1,000 requests a second on two cores (issue 14) with the
 * HTTP work and the client on the same cores. Each hash runs on the libuv thread pool, never on the event
 * loop, so other requests are served meanwhile; an unknown user costs one hash too (no user enumeration by
 * timing). Successful checks are cached, keyed by an HMAC under a per-process random key so that the cache never
 * holds a password: a repeated good login costs one HMAC. Wrong passwords are never cached: a burst of distinct
 * wrong passwords is exactly what a rate benchmark sends.
 */
const PBKDF2 = { kdf: 'pbkdf2-sha512', iterations: 512, digest: 'sha512' } as const;
const SALT_LENGTH = 32;
const KEY_LENGTH = 32;

export interface Pbkdf2Hash {
  kdf: typeof PBKDF2.kdf;
  iterations: number;
  salt: string; // hex
  hash: string; // hex
}

/** The stand-in's earlier format (scrypt, cost N): still verified, so that an older data file keeps working. */
export interface ScryptHash {
  N: number;
  salt: string; // hex
  hash: string; // hex
}

export type PasswordHash = Pbkdf2Hash | ScryptHash;

export function isPasswordHash(x: unknown): x is PasswordHash {
  if (typeof x !== 'object' || x === null) return false;
  const h = x as Record<string, unknown>;
  if (typeof h['salt'] !== 'string' || typeof h['hash'] !== 'string') return false;
  return (h['kdf'] === PBKDF2.kdf && typeof h['iterations'] === 'number') || typeof h['N'] === 'number';
}

export function hashPassword(password: string): Pbkdf2Hash {
  const salt = randomBytes(SALT_LENGTH);
  return {
    kdf: PBKDF2.kdf,
    iterations: PBKDF2.iterations,
    salt: salt.toString('hex'),
    hash: pbkdf2Sync(password, salt, PBKDF2.iterations, KEY_LENGTH, PBKDF2.digest).toString('hex'),
  };
}

/** A hash of nothing, so that an unknown user costs as much as a known one (no user enumeration by timing). */
const DUMMY = hashPassword(randomBytes(16).toString('hex'));

/** The thread-pool form: a burst of wrong passwords must not stall every other request (issue 13 #15). */
function derive(password: string, h: PasswordHash): Promise<Buffer> {
  const salt = Buffer.from(h.salt, 'hex');
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, key: Buffer): void => {
      if (err) reject(err);
      else resolve(key);
    };
    if ('kdf' in h) pbkdf2(password, salt, h.iterations, KEY_LENGTH, PBKDF2.digest, done);
    else scrypt(password, salt, KEY_LENGTH, { N: h.N, r: 8, p: 1 }, done);
  });
}

export class PasswordVerifier {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Set<string>();

  async verify(name: string, password: string, stored: PasswordHash | undefined): Promise<boolean> {
    const fingerprint = createHmac('sha256', this.cacheKey).update(`${name}\0${password}`).digest('hex');
    if (stored !== undefined && this.verified.has(fingerprint + stored.salt)) return true;
    const h = stored ?? DUMMY;
    const computed = await derive(password, h);
    const expected = Buffer.from(h.hash, 'hex');
    const ok = expected.length === computed.length && timingSafeEqual(computed, expected) && stored !== undefined;
    if (ok) this.verified.add(fingerprint + h.salt);
    return ok;
  }
}
