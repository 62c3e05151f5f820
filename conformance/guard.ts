import { HarnessError } from './errors.js';

/**
 * What the runner lets a value chosen by the target do: nothing. Listed and created tokens go into header values
 * and into the DELETE path; a hostile target can choose them. So a token is put in a path only when it has the
 * form of a serialized Onedata token, path segments are encoded anyway, and the HTTP layer refuses any request
 * outside the operation's paths and any header value HTTP cannot carry, whoever built it.
 */

/**
 * A serialized token: Onedata escapes base64url into "base62" (`_` → `01`, `-` → `02`, ...), so every real
 * token of 17.06 to 21.02 is letters and digits only (real-server-behaviour.md §4); 17.06 also reads plain
 * base64url, so `_` and `-` are let through too. None of these characters can start a dot segment, a
 * separator, an escape, a query or a fragment, so such a string cannot steer the path it is put in.
 */
const TOKEN_FORM = /^[A-Za-z0-9_-]+$/;

export const isTokenForm = (token: string): boolean => TOKEN_FORM.test(token);

/**
 * Shorter than any serialized macaroon (they are 100+ characters): a "token" this short that a target hands
 * out is not taken as a secret, since masking it (and its halves) everywhere would deface the evidence.
 */
export const MIN_TOKEN_LENGTH = 32;

/** The path of one token below the base URL, or undefined when the token could steer it. */
export function tokenPath(token: string): string | undefined {
  return isTokenForm(token) ? `/user/client_tokens/${encodeURIComponent(token)}` : undefined;
}

/** The first character HTTP cannot carry in a header value (CR, LF, NUL, other controls, non-Latin-1). */
export function unsendableChar(value: string): string | undefined {
  return /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/u.exec(value)?.[0];
}

const describeChar = (c: string): string => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** --token as given: refused up front (never sent) when HTTP cannot carry it. Names the character, not the token. */
export function checkTokenArgument(token: string, what = '--token'): void {
  const c = unsendableChar(token);
  if (c !== undefined)
    throw new HarnessError(
      'E_USAGE',
      `${what} contains ${describeChar(c)}, which cannot be sent in an HTTP header; it was not sent (check for a ` +
        'line break or stray character copied with it)',
    );
}

/** Refuses a header whose value HTTP cannot carry; the value itself is not repeated (it may be a secret). */
export function checkHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    const c = unsendableChar(value);
    if (c !== undefined)
      throw new HarnessError('E_UNSENDABLE', `the ${name} header would contain ${describeChar(c)}; not sent`);
  }
}

/** The path of a base URL without its trailing slashes, as messages show it before `/user/client_tokens`. */
export const basePathOf = (base: string): string => new URL(base).pathname.replace(/\/+$/, '');

/**
 * The paths a run may request below `base`: the operation's `/user/client_tokens`, one token below it, and
 * `/configuration`, which version detection reads. Judged on the path as the server will resolve it: dot
 * segments removed (the URL parser does that, also for `%2e`), repeated slashes collapsed and unreserved
 * characters decoded, so that a path variant of the operation stays allowed and nothing else gets through.
 */
export function isOperationUrl(base: string, url: string): boolean {
  const b = new URL(base);
  const u = new URL(url);
  if (u.origin !== b.origin) return false;
  const prefix = b.pathname.replace(/\/+$/, '');
  if (!u.pathname.startsWith(prefix + '/')) return false;
  const rest = u.pathname
    .slice(prefix.length)
    .replace(/\/{2,}/g, '/')
    .replace(/%[0-9A-Fa-f]{2}/g, (e) => {
      const c = String.fromCharCode(parseInt(e.slice(1), 16));
      return /[A-Za-z0-9._~-]/.test(c) ? c : e.toUpperCase();
    })
    .toLowerCase();
  if (rest === '/configuration' || rest === '/user/client_tokens' || rest === '/user/client_tokens/') return true;
  const m = /^\/user\/client_tokens\/([^/]+)\/?$/.exec(rest);
  // One segment, not a dot segment, with no encoded slash or backslash that a decoding proxy would split at.
  const seg = m?.[1];
  return seg !== undefined && !/^\.{1,2}$/.test(seg) && !/%2F|%5C|\\/i.test(seg);
}

export function checkInScope(base: string, method: string, url: string): void {
  if (!isOperationUrl(base, url))
    throw new HarnessError(
      'E_OUT_OF_SCOPE',
      `${method} ${new URL(url).pathname} is outside the operation's paths; not sent`,
    );
}
