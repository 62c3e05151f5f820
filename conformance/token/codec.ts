import { TokenFormatError } from './errors.js';
import { escape62, unescape62 } from './base62.js';
import type { Macaroon } from './types.js';
import { decodeV1, encodeV1 } from './v1.js';

/**
 * The wire form of a 17.06–19.02 client token: libmacaroons V1 packets, base64url without padding, then
 * the base62 escaping. We keep our own small codec on node:crypto rather than the `macaroon` npm package:
 * that package reads and writes the V2 binary and JSON formats, not the V1 packets Onezone 17.06 emits, and
 * adding it would need a network install for code that is a few dozen lines here.
 */

const BASE62_CHARSET = /^[A-Za-z0-9]+$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function serializeToken(m: Macaroon): string {
  return escape62(encodeV1(m).toString('base64url'));
}

/** Strict base64url: Buffer.from() silently skips bad characters, so we check the alphabet and round-trip. */
export function decodeBase64Url(s: string): Buffer {
  const unpadded = s.replace(/=+$/, '');
  if (!BASE64URL.test(unpadded)) {
    const bad = [...new Set(unpadded.replace(/[A-Za-z0-9_-]/g, ''))].join(' ');
    throw new TokenFormatError('T_BASE64', `not base64url: contains ${bad}`);
  }
  if (unpadded.length % 4 === 1)
    throw new TokenFormatError('T_BASE64', `not base64url: ${unpadded.length} characters cannot encode whole bytes`);
  const bytes = Buffer.from(unpadded, 'base64url');
  if (bytes.toString('base64url') !== unpadded)
    throw new TokenFormatError('T_BASE64', 'not canonical base64url: the last character has stray bits');
  return bytes;
}

export function parseToken(token: string): Macaroon {
  if (!BASE62_CHARSET.test(token)) {
    const bad = [...new Set(token.replace(/[A-Za-z0-9]/g, ''))].map((c) => JSON.stringify(c)).join(', ');
    throw new TokenFormatError(
      'T_CHARSET',
      token === '' ? 'the token is empty' : `characters outside [A-Za-z0-9]: ${bad} (a real token is base62-escaped)`,
    );
  }
  return decodeV1(decodeBase64Url(unescape62(token)));
}
