import * as attacks from './attacks.js';
import * as auth from './auth.js';
import * as hygiene from './hygiene.js';
import * as isolation from './isolation.js';
import * as lifecycle from './lifecycle.js';
import * as lifecycleModel from './lifecycle-model.js';
import * as methods from './methods.js';
import * as secrets from './secrets.js';
import * as shape from './shape.js';
import * as tokens from './tokens.js';
import type { CheckDefinition } from './types.js';

/**
 * The ordered registry. What order means is data on the checks, not this comment: a check that builds on an
 * earlier one says `dependsOn` (a test asserts the dependency comes first), and the checks that judge every
 * response of the run say `judgesTheRun`, so the runner runs them after all others wherever they stand here.
 * IDs, levels and titles are frozen (test/fixtures/check-ids.json); a test asserts they are unique and
 * kebab-case, and that they cover faults.ts.
 */
export const CHECKS: readonly CheckDefinition[] = [
  auth.noneRejected,
  auth.none401,
  auth.basicValid,
  auth.basicWrongPassword,
  auth.basicUnknownUser,
  auth.basicMalformedRejected,
  auth.basicMalformed4xx,
  tokens.xAuthToken,
  tokens.macaroonHeader,
  auth.bearer,
  tokens.garbage,
  tokens.tamperedSignature,
  tokens.expiredCaveat,
  tokens.futureCaveat,
  tokens.unknownCaveat,
  tokens.sameUser,
  shape.listContentType,
  shape.listSchema,
  shape.listNoNull,
  shape.listNoDuplicates,
  tokens.wellFormed,
  methods.notAllowed,
  methods.allowHeader,
  methods.unacceptable,
  methods.headOptions,
  methods.trailingSlash,
  isolation.disjoint,
  lifecycle.create,
  lifecycle.createdListed,
  lifecycle.createdFirst,
  lifecycle.createdAuthenticates,
  lifecycle.remove,
  lifecycle.deletedUnlisted,
  lifecycle.deletedRejected,
  shape.errorBodies,
  secrets.noPassword,
  secrets.noForeignToken,
  // Issue 11: generated attacks (the checks that judge the whole run still run after them: judgesTheRun).
  attacks.invalidRejected,
  attacks.validOwnList,
  attacks.precedence,
  lifecycleModel.lifecycleModel,
  hygiene.corsNoCredentialedReflection,
  hygiene.contentEncodingTrue,
  hygiene.listNotSharedCacheable,
  hygiene.jsonNoBom,
  hygiene.noTokenInAnySpelling,
];

export const CHECK_IDS: readonly string[] = CHECKS.map((c) => c.id);
export const checkById = (id: string): CheckDefinition | undefined => CHECKS.find((c) => c.id === id);
export type { CheckDefinition } from './types.js';
