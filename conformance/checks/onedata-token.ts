import { unescape62 } from '../token/index.js';

/**
 * Recognising Onedata tokens in text by decoding, not by a fixed prefix. A serialized token is a base62-escaped
 * libmacaroons V1 macaroon whose first packet is `HHHHlocation <domain>\n` (HHHH: the packet length in hex).
 * Its base64 begins `MDA` for packets shorter than 256 bytes, and the fourth character depends on the length:
 * `MDAx…` only for 2–17-character domains (17.06/18.02's `location onezone`), `MDAy…` for 18–33 characters,
 * `MDAz…` for 34–49 and so on (real-server-2102.md §1.4). Candidates are found by that prefix and kept only
 * when their first packet decodes to a location.
 */

/** Candidate runs: the escaped form is alphanumeric only (base62), and the header is `00HH` or `0HHH`. */
const CANDIDATES = /MD[AB][A-Za-z0-9]{20,}/g;
/** Enough of the start to hold `HHHHlocation ` (13 bytes) once unescaped and decoded. */
const PREFIX_CHARS = 40;
const FIRST_PACKET = /^[0-9a-f]{4}location /;

/** True when `s` (a whole string) begins like a serialized Onedata token: its first packet is a location. */
export function isOnedataToken(s: string): boolean {
  if (!/^MD[AB][A-Za-z0-9]{20,}$/.test(s)) return false;
  let prefix = s.slice(0, PREFIX_CHARS);
  // Do not cut an escape pair (`0x`) in two: an odd run of trailing zeros ends in half an escape.
  const zeros = /0*$/.exec(prefix)?.[0].length ?? 0;
  if (zeros % 2 === 1) prefix = prefix.slice(0, -1);
  try {
    return FIRST_PACKET.test(Buffer.from(unescape62(prefix), 'base64url').toString('latin1'));
  } catch {
    return false;
  }
}

/** Every Onedata token inside a text (e.g. an error body), by the same decoding. */
export function onedataTokensIn(text: string): string[] {
  if (!text.includes('MD')) return [];
  return [...text.matchAll(CANDIDATES)].map((m) => m[0]).filter(isOnedataToken);
}
