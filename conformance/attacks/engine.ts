import fc from 'fast-check';

/**
 * Runs one generated property with fast-check: seeded (a run is replayed exactly by its seed), bounded (a fixed
 * number of generated cases, and a bounded number of extra cases while shrinking), and shrunk (a failure is
 * reported as the simplest case that still fails, with the message and evidence of that very case).
 */
export interface EngineOptions<T> {
  readonly seed: number;
  /** Generated cases to try. */
  readonly runs: number;
  /** Extra cases the shrinker may try after the first failure. */
  readonly shrinkBudget: number;
  /** Cases tried first, before the generated ones (they are in addition to `runs`). */
  readonly examples?: readonly T[];
}

export interface EngineFailure<T, E> {
  readonly value: T;
  readonly message: string;
  readonly evidence: E;
  /** Shrinking steps that still failed. */
  readonly shrinks: number;
  /** fast-check's replay path of the shrunk case (with the seed, `fc.check(…, { seed, path })`). */
  readonly path: string;
}

export interface EngineResult<T, E> {
  readonly seed: number;
  /** Generated cases judged (not counting shrinking). */
  readonly cases: number;
  /** Cases judged while shrinking. */
  readonly shrinkCases: number;
  readonly failure?: EngineFailure<T, E>;
}

/** What one case found: nothing, or a broken invariant with its evidence. */
export type CaseVerdict<E> = undefined | { readonly message: string; readonly evidence: E };

/** A fresh seed for a run that was not given one; fast-check seeds are 32-bit integers. */
export const freshSeed = (): number => (Math.random() * 0x7fffffff) | 0;

export async function runProperty<T, E>(
  arb: fc.Arbitrary<T>,
  judgeCase: (value: T) => Promise<CaseVerdict<E>>,
  opts: EngineOptions<T>,
): Promise<EngineResult<T, E>> {
  let cases = 0;
  let shrinkCases = 0;
  let last: { value: T; message: string; evidence: E } | undefined;
  let aborted: { error: unknown } | undefined;
  const property = fc.asyncProperty(arb, async (value) => {
    // A harness error (the target stopped answering…) is not a counterexample: the remaining cases pass
    // without a request and the error is rethrown after the run, so nothing is shrunk towards it.
    if (aborted !== undefined) return true;
    if (last !== undefined) {
      // Shrinking: once the budget is spent every further candidate is skipped, which ends the shrinking with
      // the simplest failing case found so far (a skipped candidate never replaces it).
      if (shrinkCases >= opts.shrinkBudget) fc.pre(false);
      shrinkCases++;
    } else cases++;
    let verdict: CaseVerdict<E>;
    try {
      verdict = await judgeCase(value);
    } catch (error) {
      aborted = { error };
      return true;
    }
    if (verdict === undefined) return true;
    last = { value, message: verdict.message, evidence: verdict.evidence };
    return false;
  });
  const examples = (opts.examples ?? []).map((e): [T] => [e]);
  const details = await fc.check(property, { seed: opts.seed, numRuns: opts.runs + examples.length, examples });
  // A failure found before the target stopped answering is still proof; without one, we could not judge.
  if (aborted !== undefined && last === undefined) throw aborted.error;
  const base = { seed: opts.seed, cases, shrinkCases };
  if (!details.failed) return base;
  if (details.errorInstance !== null && last === undefined)
    throw details.errorInstance instanceof Error
      ? details.errorInstance
      : new Error('the property failed without a verdict');
  if (last === undefined) return base;
  return {
    ...base,
    failure: { ...last, shrinks: details.numShrinks, path: details.counterexamplePath ?? '' },
  };
}
