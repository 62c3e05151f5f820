/**
 * XML 1.0 cannot carry most C0 control characters at all, not even as character references, so they are
 * made visible (`\u001b`) instead of dropped: a response body with an escape sequence is evidence too.
 * Lone surrogates and U+FFFE/U+FFFF are equally illegal.
 */

const ILLEGAL_XML_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const visible = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

export const makeControlCharsVisible = (text: string): string => text.replace(ILLEGAL_XML_CHARS, visible);

/** Escapes text content (also safe inside attributes, where newlines and tabs are kept as references). */
export function escapeXml(text: string): string {
  return makeControlCharsVisible(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute values: parsers normalise raw newlines and tabs to spaces, so they are written as references. */
export const escapeXmlAttr = (text: string): string =>
  escapeXml(text).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
