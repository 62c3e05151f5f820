import { connect } from 'node:tls';
import { tokensOf } from './checks/list.js';
import { onedataTokensIn } from './checks/onedata-token.js';
import type { CheckContext } from './checks/types.js';
import type { Credentials, RunConfig } from './config.js';
import { HarnessError, isHarnessError } from './errors.js';
import { basePathOf } from './guard.js';
import { HttpFailure, type HttpClient, type HttpResponse } from './http.js';

/**
 * Before anything is judged: is there a target that answers, does the base URL serve the operation, and do the
 * given credentials authenticate as the users they name? When not, the run ends with exit 2 and a hint: judging
 * would report the operator's mistake (a missing /api/v3/onezone, a wrong password, http:// to an HTTPS port)
 * as the server's non-conformance. Only definite answers stop the run; anything else is left to the checks.
 */

const API_PREFIX = '/api/v3/onezone';
/** Transport failures after which nothing at all can be judged. */
const UNREACHABLE = new Set(['E_CONNECT', 'E_TLS', 'E_TIMEOUT', 'E_UNAVAILABLE', 'E_RATE_LIMITED', 'E_PROTOCOL']);
/** Failures that an HTTPS server gives a plain-HTTP client (it closes, resets or answers in TLS). */
const PLAIN_TO_TLS = new Set(['E_PROTOCOL', 'E_TRUNCATED', 'E_CONNECT', 'E_RESET']);

const stop = (code: ConstructorParameters<typeof HarnessError>[0], message: string): HarnessError =>
  new HarnessError(code, `preflight: ${message}`);

/** One request nobody can object to, before version detection; a failure here means nothing can be judged. */
export async function preflightTarget(
  http: HttpClient,
  targetUrl: string,
  timeoutMs: number,
): Promise<HarnessError | undefined> {
  let res: HttpResponse | undefined;
  let failure: HarnessError | undefined;
  try {
    res = await http.send({ method: 'GET', url: `${targetUrl}/user/client_tokens` });
  } catch (e) {
    if (!isHarnessError(e)) throw e;
    failure = e;
  }
  const plainToTls =
    targetUrl.startsWith('http:') &&
    ((failure !== undefined && PLAIN_TO_TLS.has(failure.code)) || res?.status === 400) &&
    (await speaksTls(targetUrl, timeoutMs));
  if (plainToTls)
    return stop(
      'E_BASE_URL',
      `${new URL(targetUrl).host} speaks TLS, but the target is http://: use https:// (` +
        (failure ? `${failure.code}: ${failure.message}` : `it answered ${res?.status ?? ''}`) +
        ')',
    );
  if (failure && UNREACHABLE.has(failure.code)) return stop(failure.code, failure.message);
  if (res !== undefined && isRedirect(res)) return redirected(targetUrl, 'without credentials', res);
  if (res !== undefined && isWebPage(res)) {
    const path = basePathOf(targetUrl);
    return stop(
      'E_BASE_URL',
      `GET ${path}/user/client_tokens without credentials answers ${res.status} with a web page (text/html), ` +
        "not the zone's REST API: is the base URL that of the API (https://zone.example.org/api/v3/onezone), " +
        'with no login page or portal in front of it?',
    );
  }
  return undefined;
}

/**
 * A 2xx HTML page (a web GUI's fallback for any path, a portal) is not the operation answering: judging it would
 * call a wrong URL an authentication bypass. A page holding anything token-shaped is left to the checks: that
 * could be a leak.
 */
const isWebPage = (res: HttpResponse): boolean =>
  res.status >= 200 &&
  res.status < 300 &&
  /^text\/html\b/i.test(res.headers['content-type'] ?? '') &&
  onedataTokensIn(res.bodyText).length === 0;

const isRedirect = (res: HttpResponse): boolean => res.status >= 300 && res.status < 400 && res.status !== 304;

/**
 * A redirect is not followed (credentials would go wherever the target says), so every check would judge the
 * redirect instead of the operation: 20.02's port-80 listener sends http:// to https://, a proxy sends a
 * moved zone to its new name, a login page catches the API path. The Location is quoted only when it is a
 * plain http(s) URL.
 */
function redirected(targetUrl: string, who: string, res: HttpResponse): HarnessError {
  const path = basePathOf(targetUrl);
  const location = res.headers['location'];
  const url = location !== undefined && /^https?:\/\/[\x21-\x7e]{1,500}$/.test(location) ? location : undefined;
  const base = url?.replace(/\/user\/client_tokens\/?$/, '');
  const advice =
    base !== undefined && base !== url
      ? `use --target ${base}`
      : 'give the URL it redirects to as --target (the runner does not follow redirects: credentials would follow)';
  return stop(
    'E_BASE_URL',
    `GET ${path}/user/client_tokens ${who} answers ${res.status}` +
      (url !== undefined ? ` to ${url}` : ' (a redirect)') +
      `: the target redirects, so no check would reach the operation; ${advice}`,
  );
}

/** Whether a TLS handshake succeeds on the target's host and port (any certificate: this is only a hint). */
function speaksTls(targetUrl: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(targetUrl);
  return new Promise((resolve) => {
    const socket = connect({
      host: u.hostname,
      port: Number(u.port || 80),
      rejectUnauthorized: false,
      ...(!/^[\d.]+$|:/.test(u.hostname) && { servername: u.hostname }),
    });
    const done = (v: boolean): void => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(Math.min(timeoutMs, 5000), () => {
      done(false);
    });
    socket.once('secureConnect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

/** The most specific error id of an answer: 20.02+ nests the cause as `error.details.authError.id`. */
const errorId = (res: HttpResponse): string | undefined => {
  const e = (res.json as { error?: unknown } | undefined)?.error;
  if (typeof e !== 'object' || e === null) return undefined;
  const inner = (e as { details?: { authError?: { id?: unknown } } }).details?.authError?.id;
  const id = typeof inner === 'string' ? inner : (e as { id?: unknown }).id;
  // Quoted in a hint only when it is an error id, not whatever text the target put there.
  return typeof id === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(id) ? id : undefined;
};

/** What a rejection of Basic credentials most likely means, by the error id Onezone gives. */
function basicHint(res: HttpResponse): string {
  switch (errorId(res)) {
    case 'basicAuthNotSupported':
      return 'Basic authentication is disabled on this zone (basicAuthNotSupported): give --token instead';
    case 'userBlocked':
      return 'the user is blocked on this zone (userBlocked)';
    default:
      return 'check the name and password';
  }
}

/** The answer to a request with credentials, or undefined when it failed: the checks then report that failure. */
async function answer(p: Promise<HttpResponse>): Promise<HttpResponse | HarnessError | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof HttpFailure && (e.code === 'E_UNAVAILABLE' || e.code === 'E_RATE_LIMITED')) return e;
    if (isHarnessError(e)) return undefined;
    throw e;
  }
}

function notServed(targetUrl: string, who: string, res: HttpResponse): HarnessError {
  const path = basePathOf(targetUrl);
  const hint = /\/user\/client_tokens$/.test(path)
    ? `the base URL must end before /user/client_tokens (e.g. …${API_PREFIX})`
    : path.endsWith(API_PREFIX)
      ? 'check the base URL'
      : `is the base URL missing ${API_PREFIX}? (it is ${path || '/'})`;
  return stop(
    'E_BASE_URL',
    `GET ${path}/user/client_tokens with ${who} answers ${res.status}: the base URL does ` +
      `not serve the operation; ${hint}`,
  );
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((t) => sb.has(t));
};

/**
 * The given credentials, each read once with the requests the checks would send first (the user's and the other
 * user's list are memoised facts of the checks, so this costs one extra request, for --token).
 */
export async function preflightCredentials(
  ctx: Pick<CheckContext, 'listResponse' | 'get'>,
  config: Pick<RunConfig, 'user' | 'otherUser' | 'token'>,
  targetUrl: string,
): Promise<HarnessError | undefined> {
  const { user, otherUser, token } = config;
  if (user && otherUser && user.name === otherUser.name)
    return stop(
      'E_USAGE',
      `--other-user names the same user as --user (${user.name}); the isolation checks need a second user`,
    );
  const basicOf = (c: Credentials): string => `the Basic credentials of ${c.name}`;
  let userList: readonly string[] | undefined;
  for (const [who, creds] of [
    ['user', user],
    ['other', otherUser],
  ] as const) {
    if (!creds) continue;
    const res = await answer(ctx.listResponse(who));
    if (res instanceof HarnessError) return stop(res.code, res.message);
    if (res === undefined) continue;
    if (res.status === 404) return notServed(targetUrl, basicOf(creds), res);
    if (isRedirect(res)) return redirected(targetUrl, `with ${basicOf(creds)}`, res);
    if (res.status === 401 || res.status === 403)
      return stop(
        'E_CREDENTIALS',
        `${basicOf(creds)}${who === 'other' ? ' (--other-user)' : ''} are rejected (${res.status}${
          errorId(res) ? ' ' + (errorId(res) ?? '') : ''
        }): ${basicHint(res)}`,
      );
    if (who === 'user' && res.status === 200) userList = tokensOf(res);
  }
  if (token === undefined) return undefined;
  const res = await answer(ctx.get({ kind: 'x-auth-token', token }));
  if (res instanceof HarnessError) return stop(res.code, res.message);
  if (res === undefined) return undefined;
  if (res.status === 404 && !user) return notServed(targetUrl, 'the --token', res);
  if (isRedirect(res)) return redirected(targetUrl, 'with the --token', res);
  if (res.status === 401 || res.status === 403)
    return stop(
      'E_CREDENTIALS',
      `the --token is rejected (${res.status}${errorId(res) ? ' ' + (errorId(res) ?? '') : ''}): it may be ` +
        'expired, revoked, limited by a caveat, or of another zone',
    );
  // The same user's list by either credential; another list means the token is someone else's.
  if (res.status === 200 && user && userList !== undefined && !sameSet(tokensOf(res), userList))
    return stop(
      'E_CREDENTIALS',
      `the --token does not authenticate as ${user.name}: the list it gets differs from the one ${basicOf(user)} ` +
        "get; is it another user's token?",
    );
  return undefined;
}
