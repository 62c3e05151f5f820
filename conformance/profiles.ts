/**
 * Runner profiles: what a kind of target is expected to do. Profiles are data; checks read them and never
 * branch on a profile's name. Every difference between versions is taken from
 * ../shared/onezone/real-server-behaviour.md (sections 2-4), cited per field.
 */
export type SpecVersion = '17.06' | '18.02' | '19.02' | '20.02';

/**
 * What a target can be asked to show. A check that needs a capability the profile lacks is skipped with
 * P_PROFILE (a spec mock cannot verify credentials, keep state or isolate users).
 */
export type Capability =
  | 'verifies-credentials' // wrong passwords, garbage and attenuated tokens are really judged
  | 'token-auth' // listed tokens authenticate (X-Auth-Token and friends)
  | 'error-bodies' // error bodies follow the spec's Error schema
  | 'http-semantics' // 405/406/HEAD/OPTIONS/trailing-slash behave like cowboy_rest
  | 'lifecycle' // POST creates, DELETE removes, state is kept
  | 'isolation'; // users have separate lists

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
  /** The `Macaroon` header authenticates (all versions; deprecated from 19.02, still served). */
  readonly macaroonHeader: boolean;
  /** Status of a successful DELETE /user/client_tokens/{tid}: 202 in 17.06, 204 from 18.02. */
  readonly deleteStatus: 202 | 204;
  /** List order: newest first up to 19.02; by token name (roughly oldest first) from 20.02. */
  readonly listOrder: 'newest-first' | 'by-name';
}

const SERVER_CAPABILITIES: readonly Capability[] = [
  'verifies-credentials',
  'token-auth',
  'error-bodies',
  'http-semantics',
  'lifecycle',
  'isolation',
];

export const PROFILES = {
  'onezone-17.06': {
    id: 'onezone-17.06',
    description: 'Onezone 17.06.x (oz-worker 17.06.2): the documented operation; 404 without credentials tolerated',
    specVersion: '17.06',
    capabilities: SERVER_CAPABILITIES,
    // 17.06.2 derives 404 with an empty body for nobody (real-server-behaviour.md §3 notes); 401 is the spec's answer.
    noCredentials: [{ status: 401 }, { status: 404, emptyBody: true }],
    bearer: false,
    macaroonHeader: true,
    deleteStatus: 202,
    listOrder: 'newest-first',
  },
  'onezone-18.02': {
    id: 'onezone-18.02',
    description: 'Onezone 18.02.x: Bearer tokens, 204 on DELETE; still 404 without credentials',
    specVersion: '18.02',
    capabilities: SERVER_CAPABILITIES,
    noCredentials: [{ status: 401 }, { status: 404, emptyBody: true }],
    bearer: true,
    macaroonHeader: true,
    deleteStatus: 204,
    listOrder: 'newest-first',
  },
  'onezone-19.02': {
    id: 'onezone-19.02',
    description: 'Onezone 19.02.x: 401 without credentials, error bodies as objects',
    specVersion: '19.02',
    capabilities: SERVER_CAPABILITIES,
    noCredentials: [{ status: 401 }],
    bearer: true,
    macaroonHeader: true,
    deleteStatus: 204,
    listOrder: 'newest-first',
  },
  'onezone-20.02': {
    id: 'onezone-20.02',
    description: 'Onezone 20.02.x and 21.02.x: the operation is deprecated; named tokens listed by name',
    specVersion: '20.02',
    capabilities: SERVER_CAPABILITIES,
    noCredentials: [{ status: 401 }],
    bearer: true,
    macaroonHeader: true,
    deleteStatus: 204,
    listOrder: 'by-name',
  },
  mock: {
    id: 'mock',
    description: 'a spec mock (Prism): only what examples and presence-only security checks can satisfy',
    specVersion: '17.06',
    // Prism checks that a credential is present, never that it is valid (stoplightio/prism#2313), keeps no
    // state and answers errors as application/problem+json, so only the list's shape can be judged.
    capabilities: [],
    noCredentials: [{ status: 401 }],
    bearer: false,
    macaroonHeader: true,
    deleteStatus: 202,
    listOrder: 'newest-first',
  },
} as const satisfies Record<string, Profile>;

export type ProfileId = keyof typeof PROFILES;
export const PROFILE_IDS = Object.keys(PROFILES) as ProfileId[];
export const isProfileId = (s: string): s is ProfileId => Object.hasOwn(PROFILES, s);
export const getProfile = (id: ProfileId): Profile => PROFILES[id];
export const hasCapability = (p: Profile, c: Capability): boolean => p.capabilities.includes(c);
