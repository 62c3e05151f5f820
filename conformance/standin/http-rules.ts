/**
 * cowboy's routing and content negotiation as oz-worker uses them (real-server-behaviour.md §1).
 */

export const PREFIX = '/api/v3/onezone';

export type Route = { kind: 'collection' } | { kind: 'item'; tid: string } | { kind: 'configuration' };

/** cowboy_router:split_path/2: segments are percent-decoded; ONE trailing empty segment is dropped. */
export function matchRoute(rawUrl: string, withConfiguration: boolean): Route | undefined {
  const path = rawUrl.split('?')[0] ?? '';
  if (!path.startsWith(PREFIX + '/')) return undefined;
  const segments = path.slice(PREFIX.length + 1).split('/');
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return undefined; // cowboy answers 400 for a bad escape; no route is the closest harmless answer
  }
  if (decoded.includes('')) return undefined; // a double slash matches no route
  const [a, b, c, ...rest] = decoded;
  if (rest.length > 0) return undefined;
  if (a === 'user' && b === 'client_tokens') return c === undefined ? { kind: 'collection' } : { kind: 'item', tid: c };
  if (a === 'configuration' && b === undefined && withConfiguration) return { kind: 'configuration' };
  return undefined;
}

export const ALLOWED: Readonly<Record<Route['kind'], readonly string[]>> = {
  collection: ['GET', 'POST'],
  item: ['DELETE'],
  configuration: ['GET'],
};

/** rest_handler:binary_to_method/1 knows only these; anything else (HEAD, OPTIONS) crashes it: 500. */
export const KNOWN_METHODS: readonly string[] = ['POST', 'PUT', 'GET', 'PATCH', 'DELETE'];

export type AcceptVerdict = 'json' | 'unacceptable' | 'malformed';

/**
 * Does the Accept header admit `application/json` (the only type provided)? cowboy requires equal
 * parameter lists, so any parameter other than q (e.g. `; charset=utf-8`) makes a range unacceptable.
 */
export function negotiate(accept: string | undefined): AcceptVerdict {
  if (accept === undefined || accept.trim() === '') return 'json';
  for (const range of accept.split(',')) {
    const [mediaRaw, ...paramsRaw] = range.split(';');
    const media = (mediaRaw ?? '').trim().toLowerCase();
    const slash = media.indexOf('/');
    if (slash <= 0 || slash === media.length - 1) return 'malformed';
    const type = media.slice(0, slash);
    const subtype = media.slice(slash + 1);
    let q = 1;
    let otherParams = 0;
    for (const p of paramsRaw) {
      const [k, v] = p.split('=').map((s) => s.trim().toLowerCase());
      if (k === undefined || k === '' || v === undefined) return 'malformed';
      if (k === 'q') q = Number(v);
      else otherParams++;
    }
    const typeOk = type === '*' || type === 'application';
    const subOk = subtype === '*' || (subtype === 'json' && type !== '*');
    if (typeOk && subOk && otherParams === 0 && q > 0) return 'json';
  }
  return 'unacceptable';
}

/** 17.06.2 accepts exactly `application/json` (case-insensitive, no parameters) for a POST body. */
export function isExactJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return contentType.trim().toLowerCase() === 'application/json';
}

/**
 * cowboy's header limits, checked while parsing, before any route (cowboy 2.3+ cowboy_http: a value over
 * `max_header_value_length` 4096, a name over `max_header_name_length` 64 or more than `max_headers` 100 →
 * 431; cowboy 1 cowboy_protocol: 400). The answer is empty, without content-type, and closes the connection.
 * `rawHeaders` is node:http's flat [name, value, name, value, …] list.
 */
export function headerLimitStatus(rawHeaders: readonly string[], cowboyMajor: 1 | 2): number | undefined {
  const tooLarge = cowboyMajor === 1 ? 400 : 431;
  if (rawHeaders.length / 2 > 100) return tooLarge;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    const value = rawHeaders[i + 1] ?? '';
    // cowboy 1 answers an over-long name with 400, as every other header error.
    if (Buffer.byteLength(name) > 64) return tooLarge;
    if (Buffer.byteLength(value) > 4096) return tooLarge;
  }
  return undefined;
}
