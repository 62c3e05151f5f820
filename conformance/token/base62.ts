import { TokenFormatError } from './errors.js';

/**
 * Onedata's "base62" escaping (CT `token_utils:serialize62`): base64 output is made URL- and header-safe by
 * writing every `0 _ - / + =` as `0` followed by one digit. `0` itself must be escaped, otherwise the
 * escape marker would be ambiguous; that is why a real token starts `MDAxNWxvY2F00aW9u` (`…F0aW9u` with
 * its `0` doubled).
 */
const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['0', '00'],
  ['_', '01'],
  ['-', '02'],
  ['/', '03'],
  ['+', '04'],
  ['=', '05'],
]);

const UNESCAPES: ReadonlyMap<string, string> = new Map(
  [...ESCAPES].map(([plain, escaped]) => [escaped.charAt(1), plain]),
);

const ESCAPED_CHARS = /[0_\-/+=]/g;

export function escape62(b64url: string): string {
  return b64url.replace(ESCAPED_CHARS, (ch) => ESCAPES.get(ch) ?? ch);
}

/** Inverse of {@link escape62}. Throws `T_ESCAPE` on a `0` that starts no valid escape (also a final `0`). */
export function unescape62(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    if (ch !== '0') {
      out += ch;
      continue;
    }
    const code = s.charAt(i + 1);
    const plain = UNESCAPES.get(code);
    if (plain === undefined) {
      const what = code === '' ? 'the token ends with an unpaired 0' : `"0${code}" is not an escape`;
      throw new TokenFormatError(
        'T_ESCAPE',
        `invalid base62 escape at offset ${i}: ${what} (valid: 00 01 02 03 04 05)`,
      );
    }
    out += plain;
    i++;
  }
  return out;
}
