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

/** A `0` and the one UTF-16 unit after it, whatever it is (a line break too), or none at the end. */
const ESCAPE_PAIR = /0([\s\S]?)/g;

/** Inverse of {@link escape62}. Throws `T_ESCAPE` on a `0` that starts no valid escape (also a final `0`). */
export function unescape62(s: string): string {
  // One replace, not a string grown a character at a time: each `+=` was a string node of its own, kilobytes of
  // garbage per token, and a run decodes every token of a 100,000-token list. The pattern pairs each `0` with
  // the character after it, left to right, as a reader of the escapes does.
  return s.replace(ESCAPE_PAIR, (_pair, code: string, offset: number) => {
    const plain = UNESCAPES.get(code);
    if (plain === undefined) {
      const what = code === '' ? 'the token ends with an unpaired 0' : `"0${code}" is not an escape`;
      throw new TokenFormatError(
        'T_ESCAPE',
        `invalid base62 escape at offset ${offset}: ${what} (valid: 00 01 02 03 04 05)`,
      );
    }
    return plain;
  });
}
