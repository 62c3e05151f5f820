import {
  loadSpec,
  onezoneExpectationsOf,
  releaseAtLeast,
  type OnezoneExpectations,
  type Release,
  type SpecVersion,
} from './spec.js';

/**
 * Runner profiles: what a kind of target is expected to do. Profiles are data; checks read them and never
 * branch on a profile's name. The per-version facts (status without credentials, Bearer, Macaroon header,
 * DELETE status, list order) are read from the spec variant's `x-onezone-expectations` block, the single
 * source of truth that real-server-behaviour.md (sections 2-4) was written into; they are not restated here.
 */
export type { SpecVersion };

/**
 * What a target can be asked to show. A check that needs a capability the profile lacks is skipped with
 * P_PROFILE before it runs (a spec mock cannot verify credentials, keep state or isolate users; a 17.06 server
 * knows no Bearer). The first six are what a real server can show; the rest follow from the version's
 * `x-onezone-expectations`, so a check states them as data instead of testing the profile in its body.
 */
export type Capability =
  | 'verifies-credentials' // wrong passwords, garbage and attenuated tokens are really judged
  | 'token-auth' // listed tokens authenticate (X-Auth-Token and friends)
  | 'error-bodies' // error bodies follow the spec's Error schema
  | 'http-semantics' // 405/406/HEAD/OPTIONS/trailing-slash behave like cowboy_rest
  | 'lifecycle' // POST creates, DELETE removes, state is kept
  | 'isolation' // users have separate lists
  | 'bearer' // `Authorization: Bearer` authenticates (expectations: bearer, 18.02+)
  | 'macaroon-header' // the `Macaroon` header authenticates (expectations: macaroonHeader accepted or deprecated)
  | 'lists-newest-first' // a created token is listed first (expectations: listOrder newest-first, up to 19.02)
  | 'cors-allow-origin' // replies carry access-control-allow-origin (expectations: corsAllowOrigin, 21.02.5+)
  | 'internal-error-reference' // a 500 has a JSON body with details.reference (internalErrorReference, 21.02.1+)
  | 'circuit-breaker'; // may answer 503 serviceUnavailable when a service is down (unavailable, 21.02.6+)

/** Why a profile may lack a capability: the skip reason and the catalogue's legend. */
export const CAPABILITY_MEANING: Readonly<Record<Capability, string>> = {
  'verifies-credentials': 'the target really verifies credentials (not a spec mock)',
  'token-auth': 'listed tokens authenticate (not a spec mock)',
  'error-bodies': 'error bodies follow the Error schema (not a spec mock)',
  'http-semantics': 'methods and negotiation behave like cowboy_rest (not a spec mock)',
  lifecycle: 'POST creates and DELETE removes tokens (not a spec mock)',
  isolation: 'users have separate lists (not a spec mock)',
  bearer: 'Authorization: Bearer is a scheme of the version (18.02+)',
  'macaroon-header': 'the Macaroon header authenticates (every version so far)',
  'lists-newest-first': 'the list is newest first (up to 19.02; by name from 20.02)',
  'cors-allow-origin': 'replies carry access-control-allow-origin (21.02.5+)',
  'internal-error-reference': 'a 500 from inside the operation is JSON with details.reference (21.02.1+)',
  'circuit-breaker': 'an open circuit breaker answers 503 serviceUnavailable (21.02.6+)',
};

export interface NoCredentialsAnswer {
  readonly status: number;
  /** The body must be empty (17.06.2's 404). */
  readonly emptyBody?: boolean;
}

export interface Profile {
  readonly id: string;
  readonly description: string;
  readonly specVersion: SpecVersion;
  readonly capabilities: readonly Capability[];
  /** Answers to a request without credentials that a MUST check accepts (auth-none-rejected). */
  readonly noCredentials: readonly NoCredentialsAnswer[];
  /** `Authorization: Bearer <token>` authenticates (18.02+). */
  readonly bearer: boolean;
  /** The `Macaroon` header: accepted, or deprecated from 19.02 (still served, so it authenticates). */
  readonly macaroonHeader: OnezoneExpectations['macaroonHeader'];
  /** Status of a successful DELETE /user/client_tokens/{tid}: 202 in 17.06, 204 from 18.02. */
  readonly deleteStatus: 202 | 204;
  /** List order: newest first up to 19.02; by token name (roughly oldest first) from 20.02. */
  readonly listOrder: 'newest-first' | 'by-name';
  /**
   * The release the profile judges, e.g. `21.02.3` when `--profile auto` read it from /configuration; else
   * the newest release its spec version describes. Answers that arrived within a line (`since`) follow it.
   */
  readonly release: Release;
  /** The spec version's expectations, for checks of answers not summarised above. */
  readonly expectations: OnezoneExpectations;
}

const SERVER_CAPABILITIES: readonly Capability[] = [
  'verifies-credentials',
  'token-auth',
  'error-bodies',
  'http-semantics',
  'lifecycle',
  'isolation',
];

/** `deprecated` (from 19.02) is still served: it authenticates like `accepted`; any other value would not. */
const MACAROON_HEADER_SERVED: ReadonlySet<string> = new Set(['accepted', 'deprecated']);

/** The capabilities a version's expectations give a real server of it (of `release`, for `since` answers). */
export function capabilitiesOf(e: OnezoneExpectations, release?: Release): Capability[] {
  // Without a known release the profile judges the newest one its version describes.
  const since = (f: { readonly since: Release } | undefined): boolean =>
    f !== undefined && (release === undefined || releaseAtLeast(release, f.since));
  return [
    ...SERVER_CAPABILITIES,
    ...(e.bearer ? (['bearer'] as const) : []),
    ...(MACAROON_HEADER_SERVED.has(e.macaroonHeader) ? (['macaroon-header'] as const) : []),
    ...(e.listOrder === 'newest-first' ? (['lists-newest-first'] as const) : []),
    ...(since(e.corsAllowOrigin) ? (['cors-allow-origin'] as const) : []),
    ...(since(e.internalErrorReference) ? (['internal-error-reference'] as const) : []),
    ...(since(e.unavailable) ? (['circuit-breaker'] as const) : []),
  ];
}

/**
 * A profile for a real Onezone of `version`, every fact read from the spec's x-onezone-expectations (checked
 * there, E_SPEC when a field is missing). Without credentials the MUST accepts the spec's 401 and, where the
 * version really answers otherwise (17.06.2 and 18.02 derive 404 with an empty body for nobody), that too;
 * the SHOULD auth-none-401 then reports it as a warning.
 */
function serverProfile(id: string, description: string, version: SpecVersion, release?: Release): Profile {
  const spec = loadSpec(version);
  const e = onezoneExpectationsOf(spec);
  const nc: NoCredentialsAnswer = {
    status: e.noCredentials.status,
    ...(e.noCredentials.emptyBody && { emptyBody: true }),
  };
  return {
    id,
    description,
    specVersion: version,
    capabilities: capabilitiesOf(e, release),
    noCredentials: nc.status === 401 ? [{ status: 401 }] : [{ status: 401 }, nc],
    bearer: e.bearer,
    macaroonHeader: e.macaroonHeader,
    deleteStatus: e.deleteStatus,
    listOrder: e.listOrder,
    release: release ?? spec.info.version,
    expectations: e,
  };
}

const DESCRIPTIONS = {
  'onezone-17.06': 'Onezone 17.06.x (oz-worker 17.06.2): the documented operation; 404 without credentials tolerated',
  'onezone-18.02': 'Onezone 18.02.x: Bearer tokens, 204 on DELETE; still 404 without credentials',
  'onezone-19.02': 'Onezone 19.02.x: 401 without credentials, error bodies as objects',
  'onezone-20.02':
    'Onezone 20.02.x: the operation is deprecated; named tokens (expired, revoked, caveated) listed by name',
  'onezone-21.02':
    'Onezone 21.02.x: as 20.02, plus access-control-allow-origin (21.02.5+), 500 with a reference (21.02.1+), ' +
    'the 503 circuit breaker (21.02.6+)',
} as const;

type ServerProfileId = keyof typeof DESCRIPTIONS;
const SPEC_OF: Readonly<Record<ServerProfileId, SpecVersion>> = {
  'onezone-17.06': '17.06',
  'onezone-18.02': '18.02',
  'onezone-19.02': '19.02',
  'onezone-20.02': '20.02',
  'onezone-21.02': '21.02',
};

export const PROFILES: Record<ServerProfileId | 'mock', Profile> = {
  'onezone-17.06': serverProfile('onezone-17.06', DESCRIPTIONS['onezone-17.06'], '17.06'),
  'onezone-18.02': serverProfile('onezone-18.02', DESCRIPTIONS['onezone-18.02'], '18.02'),
  'onezone-19.02': serverProfile('onezone-19.02', DESCRIPTIONS['onezone-19.02'], '19.02'),
  'onezone-20.02': serverProfile('onezone-20.02', DESCRIPTIONS['onezone-20.02'], '20.02'),
  'onezone-21.02': serverProfile('onezone-21.02', DESCRIPTIONS['onezone-21.02'], '21.02'),
  mock: {
    ...serverProfile(
      'mock',
      'a spec mock (Prism): only what examples and presence-only security checks can satisfy',
      '17.06',
    ),
    // Prism checks that a credential is present, never that it is valid (stoplightio/prism#2313), keeps no
    // state and answers errors as application/problem+json, so only the list's shape can be judged; it
    // answers 401 without credentials whatever the version really does.
    capabilities: [],
    noCredentials: [{ status: 401 }],
  },
};

export type ProfileId = keyof typeof PROFILES;
export const PROFILE_IDS = Object.keys(PROFILES) as ProfileId[];
export const isProfileId = (s: string): s is ProfileId => Object.hasOwn(PROFILES, s);
/**
 * The profile `id`, judging `release` when one is known (read from /configuration by `--profile auto`): a
 * 21.02.3 server is not expected to send what arrived in 21.02.5. A release outside the profile's line is
 * ignored (the profile then judges its newest release).
 */
export function getProfile(id: ProfileId, release?: Release): Profile {
  const p = PROFILES[id];
  if (release === undefined || id === 'mock' || !release.startsWith(`${p.specVersion}.`) || release === p.release)
    return p;
  return serverProfile(id, DESCRIPTIONS[id], SPEC_OF[id], release);
}
export const hasCapability = (p: Profile, c: Capability): boolean => p.capabilities.includes(c);
