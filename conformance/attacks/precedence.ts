import type { Profile } from '../profiles.js';

/**
 * Where a server reads a credential, and in which order, per Onezone line. The first place that holds a
 * credential decides, and its failure is final (real-server-behaviour.md §2; real-server-2102.md §1.3):
 * - 17.06: Basic, then the Macaroon header, else X-Auth-Token; Bearer is not read.
 * - 18.02: Basic, then Macaroon, then X-Auth-Token, else Authorization: Bearer.
 * - 19.02: Basic, then X-Auth-Token, else Bearer, else Macaroon (deprecated).
 * - 20.02 and 21.02: tokens first (X-Auth-Token, else Bearer, else Macaroon), then Basic.
 * Every other place (query string, cookies, identity headers) is never read: a credential there is nobody's.
 */
export type ReadPlace = 'basic' | 'x-auth-token' | 'macaroon' | 'bearer';

export function readOrder(profile: Profile): readonly ReadPlace[] {
  switch (profile.specVersion) {
    case '17.06':
      return ['basic', 'macaroon', 'x-auth-token'];
    case '18.02':
      return ['basic', 'macaroon', 'x-auth-token', 'bearer'];
    case '19.02':
      return ['basic', 'x-auth-token', 'bearer', 'macaroon'];
    default:
      // 20.02 and every later line read tokens first (21.02.7 has the same rest_handler:is_authorized).
      return profile.bearer ? ['x-auth-token', 'bearer', 'macaroon', 'basic'] : ['x-auth-token', 'macaroon', 'basic'];
  }
}
