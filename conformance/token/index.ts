/**
 * Onedata client-token codec: base62 escaping, libmacaroons V1 packets, the HMAC-SHA256 chain and
 * attenuation. Used by the runner (well-formedness and attenuation checks) and by the stand-in (minting
 * and verification).
 */
import { decodeBase64Url, parseToken } from './codec.js';
import { TokenFormatError } from './errors.js';
import type { Macaroon } from './types.js';
import { decodeV1 } from './v1.js';

export type { Caveat, Macaroon } from './types.js';
export { TokenFormatError, type TokenErrorCode } from './errors.js';
export { escape62, unescape62 } from './base62.js';
export { parseToken, serializeToken } from './codec.js';
export { addFirstPartyCaveat, addThirdPartyCaveat, mintToken, verifyToken } from './hmac.js';

export type WellFormed = { ok: true; macaroon: Macaroon } | { ok: false; reason: string };

/**
 * Says whether a string has the shape of a token a 17.06–19.02 server emits, and if not, why. For a token
 * that is not base62-escaped (like the upstream doc example), it also says what the plain base64url
 * reading would have found, so the reader learns every defect at once.
 */
export function checkWellFormed(token: string): WellFormed {
  try {
    return { ok: true, macaroon: parseToken(token) };
  } catch (e) {
    if (!(e instanceof TokenFormatError)) throw e;
    return { ok: false, reason: e.code === 'T_CHARSET' ? `${e.message}; ${plainBase64Verdict(token)}` : e.message };
  }
}

function plainBase64Verdict(token: string): string {
  try {
    decodeV1(decodeBase64Url(token));
    return 'read as plain base64url it would decode to a macaroon';
  } catch (e) {
    if (!(e instanceof TokenFormatError)) throw e;
    return `read as plain base64url: ${e.message}`;
  }
}
