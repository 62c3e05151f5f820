import type { IncomingHttpHeaders } from 'node:http';
import { list, type HandlerDeps, type IncomingRequest } from './handler.js';
import { PREFIX } from './http-rules.js';
import { empty, JSON_TYPE, type Reply } from './reply.js';
import { deserialize, verifyAccessToken } from './tokens.js';

/**
 * The fault switches of issue 11 (faults.ts, block "issue 11"): each breaks one rule that only a generated
 * attack or a response-hygiene check judges. Kept apart from the faithful handler, which calls the two hooks:
 * `issue11Before` may answer instead of it, `issue11After` may alter its answer.
 */

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

const IDENTITY_HEADERS = ['x-remote-user', 'x-forwarded-user', 'remote-user', 'x-authenticated-user'];
const COLLECTION = `${PREFIX}/user/client_tokens`;

const isListGet = (req: IncomingRequest): boolean =>
  req.method === 'GET' && /^\/user\/client_tokens\/?$/.test(pathOf(req).slice(PREFIX.length));
const pathOf = (req: IncomingRequest): string => req.url.split('?')[0] ?? '';

export function issue11Before(d: HandlerDeps, req: IncomingRequest): Reply | undefined {
  const { faults } = d;
  if (req.method === 'DELETE' && faults.has('delete-other-users-token')) return deleteAnyones(d, req);
  if (req.method !== 'GET') return undefined;
  const h = req.headers;
  if (
    faults.has('path-case-bypass') &&
    pathOf(req) !== COLLECTION &&
    pathOf(req).toLowerCase() === COLLECTION.toLowerCase()
  ) {
    // A proxy that guards the exact path, and a backend that matches it case-insensitively.
    const first = d.issuer.store.users[0];
    if (first) return list(d, first);
  }
  if (!isListGet(req)) return undefined;
  if (faults.has('identity-header-trusted')) {
    for (const name of IDENTITY_HEADERS) {
      const user = d.issuer.store.userByName(header(h, name) ?? '');
      if (user) return list(d, user);
    }
  }
  if (faults.has('query-token-accepted') && !['x-auth-token', 'macaroon', 'authorization'].some((n) => n in h)) {
    const query = new URLSearchParams(req.url.split('?')[1] ?? '');
    const token = query.get('access_token') ?? query.get('token');
    const check = token === null ? undefined : verifyAccessToken(d.issuer, token);
    if (check?.ok) return list(d, check.user);
  }
  const macaroon = header(h, 'macaroon');
  if (faults.has('macaroon-header-first-user') && macaroon !== undefined) {
    const first = d.issuer.store.users[0];
    if (first && verifyAccessToken(d.issuer, macaroon).ok) return list(d, first);
  }
  return undefined;
}

/** `delete-other-users-token`: any authenticated caller's DELETE removes whoever's listed token it names. */
function deleteAnyones(d: HandlerDeps, req: IncomingRequest): Reply | undefined {
  const tid = decodeURIComponent(/^\/user\/client_tokens\/([^/?]+)$/.exec(pathOf(req).slice(PREFIX.length))?.[1] ?? '');
  const owner = d.issuer.store.users.find((u) => u.tokens.some((t) => t.token === tid));
  const caller = d.issuer.store.users.find(
    (u) => u.tokens.length >= 0 && header(req.headers, 'authorization') === basicOf(u.name, req),
  );
  if (tid === '' || owner === undefined || caller === undefined || caller.id === owner.id) return undefined;
  d.issuer.store.unlist(owner, tid);
  const identifier = deserialize(tid, d.issuer.behaviour.lenientDeserialize)?.identifier;
  if (identifier !== undefined) d.issuer.store.revoke(identifier);
  d.changed();
  return empty(d.issuer.behaviour.deleteStatus, JSON_TYPE);
}

/** The caller's Basic value when it names `name` (the fault needs only to know who asks, not to verify it). */
function basicOf(name: string, req: IncomingRequest): string | undefined {
  const value = header(req.headers, 'authorization');
  if (value?.startsWith('Basic ') !== true) return undefined;
  const decoded = Buffer.from(value.slice(6), 'base64').toString('utf8');
  return decoded.startsWith(`${name}:`) ? value : undefined;
}

export function issue11After(d: HandlerDeps, req: IncomingRequest, reply: Reply): Reply {
  const { faults } = d;
  const out: Reply = { ...reply, headers: { ...reply.headers } };
  const headers = out.headers as Record<string, string>;
  const isList = isListGet(req) && reply.status === 200;
  if (faults.has('list-cache-public') && isList) headers['cache-control'] = 'public, max-age=300';
  if (faults.has('list-capped') && isList) {
    const value = JSON.parse(out.body) as { tokens?: unknown };
    if (Array.isArray(value.tokens)) out.body = JSON.stringify({ ...value, tokens: value.tokens.slice(0, 3) });
  }
  if (faults.has('json-bom') && isList) out.body = '\uFEFF' + out.body;
  if (faults.has('false-content-encoding') && isList) headers['content-encoding'] = 'gzip';
  const origin = header(req.headers, 'origin');
  if (faults.has('cors-reflect-origin') && origin !== undefined) {
    headers['access-control-allow-origin'] = origin;
    headers['access-control-allow-credentials'] = 'true';
  }
  if (faults.has('token-encoded-in-error') && reply.status === 401) {
    const token = d.issuer.store.users.find((u) => u.tokens.length > 0)?.tokens[0]?.token;
    if (token !== undefined) headers['x-debug-token'] = Buffer.from(`token=${token}`).toString('base64');
  }
  return out;
}
