import { bodyKey, type HttpResponse } from '../http.js';

/** The operation's path below the base URL (the spec's `/user/client_tokens`). */
export const LIST_PATH = '/user/client_tokens';

const TOKENS = bodyKey<readonly string[]>('list:tokens');
const TOKEN_SET = bodyKey<ReadonlySet<string>>('list:token-set');

/**
 * Reads `{"tokens": [...]}` leniently: the shape checks judge the shape, this only needs the strings. Read once
 * per distinct body (the array is shared by every answer with the same bytes: never to be changed).
 */
export function tokensOf(res: Pick<HttpResponse, 'body'>): readonly string[] {
  return res.body.derive(TOKENS, (body) => {
    const tokens = (body.parsed.json as { tokens?: unknown } | undefined)?.tokens;
    if (!Array.isArray(tokens)) return [];
    // A list of strings only is its own answer: not a second array of 100,000 items per body.
    const strings: unknown[] = tokens;
    return strings.every((t): t is string => typeof t === 'string')
      ? strings
      : strings.filter((t): t is string => typeof t === 'string');
  });
}

/**
 * Body bytes the answers of requests in flight may carry together: each holds its whole body until it is read,
 * and eight 100,000-token lists (21 MB each) passed the run's cap on bodies read at once (E_BODY_TOO_LARGE)
 * and were most of its memory.
 */
const LIST_BYTES_IN_FLIGHT = 16 * 1024 * 1024;

/** How many requests that may each be answered with a list of `listChars` go at once: `most`, fewer for long lists. */
export const inFlightFor = (listChars: number, most: number): number =>
  Math.max(1, Math.min(most, Math.floor(LIST_BYTES_IN_FLIGHT / Math.max(1, listChars))));

/** tokensOf as a set (duplicates once), made once per distinct body. */
export function tokenSetOf(res: Pick<HttpResponse, 'body'>): ReadonlySet<string> {
  return res.body.derive(TOKEN_SET, () => new Set(tokensOf(res)));
}
