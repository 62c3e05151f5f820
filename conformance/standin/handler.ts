import type { IncomingHttpHeaders } from 'node:http';
import { authenticate, type AuthContext, type AuthLeniency, type Principal } from './auth.js';
import type { FaultId } from './faults.js';
import { ALLOWED, isExactJson, KNOWN_METHODS, matchRoute, negotiate, type Route } from './http-rules.js';
import { bareJson, empty, json, JSON_TYPE, type Reply } from './reply.js';
import type { UserRecord } from './state.js';
import { mintFor, unescaped, deserialize, type TokenIssuer } from './tokens.js';

/**
 * One request, start to end, in cowboy_rest's order (real-server-behaviour.md §1): route, known method,
 * allowed method (405 before authentication), authentication, content negotiation (406), content type of
 * a POST (415), then the entity logic (nobody, list, create, delete). Each fault flips one rule.
 */
export interface HandlerDeps {
  issuer: TokenIssuer;
  auth: AuthContext;
  quirks: boolean;
  faults: ReadonlySet<FaultId>;
  /** Called after every change to the state (persistence). */
  changed: () => void;
}

export interface IncomingRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
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
  };
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export function handle(d: HandlerDeps, req: IncomingRequest): Reply {
  const { behaviour } = d.issuer;
  const route = matchRoute(req.url, behaviour.configurationRelease !== undefined);
  if (route === undefined) return empty(404); // cowboy router: no route, empty body, no content-type

  if (!KNOWN_METHODS.includes(req.method)) {
    // HEAD, OPTIONS: rest_handler crashes on them in every release (500); idealised: a plain 405.
    return d.quirks ? empty(500) : notAllowed(d, route);
  }
  if (!ALLOWED[route.kind].includes(req.method)) {
    if (route.kind === 'collection' && d.faults.has('method-not-allowed-404')) return empty(404);
    return notAllowed(d, route);
  }

  const who = authenticate(d.auth, req.headers);
  if (who.kind === 'failed') return authFailure(d, who);

  const accept = negotiate(header(req.headers, 'accept'));
  if (accept === 'malformed') return empty(400);
  if (
    accept === 'unacceptable' &&
    !(d.faults.has('accept-ignored') && route.kind === 'collection' && req.method === 'GET')
  )
    return empty(406);

  if (req.method === 'POST') {
    const typeOk =
      isExactJson(header(req.headers, 'content-type')) || (behaviour.bodilessPostAnyType && req.body.length === 0);
    if (!typeOk) return empty(415);
  }

  if (route.kind === 'configuration') return configuration(d);
  if (who.kind === 'nobody') {
    const first = d.issuer.store.users[0];
    if (d.faults.has('auth-bypass') && route.kind === 'collection' && req.method === 'GET' && first)
      return list(d, first);
    return behaviour.errors.nobody(d.quirks);
  }
  if (route.kind === 'item') return remove(d, who.user, route.tid);
  return req.method === 'GET' ? list(d, who.user) : create(d, who.user, req.body);
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

function listedTokens(d: HandlerDeps, user: UserRecord): string[] {
  const entries = [...user.tokens];
  if (d.issuer.behaviour.listOrder === 'by-name')
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let tokens = entries.map((t) => t.token);
  if (d.faults.has('cross-user-leak')) {
    for (const other of d.issuer.store.users)
      if (other.id !== user.id) tokens.push(...other.tokens.map((t) => t.token));
  }
  if (d.faults.has('list-malformed-token')) tokens = tokens.map(unescaped);
  return tokens;
}

function list(d: HandlerDeps, user: UserRecord): Reply {
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
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** POST: 200 {"token"} (not 201); the data validator is empty, so any JSON object or no body is fine. */
function create(d: HandlerDeps, user: UserRecord, body: Buffer): Reply {
  if (!isJsonObjectOrEmpty(body)) return d.issuer.behaviour.errors.malformedData();
  const minted = mintFor(d.issuer, user);
  const { faults } = d;
  const where = faults.has('created-not-listed') ? 'unlisted' : faults.has('created-appended') ? 'last' : 'first';
  d.issuer.store.addToken(user, minted.identifier, minted.secret, { token: minted.token, name: minted.name }, where);
  d.changed();
  return json(faults.has('create-wrong-status') ? 201 : 200, { token: minted.token });
}

/** DELETE takes the whole serialized token; only the caller's own listed tokens exist for them. */
function remove(d: HandlerDeps, user: UserRecord, tid: string): Reply {
  const { faults, issuer } = d;
  // Under list-malformed-token the caller only knows the unescaped form; map it back.
  const listed = user.tokens.find(
    (t) => t.token === tid || (faults.has('list-malformed-token') && unescaped(t.token) === tid),
  );
  if (listed === undefined) return issuer.behaviour.errors.notFound();
  if (!faults.has('delete-ignored')) {
    issuer.store.unlist(user, listed.token);
    const identifier = deserialize(listed.token)?.identifier;
    if (identifier !== undefined && !faults.has('deleted-still-valid')) issuer.store.revoke(identifier);
    d.changed();
  }
  return empty(issuer.behaviour.deleteStatus, JSON_TYPE);
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
