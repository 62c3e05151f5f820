import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Caveat, Macaroon } from './types.js';

/**
 * The libmacaroons signature chain (MAC `macaroon_utils`), as oz-worker 17.06.2 computes it:
 * key = HMAC(`macaroons-key-generator` zero-padded to 32 bytes, secret); sig0 = HMAC(key, identifier);
 * each first-party caveat: sig = HMAC(sig, predicate). Because the chain only needs the previous
 * signature, anyone holding a token can add a caveat (attenuate) without knowing the secret.
 */
const KEY_GENERATOR = Buffer.alloc(32);
KEY_GENERATOR.write('macaroons-key-generator', 'ascii');

const hmac = (key: Uint8Array, data: Uint8Array | string): Buffer => createHmac('sha256', key).update(data).digest();

export const deriveKey = (secret: string): Buffer => hmac(KEY_GENERATOR, secret);

/** Third-party caveats chain over both vid and cid (libmacaroons `macaroon_hash2`). */
function chainCaveat(sig: Uint8Array, c: Caveat): Buffer {
  if (c.vid === undefined) return hmac(sig, c.cid);
  return hmac(sig, Buffer.concat([hmac(sig, c.vid), hmac(sig, c.cid)]));
}

function chain(secret: string, identifier: string, caveats: readonly Caveat[]): Buffer {
  let sig = hmac(deriveKey(secret), identifier);
  for (const c of caveats) sig = chainCaveat(sig, c);
  return sig;
}

export function mintToken(o: { location: string; identifier: string; secret: string; caveats?: string[] }): Macaroon {
  const caveats = (o.caveats ?? []).map((cid) => ({ cid }));
  return {
    location: o.location,
    identifier: o.identifier,
    caveats,
    signature: new Uint8Array(chain(o.secret, o.identifier, caveats)),
  };
}

/** Attenuation without the secret: returns a new macaroon, the input is left untouched. */
export function addFirstPartyCaveat(m: Macaroon, predicate: string): Macaroon {
  return {
    location: m.location,
    identifier: m.identifier,
    caveats: [...m.caveats, { cid: predicate }],
    signature: new Uint8Array(hmac(m.signature, predicate)),
  };
}

/**
 * True when the chain recomputed from `secret` matches and every first-party caveat is satisfied.
 * Third-party caveats need discharge macaroons, which Onezone's client tokens never carry: unsatisfied.
 * Every caveat is evaluated and the signature always compared, so the time taken does not say which failed.
 */
export function verifyToken(m: Macaroon, secret: string, satisfied: (predicate: string) => boolean): boolean {
  let allSatisfied = true;
  for (const c of m.caveats) if (c.vid !== undefined || !satisfied(c.cid)) allSatisfied = false;
  const expected = chain(secret, m.identifier, m.caveats);
  const sigOk = m.signature.length === expected.length && timingSafeEqual(expected, m.signature);
  return sigOk && allSatisfied;
}

/**
 * Attenuation with a third-party caveat (libmacaroons `add_third_party_caveat`): `vid` is what the third party's
 * discharge would be checked against. Without that discharge no verifier may accept the token, which is what
 * the runner's generated attacks rely on.
 */
export function addThirdPartyCaveat(m: Macaroon, c: { cid: string; vid: Uint8Array; cl: string }): Macaroon {
  const caveat: Caveat = { cid: c.cid, vid: c.vid, cl: c.cl };
  return {
    location: m.location,
    identifier: m.identifier,
    caveats: [...m.caveats, caveat],
    signature: new Uint8Array(chainCaveat(m.signature, caveat)),
  };
}
