/**
 * How 20.02+ verifies the caveats of an access token on a REST request (real-server-2102.md §1.8;
 * CT b0f0aa86 `caveats.erl` serialize/deserialize/verify/to_json/unverified_description, `cv_api.erl`,
 * `aai.erl`). The REST auth context: the TCP peer's ip, interface `rest`, service `ozw-onezone` (no
 * x-onedata-service-token), no consumer, no session (unless a GUI cookie), data access caveats disallowed.
 * A caveat that does not deserialize is `tokenCaveatUnknown`; one that deserializes but does not hold is
 * `tokenCaveatUnverified` with its JSON form and the upstream wording.
 */

export type CaveatVerdict =
  | { kind: 'ok' }
  /** `api` caveats hold at verification time; the operation is checked later (api_auth). */
  | { kind: 'ok-api'; whitelist: ApiMatchspec[]; serialized: string[] }
  | { kind: 'unknown' }
  | { kind: 'unverified'; json: Record<string, unknown>; description: string };

export interface RestContext {
  nowSeconds: number;
  /** The TCP peer address as Node reports it (may be `::ffff:a.b.c.d`). */
  peerIp: string | undefined;
}

const SEP = '|';
const join = (xs: readonly string[]): string => xs.join(' or ');

/** Everything after `prefix`, non-empty, split at `|` (CT ?SPLIT); undefined when the prefix does not match. */
function listAfter(cid: string, prefix: string): string[] | undefined {
  if (!cid.startsWith(prefix)) return undefined;
  const rest = cid.slice(prefix.length);
  return rest === '' ? undefined : rest.split(SEP);
}

class Unknown extends Error {}
const unknown = (): never => {
  throw new Unknown();
};

// --- ip (ip_utils:parse_mask / matches_mask; IPv4 as the upstream fixtures use) -------------------------
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4ToInt(s: string): number | undefined {
  const m = IPV4.exec(s);
  if (m === null) return undefined;
  const parts = m.slice(1, 5).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function parseMask(s: string): { base: number; bits: number } {
  const [addr = '', bitsText = '32', ...extra] = s.split('/');
  const base = ipv4ToInt(addr);
  const bits = Number(bitsText);
  if (base === undefined || extra.length > 0 || !/^\d{1,2}$/.test(bitsText) || bits > 32) return unknown();
  return { base, bits };
}

function matchesMask(ip: number, mask: { base: number; bits: number }): boolean {
  if (mask.bits === 0) return true;
  const shift = 32 - mask.bits;
  return Math.floor(ip / 2 ** shift) === Math.floor(mask.base / 2 ** shift);
}

// --- services and subjects (aai.erl) ----------------------------------------------------------------------
const SERVICE_TYPES: Readonly<Record<string, string>> = {
  ozw: 'oz_worker',
  opw: 'op_worker',
  ozp: 'oz_panel',
  opp: 'op_panel',
};
/** The service a REST request without x-onedata-service-token acts as: ?SERVICE(?OZ_WORKER, ?ONEZONE_CLUSTER_ID). */
const REST_SERVICE = { short: 'ozw', id: 'onezone' };

function parseService(s: string): { short: string; id: string } {
  const short = s.slice(0, 3);
  if (s.charAt(3) !== '-' || SERVICE_TYPES[short] === undefined) return unknown();
  return { short, id: s.slice(4) };
}

const SUBJECT_TYPES: Readonly<Record<string, string>> = { usr: 'user', grp: 'group', prv: 'oneprovider' };

function subjectPrintable(s: string): string {
  if (s === 'nobody') return 'nobody';
  const type = SUBJECT_TYPES[s.slice(0, 3)];
  if (s.charAt(3) !== '-' || type === undefined) return unknown();
  return `${type}:${s.slice(4)}`;
}

// --- api (cv_api.erl, gri.erl) ----------------------------------------------------------------------------
export interface ApiMatchspec {
  service: string; // 'all' or a shortname
  operation: string; // 'all' | create | get | update | delete
  gri: { type: string; id: string; aspect: string; scope: string };
}

const OPERATIONS = ['all', 'create', 'get', 'update', 'delete'];
const ENTITY_TYPES = [
  '*',
  'od_user',
  'od_group',
  'od_space',
  'od_share',
  'od_provider',
  'od_handle_service',
  'od_handle',
  'od_harvester',
  'od_cluster',
  'od_token',
  'temporary_token_secret',
  'oz_worker',
  'od_atm_inventory',
  'od_atm_lambda',
  'od_atm_workflow_schema',
];
const SCOPES = ['*', 'private', 'protected', 'shared', 'public', 'auto'];
const GRI = /^([^.]+)\.([^.]+)\.(.+):([^:]+)$/;

function parseMatchspec(s: string): ApiMatchspec {
  const [service, operation, griText, ...extra] = s.split('/');
  if (service === undefined || operation === undefined || griText === undefined || extra.length > 0) return unknown();
  if (service !== 'all' && SERVICE_TYPES[service] === undefined) return unknown();
  if (!OPERATIONS.includes(operation)) return unknown();
  const g = GRI.exec(griText);
  if (g === null) return unknown();
  const [, type = '', id = '', aspect = '', scope = ''] = g;
  if (!ENTITY_TYPES.includes(type) || !SCOPES.includes(scope)) return unknown();
  return { service, operation, gri: { type, id, aspect, scope } };
}

/** The operation a request asks for, as api_auth:check_authorization sees it (service ozw, scope private). */
export interface ApiOperation {
  operation: 'create' | 'get' | 'delete';
  userId: string;
  /** `client_tokens`, or `client_token,<tid>` for DELETE. */
  aspect: string;
}

function aspectMatches(actual: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const [a1, a2] = actual.split(/,(.*)/s);
  const [p1, p2] = pattern.split(/,(.*)/s);
  if (p2 === undefined) return a2 === undefined && a1 === p1;
  return a1 === p1 && (p2 === '*' || p2 === a2);
}

export function apiAllows(whitelist: readonly ApiMatchspec[], op: ApiOperation): boolean {
  return whitelist.some(
    (m) =>
      (m.service === 'all' || m.service === REST_SERVICE.short) &&
      (m.operation === 'all' || m.operation === op.operation) &&
      (m.gri.type === '*' || m.gri.type === 'od_user') &&
      (m.gri.id === '*' || m.gri.id === op.userId) &&
      aspectMatches(op.aspect, m.gri.aspect) &&
      (m.gri.scope === '*' || m.gri.scope === 'private'),
  );
}

export function apiUnverified(serialized: readonly string[]): { json: Record<string, unknown>; description: string } {
  return {
    json: { type: 'api', whitelist: [...serialized] },
    description: `unverified API caveat: this token can only be used for API calls that match the following spec: '${join(serialized)}'`,
  };
}

// --- the verifier -----------------------------------------------------------------------------------------
const geoDescription = (what: string, filter: 'whitelist' | 'blacklist', list: readonly string[]): string =>
  `unverified ${what} caveat: this token can only be used from an IP address that ${filter === 'whitelist' ? 'comes' : 'does NOT come'} from the following ${what}: '${join(list)}'`;

function judge(cid: string, ctx: RestContext): CaveatVerdict {
  const unverified = (json: Record<string, unknown>, description: string): CaveatVerdict => ({
    kind: 'unverified',
    json,
    description,
  });
  if (cid.startsWith('time < ')) {
    const text = cid.slice('time < '.length);
    if (!/^-?\d+$/.test(text)) return unknown();
    const validUntil = Number(text);
    if (ctx.nowSeconds < validUntil) return { kind: 'ok' };
    return unverified(
      { type: 'time', validUntil },
      `unverified time caveat: this token has expired at '${iso8601(validUntil)}'`,
    );
  }
  const ip = listAfter(cid, 'ip = ');
  if (ip !== undefined) {
    const masks = ip.map(parseMask);
    const peer = ipv4ToInt((ctx.peerIp ?? '').replace(/^::ffff:/, ''));
    if (peer !== undefined && masks.some((m) => matchesMask(peer, m))) return { kind: 'ok' };
    return unverified(
      { type: 'ip', whitelist: ip },
      `unverified IP caveat: this token can only be used from an IP address that matches: '${join(ip)}'`,
    );
  }
  const asn = listAfter(cid, 'asn = ');
  if (asn !== undefined) {
    if (!asn.every((a) => /^\d+$/.test(a))) return unknown();
    // No GeoIP database knows a loopback peer: ip_utils:lookup_asn fails, the verifier catches it: false.
    return unverified(
      { type: 'asn', whitelist: asn.map(Number) },
      `unverified ASN caveat: this token can only be used from an IP address that maps to the following Autonomous System Number: '${join(asn)}'`,
    );
  }
  for (const [key, what] of [
    ['geo.country', 'country'],
    ['geo.region', 'region'],
  ] as const) {
    const white = listAfter(cid, `${key} = `);
    const black = listAfter(cid, `${key} != `);
    const list = white ?? black;
    if (list !== undefined) {
      const filter = white !== undefined ? 'whitelist' : 'blacklist';
      return unverified({ type: key, filter, list }, geoDescription(what, filter, list));
    }
  }
  if (cid === 'authorization = none') {
    // cv_scope is not among the caveats an access token may carry on an unlimited-scope request.
    return unverified(
      { scope: 'identityToken' },
      'this token carries no authorization (can be used only for identity verification)',
    );
  }
  const service = listAfter(cid, 'service = ');
  if (service !== undefined) {
    const parsed = service.map(parseService);
    if (parsed.some((s) => s.short === REST_SERVICE.short && (s.id === REST_SERVICE.id || s.id === '*')))
      return { kind: 'ok' };
    const printable = parsed.map((s) => `${SERVICE_TYPES[s.short] ?? s.short}:${s.id}`);
    return unverified(
      { type: 'service', whitelist: service },
      `unverified service caveat: the service using this token must authenticate as '${join(printable)}' (use the x-onedata-service-token header), or the requested API operation is disallowed for the whitelisted services`,
    );
  }
  const consumer = listAfter(cid, 'consumer = ');
  if (consumer !== undefined) {
    const printable = consumer.map(subjectPrintable);
    // No x-onedata-consumer-token: the consumer is undefined and no whitelist entry can match it.
    return unverified(
      { type: 'consumer', whitelist: consumer },
      `unverified consumer caveat: the consumer of this token must authenticate as '${join(printable)}' - if that's you, you should:\n` +
        "   * send your access token in 'x-auth-token' header if consuming an invite token\n" +
        "   * send your identity token in 'x-onedata-consumer-token' header if performing an operation on behalf of somebody else with their access token\n" +
        "   * send your identity token in 'consumerToken' field if using token verification API",
    );
  }
  if (cid.startsWith('interface = ')) {
    const iface = cid.slice('interface = '.length);
    if (!['rest', 'oneclient', 'graphsync'].includes(iface)) return unknown();
    if (iface === 'rest') return { kind: 'ok' };
    return unverified(
      { type: 'interface', interface: iface },
      `unverified interface caveat: this token can only be used in the '${iface}' interface`,
    );
  }
  const api = listAfter(cid, 'api = ');
  if (api !== undefined) return { kind: 'ok-api', whitelist: api.map(parseMatchspec), serialized: api };
  // Data access caveats: the Onezone REST policy is disallow_data_access_caveats.
  if (cid === 'data.readonly')
    return unverified(
      { type: 'data.readonly' },
      'unverified data access caveat: this token allows for readonly data access',
    );
  const paths = listAfter(cid, 'data.path = ');
  if (paths !== undefined) {
    const decoded = paths.map((p) => Buffer.from(p, 'base64').toString('utf8'));
    return unverified(
      { type: 'data.path', whitelist: paths },
      `unverified data path caveat: this token can only be used to access data under the following paths (and nested directories): '${join(decoded)}'`,
    );
  }
  const ids = listAfter(cid, 'data.objectid = ');
  if (ids !== undefined) {
    return unverified(
      { type: 'data.objectid', whitelist: ids },
      `unverified data path caveat: this token can only be used to access data with the following FILE_ID (and nested directories): '${join(ids)}'`,
    );
  }
  return unknown();
}

export function judgeRestCaveat(cid: string, ctx: RestContext): CaveatVerdict {
  try {
    return judge(cid, ctx);
  } catch (e) {
    if (e instanceof Unknown) return { kind: 'unknown' };
    throw e;
  }
}

export const iso8601 = (epochSeconds: number): string =>
  new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
