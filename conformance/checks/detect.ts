import type { HttpClient } from '../http.js';
import type { ProfileId } from '../profiles.js';

/**
 * `--profile auto`: what the target reveals about its version, cheapest evidence first. Only answers every
 * Onezone gives to anyone are used (no credentials needed), from real-server-behaviour.md §3:
 * 1. `GET /configuration` (19.02+ publishes its version there; a `version` field "20.02.1" decides outright);
 * 2. the answer without credentials: 404 (17.06/18.02) or 401 with an error object (19.02+), whose
 *    description exists only from 20.02 ("You must authenticate yourself ...");
 * 3. for a string error body, the text for a garbage token: 18.02 says "could not be understood";
 * and a Prism mock gives itself away by its problem+json answer to the unknown /configuration route.
 */
export interface Detection {
  readonly profile: ProfileId;
  readonly reason: string;
  /** The full release /configuration reported (e.g. `21.02.3`), for the answers that changed within a line. */
  readonly release?: string;
}

const VERSIONED: ReadonlyArray<[RegExp, ProfileId]> = [
  [/^17\.06\./, 'onezone-17.06'],
  [/^18\.02\./, 'onezone-18.02'],
  [/^19\.02\./, 'onezone-19.02'],
  [/^20\.02\./, 'onezone-20.02'],
  [/^21\.02\./, 'onezone-21.02'],
];

function errorOf(json: unknown): unknown {
  return (json as { error?: unknown } | undefined)?.error;
}

export async function detectProfile(http: HttpClient, baseUrl: string): Promise<Detection> {
  const [config, none, garbage] = await Promise.all([
    http.send({ method: 'GET', url: `${baseUrl}/configuration` }),
    http.send({ method: 'GET', url: `${baseUrl}/user/client_tokens` }),
    http.send({
      method: 'GET',
      url: `${baseUrl}/user/client_tokens`,
      headers: { 'x-auth-token': 'conformance-garbage-token' },
    }),
  ]);
  const version = (config.json as { version?: unknown } | undefined)?.version;
  if (config.status === 200 && typeof version === 'string') {
    const hit = VERSIONED.find(([re]) => re.test(version));
    const release = /^\d{2}\.\d{2}\.\d+/.exec(version)?.[0];
    if (hit)
      return {
        profile: hit[1],
        reason: `GET /configuration reports version ${version}`,
        ...(release !== undefined && { release }),
      };
  }
  // Prism answers unknown routes with its own problem+json types: a spec mock, not a Onezone. (Accepting a
  // garbage token is NOT taken as a sign of a mock: that would grade a broken server by the mock profile.)
  const problemType = (config.json as { type?: unknown } | undefined)?.type;
  if (typeof problemType === 'string' && problemType.includes('stoplight.io/prism')) {
    return { profile: 'mock', reason: `GET /configuration is answered with Prism's problem type ${problemType}` };
  }
  const noneError = errorOf(none.json);
  if (none.status === 401 && typeof noneError === 'object' && noneError !== null) {
    const described = typeof (noneError as { description?: unknown }).description === 'string';
    return described
      ? {
          profile: 'onezone-20.02',
          reason: '401 without credentials with an error object that has a description (20.02+)',
        }
      : {
          profile: 'onezone-19.02',
          reason: '401 without credentials with an error object without description (19.02)',
        };
  }
  const garbageError = errorOf(garbage.json);
  const stringErrors = typeof garbageError === 'string';
  if (stringErrors && /could not be understood/.test(garbageError)) {
    return {
      profile: 'onezone-18.02',
      reason: `string error bodies; a garbage token gets "${garbageError}" (18.02 wording)`,
    };
  }
  if (stringErrors || none.status === 404) {
    return {
      profile: 'onezone-17.06',
      reason: `string error bodies or 404 without credentials (status ${none.status}); 17.06 wording`,
    };
  }
  return {
    profile: 'onezone-17.06',
    reason: `no version signature found (no-credentials status ${none.status}); the default profile`,
  };
}
