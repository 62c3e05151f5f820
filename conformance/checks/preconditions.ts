import type { Depth } from '../attacks/budget.js';
import type { Credentials } from '../config.js';
import { PreconditionError } from '../errors.js';
import { CAPABILITY_MEANING, hasCapability, type Profile } from '../profiles.js';
import type { CheckStatus } from '../report/types.js';
import type { CheckDefinition, Requirement } from './types.js';

/**
 * A check's preconditions, as data: what it `requires` (flags, profile capabilities) and which checks it
 * `dependsOn`. Judged before the check runs, so a check never tests its own applicability in its body and
 * the catalogue can say when each one is skipped.
 */

export interface RunFacts {
  readonly profile: Profile;
  readonly allowWrites: boolean;
  readonly user?: Credentials | undefined;
  readonly otherUser?: Credentials | undefined;
  /** The run's --depth; absent means the default. */
  readonly generated?: { readonly depth: Depth } | undefined;
}

/** What each non-capability requirement needs, for the skip reason and the catalogue. */
export const FLAG_REQUIREMENT: Readonly<Record<'writes' | 'other-user' | 'basic' | 'generated', string>> = {
  writes: 'needs --allow-writes (creates and deletes a temporary token)',
  'other-user': 'needs --other-user NAME:PASSWORD',
  basic: 'needs --user NAME:PASSWORD',
  generated: '--depth 0: no generated cases',
};

/** Why a requirement is not met, or undefined when it is. */
export function unmetRequirement(req: Requirement, run: RunFacts): PreconditionError | undefined {
  switch (req) {
    case 'writes':
      return run.allowWrites ? undefined : new PreconditionError('P_NO_WRITES', FLAG_REQUIREMENT.writes);
    case 'other-user':
      return run.otherUser ? undefined : new PreconditionError('P_NO_OTHER_USER', FLAG_REQUIREMENT['other-user']);
    case 'basic':
      return run.user ? undefined : new PreconditionError('P_NO_BASIC', FLAG_REQUIREMENT.basic);
    case 'generated':
      return run.generated?.depth === 0 ? new PreconditionError('P_DEPTH', FLAG_REQUIREMENT.generated) : undefined;
    default:
      return hasCapability(run.profile, req)
        ? undefined
        : new PreconditionError(
            'P_PROFILE',
            `profile ${run.profile.id} cannot show this (no ${req}: ${CAPABILITY_MEANING[req]})`,
          );
  }
}

/**
 * Why a dependency makes the check pointless, or undefined when every check it depends on passed (cache-tests'
 * `dependency_fail`): the dependent would only repeat the failure, or judge a state that was never reached.
 */
export function unmetDependency(
  check: Pick<CheckDefinition, 'dependsOn'>,
  statusOf: (id: string) => CheckStatus | undefined,
): PreconditionError | undefined {
  for (const id of check.dependsOn ?? []) {
    const status = statusOf(id);
    if (status !== 'passed')
      return new PreconditionError('P_DEPENDENCY', `depends on ${id}, which ${status ?? 'did not run'}`);
  }
  return undefined;
}

/** The first unmet precondition of a check, requirements before dependencies. */
export function unmetPrecondition(
  check: Pick<CheckDefinition, 'requires' | 'dependsOn'>,
  run: RunFacts,
  statusOf: (id: string) => CheckStatus | undefined,
): PreconditionError | undefined {
  for (const req of check.requires ?? []) {
    const why = unmetRequirement(req, run);
    if (why) return why;
  }
  return unmetDependency(check, statusOf);
}
