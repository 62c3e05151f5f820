import { randomBytes } from 'node:crypto';
import { iso8601 } from './caveats.js';
import type { OnezoneVersion } from './types.js';
import { bareJson, empty, json, type Reply } from './reply.js';

/**
 * What differs between Onezone releases for these three operations, as data (real-server-behaviour.md
 * §1-§4 for 17.06-20.02, real-server-2102.md §1 for 20.02 and 21.02). Nothing else in the stand-in branches
 * on a version. This table is the stand-in's own model of the server; a test checks that it agrees with
 * the spec's x-onezone-expectations, which were written independently.
 */
export type OnezoneLine = '17.06' | '18.02' | '19.02' | '20.02' | '21.02';

export interface VersionBehaviour {
  readonly version: OnezoneVersion;
  readonly line: OnezoneLine;
  /** The oz-worker release modelled, e.g. 17.06.2, 20.02.1, 21.02.7. */
  readonly release: string;
  /** §2: 20.02 tries tokens before Basic; earlier releases Basic first. */
  readonly tokensFirst: boolean;
  /** §2: header precedence for the access token. */
  readonly tokenHeaders: readonly ('macaroon' | 'x-auth-token' | 'bearer')[];
  /** §4: DELETE answers 202 in 17.06.2 (a TODO upstream), 204 from 18.02. */
  readonly deleteStatus: 202 | 204;
  /** §1: from 18.02 a POST without a body accepts any content type. */
  readonly bodilessPostAnyType: boolean;
  /** §4: list order. */
  readonly listOrder: 'newest-first' | 'by-name';
  /** §4: token location is `onezone` up to 18.02, the Onezone domain from 19.02. */
  readonly locationIsDomain: boolean;
  /** 20.02: version-2 identifiers `2/nmd/usr-<uid>/act/<32hex>ch<4hex>` (CT tokens:to_identifier/1). */
  readonly namedTokenIdentifiers: boolean;
  /** oz-worker zone_routes.erl: GET /configuration exists from 18.02 (not in 17.06.2). */
  readonly configurationRelease: string | undefined;
  /** 2102 §1.8: 20.02+ verifies the CT caveat set on REST; before, only `time <` and `providerId = `. */
  readonly restCaveats: boolean;
  /** 2102 §1.4: up to 19.02 a token whose base62 escaping is invalid is read as plain base64url. */
  readonly lenientDeserialize: boolean;
  /** 2102 §1.7: DELETE of another user's token: 403 from 20.02 (global existence), 404 before (list membership). */
  readonly deleteForeign: 'forbidden' | 'not-found';
  /**
   * 2102 §1.5: the 415 carries the content-type that cowboy_rest's set_content_type put on the reply before
   * accept_resource. cowboy 1's cowboy_rest (17.06) has the same order, as the 17.06 DELETE 202 with
   * content-type shows, so this holds in every release.
   */
  readonly unsupportedTypeContentType: string | undefined;
  /** The web server: cowboy 1 (17.06.2) or cowboy 2.3+ (18.02.3 on); their header limits answer differently. */
  readonly cowboyMajor: 1 | 2;
  /** 2102 D1: `access-control-allow-origin: *` on every REST-handler reply (21.02.5+). */
  readonly acao: boolean;
  /** 2102 D2: the circuit breaker exists (21.02.6+). */
  readonly circuitBreaker: boolean;
  /** 2102 D4: users can be blocked (20.02.7+). */
  readonly userBlocking: boolean;
  /** 2102 D6: a GUI session cookie takes part in token checks (20.02.2+). */
  readonly sessionCookie: boolean;
  /** Basic auth can be switched off in auth.config with an error of its own (18.02+; 17.06 asks Onepanel). */
  readonly basicAuthSwitch: boolean;
  /** 2102 §1.6: the list shows every named access token, so a used account is 'lived-in' by default. */
  readonly livedInByDefault: boolean;
  readonly errors: ErrorReplies;
}

/** Why authentication failed; each release words it differently (§3). */
export type AuthFailure =
  | { kind: 'basic-bad' }
  | { kind: 'basic-malformed' }
  | { kind: 'basic-not-supported' }
  | { kind: 'user-blocked' }
  | { kind: 'token-garbage' }
  | { kind: 'token-invalid' }
  | { kind: 'token-revoked' }
  | { kind: 'token-session-invalid' }
  | { kind: 'token-caveat-unverified'; caveat: Record<string, unknown>; description: string }
  | { kind: 'token-caveat-unknown'; caveat: string };

export interface ErrorReplies {
  /** During authentication: no content-type (cowboy defaults only). */
  auth(f: AuthFailure, quirks: boolean): Reply;
  /** A client without credentials, after content negotiation. */
  nobody(quirks: boolean): Reply;
  /** DELETE of a token that does not exist for the caller (after negotiation: content-type json). */
  notFound(): Reply;
  /** DELETE of another user's token (20.02+). */
  forbidden(): Reply;
  /** POST with a body that is not a JSON object. */
  malformedData(): Reply;
  /** An `api` caveat excludes the operation: raised by entity logic, so with content-type json. */
  apiCaveat(caveat: Record<string, unknown>, description: string): Reply;
  /** The circuit breaker is open (21.02.6+). */
  serviceUnavailable(): Reply;
  /** Entity logic crashed (e.g. the state could not be stored). */
  internal(): Reply;
}

/** The idealised answer for a client without credentials where the release itself answers 404. */
const IDEAL_NOBODY_TEXT = 'You must authenticate yourself to perform this operation.';

const BASIC_BAD_17 = 'Provided basic authorization credentials are not valid';
const DATA_BAD_17 = 'Provided data could not be understood by the server';

function legacyErrors(tokenText: string): ErrorReplies {
  return {
    auth(f, quirks) {
      if (f.kind === 'basic-malformed' && quirks) return empty(500); // the Basic parser crashes (§3)
      // 18.02.3 rest_auth_test_SUITE: Basic auth disabled → ?ERROR_NOT_SUPPORTED → 400.
      if (f.kind === 'basic-not-supported') return bareJson(400, { error: 'This operation is not supported' });
      if (f.kind === 'basic-bad' || f.kind === 'basic-malformed') return bareJson(401, { error: BASIC_BAD_17 });
      return bareJson(401, { error: tokenText });
    },
    // §3 notes: nobody's user record '' is looked up before authorization: 404, empty, content-type json.
    nobody: (quirks) => (quirks ? empty(404, 'application/json') : bareJson(401, { error: IDEAL_NOBODY_TEXT })),
    notFound: () => empty(404, 'application/json'),
    forbidden: () => empty(404, 'application/json'),
    malformedData: () => json(400, { error: DATA_BAD_17 }),
    apiCaveat: () => bareJson(401, { error: tokenText }),
    serviceUnavailable: () => empty(503),
    internal: () => empty(500),
  };
}

const errors1902: ErrorReplies = {
  auth(f, quirks) {
    if (f.kind === 'basic-malformed' && quirks) return bareJson(500, { error: { id: 'internalServerError' } });
    if (f.kind === 'basic-not-supported') {
      return bareJson(401, {
        error: { id: 'basicAuthNotSupported', description: 'Basic auth is not supported by this Onezone.' },
      });
    }
    if (f.kind === 'basic-bad' || f.kind === 'basic-malformed') {
      return bareJson(401, {
        error: { id: 'badBasicCredentials', description: 'Provided basic authorization credentials are not valid' },
      });
    }
    return bareJson(401, {
      error: { id: 'badMacaroon', description: 'Provided authorization token could not be understood by the server' },
    });
  },
  nobody: () => json(401, { error: { id: 'unauthorized' } }),
  notFound: () => json(404, { error: { id: 'notFound' } }),
  forbidden: () => json(404, { error: { id: 'notFound' } }),
  // real-server-2102.md §3.1 #6: CW 01d6db44 gs_protocol_errors, OZ 19.02.5 translator (no trailing dot).
  malformedData: () => json(400, { error: { id: 'malformedData', description: DATA_BAD_17 } }),
  apiCaveat: () => json(401, { error: { id: 'unauthorized' } }),
  serviceUnavailable: () => json(503, { error: { id: 'serviceUnavailable' } }),
  internal: () => json(500, { error: { id: 'internalServerError' } }),
};

/** CT b0f0aa86 errors:to_json/1 texts for the inner errors of ?ERROR_UNAUTHORIZED(Inner). */
function inner2002(f: AuthFailure): Record<string, unknown> {
  switch (f.kind) {
    case 'basic-bad':
    case 'basic-malformed':
      return { id: 'badBasicCredentials', description: 'Invalid username or password.' };
    case 'basic-not-supported':
      return { id: 'basicAuthNotSupported', description: 'Basic auth is not supported by this Onezone.' };
    case 'user-blocked':
      return {
        id: 'userBlocked',
        description:
          'This user account has been blocked by the administrator and cannot be used unless it is unblocked again.',
      };
    case 'token-garbage':
      return { id: 'badToken', description: 'Provided token could not be understood by the server.' };
    case 'token-invalid':
      return { id: 'tokenInvalid', description: 'Provided token is not valid.' };
    case 'token-revoked':
      return { id: 'tokenRevoked', description: 'Provided token has been revoked.' };
    case 'token-session-invalid':
      return {
        id: 'tokenSessionInvalid',
        description: 'This token is bound to a session different than presented by the client or no longer existent.',
      };
    case 'token-caveat-unverified':
      return unverified(f.caveat, f.description);
    case 'token-caveat-unknown':
      return {
        id: 'tokenCaveatUnknown',
        details: { caveat: f.caveat },
        description: `Unknown caveat - '${f.caveat}'.`,
      };
  }
}

const unverified = (caveat: Record<string, unknown>, description: string): Record<string, unknown> => ({
  id: 'tokenCaveatUnverified',
  details: { caveat },
  description: `Provided token is not valid - ${description}.`,
});

const wrapUnauthorized = (inner: Record<string, unknown>): { error: Record<string, unknown> } => ({
  error: {
    id: 'unauthorized',
    details: { authError: inner },
    description: 'Provided authentication is not valid (see details).',
  },
});

function errors2002(internalWithReference: boolean): ErrorReplies {
  return {
    // 20.02 catches malformed Basic values too: never a 500 here, quirks or not.
    auth: (f) => bareJson(401, wrapUnauthorized(inner2002(f))),
    nobody: () => json(401, { error: { id: 'unauthorized', description: IDEAL_NOBODY_TEXT } }),
    notFound: () => json(404, { error: { id: 'notFound', description: 'The resource could not be found.' } }),
    forbidden: () =>
      json(403, { error: { id: 'forbidden', description: 'You are not authorized to perform this operation.' } }),
    malformedData: () =>
      json(400, {
        error: { id: 'malformedData', description: 'Provided data could not be understood by the server.' },
      }),
    apiCaveat: (caveat, description) => json(401, wrapUnauthorized(unverified(caveat, description))),
    serviceUnavailable: () =>
      json(503, {
        error: { id: 'serviceUnavailable', description: 'Service required for this operation is offline.' },
      }),
    internal: () => {
      if (!internalWithReference) {
        return json(500, {
          error: {
            id: 'internalServerError',
            description: 'The server has encountered an error while processing this request.',
          },
        });
      }
      // CT include/logging.hrl ?make_error_ref(): str_utils:rand_hex(5), ten hex digits.
      const reference = randomBytes(5).toString('hex');
      return json(500, {
        error: {
          id: 'internalServerError',
          details: { reference },
          description:
            'The server has encountered an error while processing this request. If the problem persists, ' +
            `please contact the site's administrators, citing the following reference: ${reference}.`,
        },
      });
    },
  };
}

const LEGACY = {
  cowboyMajor: 2,
  restCaveats: false,
  lenientDeserialize: true,
  deleteForeign: 'not-found',
  unsupportedTypeContentType: 'application/json',
  acao: false,
  circuitBreaker: false,
  userBlocking: false,
  sessionCookie: false,
  livedInByDefault: false,
} as const;

const V1702: VersionBehaviour = {
  ...LEGACY,
  cowboyMajor: 1,
  version: '17.06',
  line: '17.06',
  release: '17.06.2',
  tokensFirst: false,
  tokenHeaders: ['macaroon', 'x-auth-token'],
  deleteStatus: 202,
  bodilessPostAnyType: false,
  listOrder: 'newest-first',
  locationIsDomain: false,
  namedTokenIdentifiers: false,
  configurationRelease: undefined,
  basicAuthSwitch: false,
  errors: legacyErrors('Provided authorization token is not valid'),
};

const V1802: VersionBehaviour = {
  ...LEGACY,
  version: '18.02',
  line: '18.02',
  release: '18.02.3',
  tokensFirst: false,
  tokenHeaders: ['macaroon', 'x-auth-token', 'bearer'],
  deleteStatus: 204,
  bodilessPostAnyType: true,
  listOrder: 'newest-first',
  locationIsDomain: false,
  namedTokenIdentifiers: false,
  configurationRelease: '18.02.3',
  basicAuthSwitch: true,
  errors: legacyErrors('Provided authorization token could not be understood by the server'),
};

const V1902: VersionBehaviour = {
  ...LEGACY,
  version: '19.02',
  line: '19.02',
  release: '19.02.5',
  tokensFirst: false,
  tokenHeaders: ['x-auth-token', 'bearer', 'macaroon'],
  deleteStatus: 204,
  bodilessPostAnyType: true,
  listOrder: 'newest-first',
  locationIsDomain: true,
  namedTokenIdentifiers: false,
  configurationRelease: '19.02.5',
  basicAuthSwitch: true,
  errors: errors1902,
};

const V2002: VersionBehaviour = {
  version: '20.02',
  cowboyMajor: 2,
  line: '20.02',
  release: '20.02.1',
  tokensFirst: true,
  tokenHeaders: ['x-auth-token', 'bearer', 'macaroon'],
  deleteStatus: 204,
  bodilessPostAnyType: true,
  listOrder: 'by-name',
  locationIsDomain: true,
  namedTokenIdentifiers: true,
  configurationRelease: '20.02.1',
  restCaveats: true,
  lenientDeserialize: false,
  deleteForeign: 'forbidden',
  unsupportedTypeContentType: 'application/json',
  acao: false,
  circuitBreaker: false,
  userBlocking: false,
  sessionCookie: false,
  basicAuthSwitch: true,
  livedInByDefault: true,
  errors: errors2002(false),
};

/** 21.02.x: 20.02 plus D1 (ACAO, .5), D2 (breaker, .6), D3 (500 reference, .1), D4-D6 (from 20.02.2/.7). */
function v2102(patch: number, version: OnezoneVersion): VersionBehaviour {
  const release = `21.02.${patch}`;
  return {
    ...V2002,
    version,
    line: '21.02',
    release,
    configurationRelease: release,
    acao: patch >= 5,
    circuitBreaker: patch >= 6,
    userBlocking: true,
    sessionCookie: true,
    errors: errors2002(patch >= 1),
  };
}

export const VERSIONS: Readonly<Record<OnezoneVersion, VersionBehaviour>> = {
  '17.06': V1702,
  '18.02': V1802,
  '19.02': V1902,
  '20.02': V2002,
  '21.02': v2102(7, '21.02'),
  '21.02.0': v2102(0, '21.02.0'),
  '21.02.1': v2102(1, '21.02.1'),
  '21.02.2': v2102(2, '21.02.2'),
  '21.02.3': v2102(3, '21.02.3'),
  '21.02.4': v2102(4, '21.02.4'),
  '21.02.5': v2102(5, '21.02.5'),
  '21.02.6': v2102(6, '21.02.6'),
  '21.02.7': v2102(7, '21.02.7'),
};

export { iso8601 };
