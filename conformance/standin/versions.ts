import type { OnezoneVersion } from './types.js';
import { bareJson, empty, json, type Reply } from './reply.js';

/**
 * What differs between Onezone releases for these three operations, as data
 * (../shared/onezone/real-server-behaviour.md §1-§4). Nothing else in the stand-in branches on a version.
 */
export interface VersionBehaviour {
  readonly version: OnezoneVersion;
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
  /** 20.02: version-2 identifiers `2/nmd/usr-<id>/act/<id>` (CT e4a7fbe6 tokens:to_identifier). */
  readonly namedTokenIdentifiers: boolean;
  /** oz-worker zone_routes.erl: GET /configuration exists from 18.02 (not in 17.06.2). */
  readonly configurationRelease: string | undefined;
  readonly errors: ErrorReplies;
}

/** Why authentication failed; each release words it differently (§3). */
export type AuthFailure =
  | { kind: 'basic-bad' }
  | { kind: 'basic-malformed' }
  | { kind: 'token-garbage' }
  | { kind: 'token-invalid' }
  | { kind: 'token-expired'; validUntil: number }
  | { kind: 'token-caveat-unknown'; caveat: string };

export interface ErrorReplies {
  /** During authentication: no content-type (cowboy defaults only). */
  auth(f: AuthFailure, quirks: boolean): Reply;
  /** A client without credentials, after content negotiation. */
  nobody(quirks: boolean): Reply;
  /** DELETE of a token that is not in the caller's list (after negotiation: content-type json). */
  notFound(): Reply;
  /** POST with a body that is not a JSON object. */
  malformedData(): Reply;
}

/** The idealised answer for a client without credentials where the release itself answers 404. */
const IDEAL_NOBODY_TEXT = 'You must authenticate yourself to perform this operation.';

const BASIC_BAD_17 = 'Provided basic authorization credentials are not valid';
const DATA_BAD_17 = 'Provided data could not be understood by the server';

function legacyErrors(tokenText: string): ErrorReplies {
  return {
    auth(f, quirks) {
      if (f.kind === 'basic-malformed' && quirks) return empty(500); // the Basic parser crashes (§3)
      if (f.kind === 'basic-bad' || f.kind === 'basic-malformed') return bareJson(401, { error: BASIC_BAD_17 });
      return bareJson(401, { error: tokenText });
    },
    // §3 notes: nobody's user record '' is looked up before authorization: 404, empty, content-type json.
    nobody: (quirks) => (quirks ? empty(404, 'application/json') : bareJson(401, { error: IDEAL_NOBODY_TEXT })),
    notFound: () => empty(404, 'application/json'),
    malformedData: () => json(400, { error: DATA_BAD_17 }),
  };
}

const errors1902: ErrorReplies = {
  auth(f, quirks) {
    if (f.kind === 'basic-malformed' && quirks) return bareJson(500, { error: { id: 'internalServerError' } });
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
  malformedData: () => json(400, { error: { id: 'badMessage', description: DATA_BAD_17 } }),
};

/** CT e4a7fbe6 errors:to_json/1 texts for the inner errors of ?ERROR_UNAUTHORIZED(Inner). */
function inner2002(f: AuthFailure): Record<string, unknown> {
  switch (f.kind) {
    case 'basic-bad':
    case 'basic-malformed':
      return { id: 'badBasicCredentials', description: 'Invalid username or password.' };
    case 'token-garbage':
      return { id: 'badToken', description: 'Provided token could not be understood by the server.' };
    case 'token-invalid':
      return { id: 'tokenInvalid', description: 'Provided token is not valid.' };
    case 'token-expired':
      return {
        id: 'tokenCaveatUnverified',
        details: { caveat: { type: 'time', validUntil: f.validUntil } },
        description: `Provided token is not valid - unverified time caveat: this token has expired at '${iso8601(f.validUntil)}'.`,
      };
    case 'token-caveat-unknown':
      return {
        id: 'tokenCaveatUnknown',
        details: { caveat: f.caveat },
        description: `Unknown caveat - '${f.caveat}'.`,
      };
  }
}

const iso8601 = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const errors2002: ErrorReplies = {
  // 20.02 catches malformed Basic values too: never a 500 here, quirks or not.
  auth: (f) =>
    bareJson(401, {
      error: {
        id: 'unauthorized',
        details: { authError: inner2002(f) },
        description: 'Provided authentication is not valid (see details).',
      },
    }),
  nobody: () => json(401, { error: { id: 'unauthorized', description: IDEAL_NOBODY_TEXT } }),
  notFound: () => json(404, { error: { id: 'notFound', description: 'The resource could not be found.' } }),
  malformedData: () =>
    json(400, { error: { id: 'badMessage', description: 'Provided data could not be understood by the server.' } }),
};

export const VERSIONS: Readonly<Record<OnezoneVersion, VersionBehaviour>> = {
  '17.06': {
    version: '17.06',
    tokensFirst: false,
    tokenHeaders: ['macaroon', 'x-auth-token'],
    deleteStatus: 202,
    bodilessPostAnyType: false,
    listOrder: 'newest-first',
    locationIsDomain: false,
    namedTokenIdentifiers: false,
    configurationRelease: undefined,
    errors: legacyErrors('Provided authorization token is not valid'),
  },
  '18.02': {
    version: '18.02',
    tokensFirst: false,
    tokenHeaders: ['macaroon', 'x-auth-token', 'bearer'],
    deleteStatus: 204,
    bodilessPostAnyType: true,
    listOrder: 'newest-first',
    locationIsDomain: false,
    namedTokenIdentifiers: false,
    configurationRelease: '18.02.3',
    errors: legacyErrors('Provided authorization token could not be understood by the server'),
  },
  '19.02': {
    version: '19.02',
    tokensFirst: false,
    tokenHeaders: ['x-auth-token', 'bearer', 'macaroon'],
    deleteStatus: 204,
    bodilessPostAnyType: true,
    listOrder: 'newest-first',
    locationIsDomain: true,
    namedTokenIdentifiers: false,
    configurationRelease: '19.02.5',
    errors: errors1902,
  },
  '20.02': {
    version: '20.02',
    tokensFirst: true,
    tokenHeaders: ['x-auth-token', 'bearer', 'macaroon'],
    deleteStatus: 204,
    bodilessPostAnyType: true,
    listOrder: 'by-name',
    locationIsDomain: true,
    namedTokenIdentifiers: true,
    configurationRelease: '20.02.1',
    errors: errors2002,
  },
};
