import * as fc from 'fast-check';

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
  /**
   * Cases judged at once (default 1). Above 1 the cases are independent requests: they are generated exactly as
   * the sequential run would (same seed, same order) and judged that many at a time; only if one fails is the
   * property run again one case at a time, so that the first failure, its shrinking and its replay path are
   * exactly those of the sequential run. Never for cases that change the target (the lifecycle model).
   */
  readonly concurrency?: number;
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
  /**
   * Set when the cases sent `concurrency` at a time met a refusal (`declined`) or a harness error that the run
   * one at a time did not meet: the verdict is that run's; this says what happened, for the check's notes.
   */
  readonly concurrencyNote?: string;
}

/**
 * What one case found: nothing, or a broken invariant with its evidence. `declined`: the server refused to
 * serve (a 5xx to a good credential) rather than breaking an invariant; seen only with concurrent requests,
 * that is load, not a fault, and the one-at-a-time run decides.
 */
export type CaseVerdict<E> =
  undefined | { readonly message: string; readonly evidence: E; readonly declined?: boolean };

/** A fresh seed for a run that was not given one; fast-check seeds are 32-bit integers. */
export const freshSeed = (): number => (Math.random() * 0x7fffffff) | 0;

export async function runProperty<T, E>(
  arb: fc.Arbitrary<T>,
  judgeCase: (value: T) => Promise<CaseVerdict<E>>,
  opts: EngineOptions<T>,
): Promise<EngineResult<T, E>> {
  if ((opts.concurrency ?? 1) <= 1) return runSequentially(arb, judgeCase, opts);
  const values = await generatedCases(arb, opts);
  const { failed, error } = await judgeConcurrently(values, judgeCase, opts.concurrency ?? 1);
  if (failed === undefined && error === undefined) return { seed: opts.seed, cases: values.length, shrinkCases: 0 };
  // A failure or an error: the sequential run finds the same first failure and shrinks it, with fast-check's
  // replay path, or rethrows the harness error if it happens again (a target that stopped answering).
  const sequential = await runSequentially(arb, judgeCase, opts);
  if (sequential.failure !== undefined) return sequential;
  const many = `${String(opts.concurrency)} requests at once`;
  // Not seen again in order: a breach seen only under concurrent requests (a race) is still proof.
  if (failed !== undefined && failed.verdict.declined !== true) {
    return {
      ...sequential,
      failure: {
        value: failed.value,
        message: `${failed.verdict.message} (seen with ${many}, not when sent one at a time)`,
        evidence: failed.verdict.evidence,
        shrinks: 0,
        path: String(failed.index),
      },
    };
  }
  // A refusal or a harness error only under load: the target is judged by the run one at a time.
  const what =
    failed !== undefined
      ? `a refusal (${failed.verdict.message})`
      : `an error (${error?.error instanceof Error ? error.error.message : String(error?.error)})`;
  return { ...sequential, concurrencyNote: `with ${many} the target answered ${what}; judged one at a time` };
}

/** The cases a sequential run would judge, in its order: fast-check generates them, nothing is sent. */
async function generatedCases<T>(arb: fc.Arbitrary<T>, opts: EngineOptions<T>): Promise<T[]> {
  const values: T[] = [];
  const examples = (opts.examples ?? []).map((e): [T] => [e]);
  // The same asyncProperty over the same arbitrary as runSequentially: the same generation, case for case.
  const record = fc.asyncProperty(arb, (value) => {
    values.push(value);
    return Promise.resolve(true);
  });
  await fc.check(record, { seed: opts.seed, numRuns: opts.runs + examples.length, examples });
  return values;
}

interface ConcurrentOutcome<T, E> {
  /** The first failing case in generation order, a breach before a refusal, if any. */
  readonly failed?: { index: number; value: T; verdict: NonNullable<CaseVerdict<E>> };
  /** The first case (in generation order) that threw: a harness error. */
  readonly error?: { index: number; error: unknown };
}

const earlier = (index: number, than: { index: number } | undefined): boolean =>
  than === undefined || index < than.index;

/** The failure to keep: a breach before any refusal (a refusal may be only the load), then the earliest. */
function keeps<T, E>(
  candidate: NonNullable<ConcurrentOutcome<T, E>['failed']>,
  current: ConcurrentOutcome<T, E>['failed'],
): boolean {
  if (current === undefined) return true;
  const [refused, refusedNow] = [candidate.verdict.declined === true, current.verdict.declined === true];
  return refused === refusedNow ? candidate.index < current.index : refusedNow;
}

/** Judges the cases `concurrency` at a time; after a failure or an error no further case starts. */
async function judgeConcurrently<T, E>(
  values: readonly T[],
  judgeCase: (value: T) => Promise<CaseVerdict<E>>,
  concurrency: number,
): Promise<ConcurrentOutcome<T, E>> {
  let next = 0;
  const found: { failed?: ConcurrentOutcome<T, E>['failed']; error?: ConcurrentOutcome<T, E>['error'] } = {};
  const worker = async (): Promise<void> => {
    while (next < values.length && found.failed === undefined && found.error === undefined) {
      const index = next++;
      const value = values[index] as T;
      try {
        const verdict = await judgeCase(value);
        if (verdict !== undefined && keeps({ index, value, verdict }, found.failed))
          found.failed = { index, value, verdict };
      } catch (e) {
        if (earlier(index, found.error)) found.error = { index, error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, values.length) }, worker));
  return { ...(found.failed && { failed: found.failed }), ...(found.error && { error: found.error }) };
}

async function runSequentially<T, E>(
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
