import type { HttpResponse } from '../http.js';

/** The operation's path below the base URL (the spec's `/user/client_tokens`). */
export const LIST_PATH = '/user/client_tokens';

/** Reads `{"tokens": [...]}` leniently: the shape checks judge the shape, this only needs the strings. */
export function tokensOf(res: HttpResponse): string[] {
  const tokens = (res.json as { tokens?: unknown } | undefined)?.tokens;
  return Array.isArray(tokens) ? tokens.filter((t): t is string => typeof t === 'string') : [];
}
