/**
 * Why a string is not an Onedata token. The code, never the message, is what callers key on:
 * - `T_CHARSET`: a character outside `[A-Za-z0-9]` (a real server only emits base62-escaped tokens).
 * - `T_ESCAPE`: a `0` not followed by one of `0 1 2 3 4 5`.
 * - `T_BASE64`: the unescaped text is not canonical base64url.
 * - `T_PACKET`: the bytes do not split into libmacaroons V1 packets (`HHHH<key> <value>\n`).
 * - `T_FIELD`: packets in the wrong order, an unknown key, or location/identifier/signature missing.
 * - `T_SIGNATURE_LENGTH`: the signature is not 32 bytes (HMAC-SHA256).
 * - `T_TOO_LONG`: a field does not fit in a V1 packet (at most 0xffff bytes).
 */
export type TokenErrorCode =
  'T_CHARSET' | 'T_ESCAPE' | 'T_BASE64' | 'T_PACKET' | 'T_FIELD' | 'T_SIGNATURE_LENGTH' | 'T_TOO_LONG';

export class TokenFormatError extends Error {
  override readonly name = 'TokenFormatError';
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
  }
}
