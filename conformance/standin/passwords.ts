import { createHmac, randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Salted scrypt password hashes. The cost is N = 2^12 (about 15 ms a hash here) rather than Node's 2^14:
 * these are public test passwords on a loopback stand-in, the point is to store and verify them the way
 * a real server does, and a full run makes ~60 Basic requests that must stay well under a second.
 * Successful verifications are also cached, keyed by an HMAC under a per-process random key, so that the
 * cache never holds a password, and repeated good logins cost one HMAC.
 */
const SCRYPT = { N: 1 << 12, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

export interface PasswordHash {
  salt: string; // hex
  hash: string; // hex
  N: number;
}

export function hashPassword(password: string): PasswordHash {
  const salt = randomBytes(16);
  return {
    salt: salt.toString('hex'),
    hash: scryptSync(password, salt, KEY_LENGTH, SCRYPT).toString('hex'),
    N: SCRYPT.N,
  };
}

/** A hash of nothing, so that an unknown user costs as much as a known one (no user enumeration by timing). */
const DUMMY = hashPassword(randomBytes(16).toString('hex'));

/** The libuv thread pool form: a burst of wrong passwords must not stall every other request (issue 13 #15). */
function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

export class PasswordVerifier {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Set<string>();

  async verify(name: string, password: string, stored: PasswordHash | undefined): Promise<boolean> {
    const fingerprint = createHmac('sha256', this.cacheKey).update(`${name}\0${password}`).digest('hex');
    if (stored !== undefined && this.verified.has(fingerprint + stored.salt)) return true;
    const h = stored ?? DUMMY;
    const computed = await scryptAsync(password, Buffer.from(h.salt, 'hex'), { ...SCRYPT, N: h.N });
    const ok = timingSafeEqual(computed, Buffer.from(h.hash, 'hex')) && stored !== undefined;
    if (ok) this.verified.add(fingerprint + h.salt);
    return ok;
  }
}
