import type { IncomingHttpHeaders } from 'node:http';
import { isObject } from '../objects.js';
import { authenticate, type AuthContext, type AuthLeniency, type Principal } from './auth.js';
import { apiAllows, apiUnverified, type ApiOperation } from './caveats.js';
import type { FaultId } from './faults.js';
import {
  ALLOWED,
  headerLimitStatus,
  isExactJson,
  KNOWN_METHODS,
  matchRoute,
  negotiate,
  type Route,
} from './http-rules.js';
import { issue11After, issue11Before } from './issue11-faults.js';
import { bareJson, empty, json, JSON_TYPE, type Reply } from './reply.js';
import type { UserRecord } from './state.js';
import { mintFor, unescaped, deserialize, type TokenIssuer } from './tokens.js';

/**
 * One request, start to end, in cowboy_rest's order (real-server-behaviour.md §1, real-server-2102.md §1.5):
 * route, known method, allowed method (405 before authentication), authentication, content negotiation
 * (406), content type of a POST (415), then rest_handler:process_request: the circuit breaker (21.02.6+),
 * the body (400 malformedData, also for nobody), then the entity logic (nobody, api caveats, list, create,
 * delete). Each fault flips one rule.
 */
export interface HandlerDeps {
  issuer: TokenIssuer;
  auth: AuthContext;
  quirks: boolean;
  faults: ReadonlySet<FaultId>;
  /** Called after every change to the state (persistence). May throw: entity logic then crashes. */
  changed: () => void;
}

export interface IncomingRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** node:http's flat [name, value, …] list, for cowboy's header limits. */
  rawHeaders?: readonly string[];
  peerIp?: string | undefined;
  /** Reads the body, at most cowboy's read_body length; undefined when it is longer. Called at most once. */
  readBody: () => Promise<Buffer | undefined>;
}

export function leniencyFor(faults: ReadonlySet<FaultId>): AuthLeniency {
  return {
    signature: faults.has('signature-not-verified'),
    expiredTime: faults.has('time-caveat-not-verified'),
    unknownCaveats: faults.has('unknown-caveat-accepted'),
    rejectAddedTime: faults.has('time-caveat-rejected'),
    anyPassword: faults.has('basic-any-password'),
    unknownUserOk: faults.has('basic-unknown-user-ok'),
    malformedBasicIsFirstUser: faults.has('basic-malformed-ok'),
    ignoreTokens: faults.has('token-auth-unsupported'),
    ignoreMacaroonHeader: faults.has('macaroon-header-unsupported'),
    tokensAsFirstUser: faults.has('token-wrong-user'),
    basicFailureFallsThrough: faults.has('bad-basic-falls-through'),
  };
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export async function handle(d: HandlerDeps, req: IncomingRequest): Promise<Reply> {
  const early = issue11Before(d, req);
  if (early !== undefined) return early;
  return issue11After(d, req, await handleFaithfully(d, req));
}

async function handleFaithfully(d: HandlerDeps, req: IncomingRequest): Promise<Reply> {
  const { behaviour } = d.issuer;
  const tooLarge = headerLimitStatus(req.rawHeaders ?? [], behaviour.cowboyMajor);
  if (tooLarge !== undefined) return { ...empty(tooLarge), headers: { connection: 'close' } };
  const route = matchRoute(req.url, behaviour.configurationRelease !== undefined);
  if (route === undefined) return empty(404); // cowboy router: no route, empty body, no content-type, no ACAO
  // HEAD, OPTIONS: rest_handler crashes on them in every release (500), before init/2 sets ACAO.
  if (!KNOWN_METHODS.includes(req.method) && d.quirks) return empty(500);
  const reply = await restHandler(d, req, route);
  // 2102 D1: rest_handler:init/2 puts ACAO on the request, so every reply of the handler carries it.
  if (behaviour.acao) reply.headers = { ...reply.headers, 'access-control-allow-origin': '*' };
  return reply;
}

async function restHandler(d: HandlerDeps, req: IncomingRequest, route: Route): Promise<Reply> {
  const { behaviour } = d.issuer;
  if (!KNOWN_METHODS.includes(req.method)) return notAllowed(d, route); // idealised HEAD/OPTIONS
  if (!ALLOWED[route.kind].includes(req.method)) {
    if (route.kind === 'collection' && d.faults.has('method-not-allowed-404')) return empty(404);
    return notAllowed(d, route);
  }

  const who = await authenticate(d.auth, { headers: req.headers, peerIp: req.peerIp });
  if (who.kind === 'failed') return authFailure(d, who);

  const accept = negotiate(header(req.headers, 'accept'));
  if (accept === 'malformed') return empty(400);
  if (
    accept === 'unacceptable' &&
    !(d.faults.has('accept-ignored') && route.kind === 'collection' && req.method === 'GET')
  )
    return empty(406);

  if (req.method === 'POST') {
    const contentType = header(req.headers, 'content-type');
    const typeOk = isExactJson(contentType) || (behaviour.bodilessPostAnyType && !hasRequestBody(req.headers));
    if (!typeOk) return empty(415, behaviour.unsupportedTypeContentType);
  }

  // rest_handler:process_request: oz_worker_circuit_breaker:assert_closed() is its first statement.
  if (d.auth.switches.breakerOpen === true && behaviour.circuitBreaker) return behaviour.errors.serviceUnavailable();
  if (route.kind === 'configuration') return configuration(d);

  if (req.method === 'POST') {
    const read = await req.readBody();
    // cowboy_req:read_body returns {more, …} past its length; `{ok, Body, _} =` crashes: a bare 500.
    if (read === undefined) return empty(500, JSON_TYPE);
    // get_data runs before entity logic, so a client without credentials gets this 400 too.
    if (!isJsonObjectOrEmpty(read)) return behaviour.errors.malformedData();
  }

  if (who.kind === 'nobody') {
    const first = d.issuer.store.users[0];
    if (d.faults.has('auth-bypass') && route.kind === 'collection' && req.method === 'GET' && first)
      return list(d, first);
    return behaviour.errors.nobody(d.quirks);
  }
  const denied = apiCaveatDenies(d, who, route, req.method);
  if (denied !== undefined) return denied;
  try {
    if (route.kind === 'item') return remove(d, who.user, route.tid);
    return req.method === 'GET' ? list(d, who.user) : create(d, who.user);
  } catch {
    // Entity logic crashed (in the stand-in: the state could not be written).
    return behaviour.errors.internal();
  }
}

/** A request has a body when it announces one (cowboy_req:has_body/1). */
const hasRequestBody = (h: IncomingHttpHeaders): boolean =>
  h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');

/** 2102 §1.8: api caveats hold at verification and are checked per operation (api_auth:check_authorization). */
function apiCaveatDenies(
  d: HandlerDeps,
  who: Extract<Principal, { kind: 'user' }>,
  route: Route,
  method: string,
): Reply | undefined {
  if (who.api === undefined || route.kind === 'configuration') return undefined;
  const op: ApiOperation =
    route.kind === 'item'
      ? { operation: 'delete', userId: who.user.id, aspect: `client_token,${route.tid}` }
      : { operation: method === 'GET' ? 'get' : 'create', userId: who.user.id, aspect: 'client_tokens' };
  if (apiAllows(who.api.whitelist, op)) return undefined;
  const { json: caveat, description } = apiUnverified(who.api.serialized);
  return d.issuer.behaviour.errors.apiCaveat(caveat, description);
}

function notAllowed(d: HandlerDeps, route: Route): Reply {
  const reply = empty(405);
  if (!d.faults.has('allow-header-missing')) reply.headers = { allow: ALLOWED[route.kind].join(', ') };
  return reply;
}

/** §3: 401 with the release's body and NO content-type; the error faults reshape only these answers. */
function authFailure(d: HandlerDeps, who: Extract<Principal, { kind: 'failed' }>): Reply {
  if (who.failure.kind === 'token-garbage' && d.faults.has('garbage-token-500')) return empty(500);
  const reply = d.issuer.behaviour.errors.auth(who.failure, d.quirks);
  if (reply.status !== 401) return reply;
  const { faults } = d;
  const message = errorMessage(reply.body);
  if (faults.has('secret-echo') && who.password !== undefined) {
    return bareJson(401, { error: `${message} (user ${who.basicUser ?? ''}, password ${who.password})` });
  }
  if (faults.has('foreign-token-in-error')) {
    const foreign = d.issuer.store.users.find((u) => u.name !== who.basicUser && u.tokens.length > 0)?.tokens[0]?.token;
    if (foreign !== undefined) return bareJson(401, { error: `${message}; a valid token looks like ${foreign}` });
  }
  if (faults.has('auth-error-403')) return { ...reply, status: 403 };
  if (faults.has('auth-error-text-body')) return { status: 401, body: message, contentType: 'text/plain' };
  if (faults.has('auth-error-wrong-shape')) return bareJson(401, { message });
  return reply;
}

/** The human text of an error body, whatever its release's shape. */
function errorMessage(body: string): string {
  const parsed = JSON.parse(body) as { error: string | { id: string; description?: string } };
  const e = parsed.error;
  return typeof e === 'string' ? e : (e.description ?? e.id);
}

export function listedEntries(d: { issuer: TokenIssuer }, user: UserRecord): UserRecord['tokens'] {
  const entries = [...user.tokens];
  if (d.issuer.behaviour.listOrder === 'by-name')
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return entries;
}

function listedTokens(d: HandlerDeps, user: UserRecord): string[] {
  let tokens = listedEntries(d, user).map((t) => t.token);
  if (d.faults.has('cross-user-leak')) {
    for (const other of d.issuer.store.users)
      if (other.id !== user.id) tokens.push(...other.tokens.map((t) => t.token));
  }
  if (d.faults.has('list-malformed-token')) tokens = tokens.map(unescaped);
  return tokens;
}

export function list(d: HandlerDeps, user: UserRecord): Reply {
  const tokens: (string | null)[] = listedTokens(d, user);
  const { faults } = d;
  if (faults.has('list-duplicate-item') && tokens[0] !== undefined) tokens.push(tokens[0]);
  if (faults.has('list-null-item')) tokens.push(null);
  // The upstream doc's own sample has this defect: `"tokens: [` with the closing quote missing.
  if (faults.has('list-not-json'))
    return { status: 200, body: `{"tokens: ${JSON.stringify(tokens)}}`, contentType: JSON_TYPE };
  const value = faults.has('list-wrong-shape') ? { tokens: tokens.join(',') } : { tokens };
  const reply = json(200, value);
  if (faults.has('list-wrong-status')) reply.status = 203;
  if (faults.has('list-wrong-content-type')) reply.contentType = 'text/plain';
  return reply;
}

function isJsonObjectOrEmpty(body: Buffer): boolean {
  if (body.length === 0) return true;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return isObject(v);
  } catch {
    return false;
  }
}

/** POST: 200 {"token"} (not 201); the data validator is empty, so any JSON object or no body is fine. */
function create(d: HandlerDeps, user: UserRecord): Reply {
  const minted = mintFor(d.issuer, user);
  const { faults } = d;
  const where = faults.has('created-not-listed') ? 'unlisted' : faults.has('created-appended') ? 'last' : 'first';
  d.issuer.store.addToken(user, minted.identifier, minted.secret, { token: minted.token, name: minted.name }, where);
  d.changed();
  return json(faults.has('create-wrong-status') ? 201 : 200, { token: minted.token });
}

/**
 * DELETE takes the whole serialized token. Up to 19.02 only the caller's own listed tokens exist for them
 * (404 otherwise); from 20.02 `exists` is global (2102 §1.7): unknown or garbage → 404, another user's → 403.
 */
function remove(d: HandlerDeps, user: UserRecord, tid: string): Reply {
  const { faults, issuer } = d;
  const { behaviour, store } = issuer;
  // Under list-malformed-token the caller only knows the unescaped form; map it back.
  const listed = user.tokens.find(
    (t) => t.token === tid || (faults.has('list-malformed-token') && unescaped(t.token) === tid),
  );
  const identifier = deserialize(listed?.token ?? tid, behaviour.lenientDeserialize)?.identifier;
  if (behaviour.deleteForeign === 'forbidden') {
    const record = identifier === undefined ? undefined : store.authRecord(identifier);
    if (record === undefined) return behaviour.errors.notFound();
    if (record.userId !== user.id) return behaviour.errors.forbidden();
  } else if (listed === undefined) {
    return behaviour.errors.notFound();
  }
  if (!faults.has('delete-ignored')) {
    const own = user.tokens.find((t) => deserialize(t.token, behaviour.lenientDeserialize)?.identifier === identifier);
    if (own !== undefined) store.unlist(user, own.token);
    if (identifier !== undefined && !faults.has('deleted-still-valid')) store.revoke(identifier);
    d.changed();
  }
  return empty(behaviour.deleteStatus, JSON_TYPE);
}

/** zone_logic_plugin:get(configuration): public, from 18.02. */
function configuration(d: HandlerDeps): Reply {
  const release = d.issuer.behaviour.configurationRelease ?? '';
  return json(200, {
    name: 'onezone-standin',
    version: release,
    build: 'standin',
    domain: d.issuer.domain,
    compatibleOneproviderVersions: [release],
    subdomainDelegationSupported: false,
    supportedIdPs: [],
  });
}
