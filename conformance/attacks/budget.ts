/**
 * How much generated work a run does. The default keeps a full run fast; `--depth thorough` (or a number of
 * cases) trades time for coverage; `--depth 0` runs none (the generated checks are skipped: a smoke run, and
 * the bench's baseline "without generated cases"). Every run has a seed; the same seed, depth and target replay
 * the same cases.
 */
export type Depth = 'default' | 'thorough' | number;

export interface Budget {
  /** Generated requests with credentials that must not authenticate (or must yield only their owner's list). */
  readonly attacks: number;
  /** Generated requests with one good credential. */
  readonly goods: number;
  /** Lifecycle model: command sequences, and commands per sequence. */
  readonly lifecycleRuns: number;
  readonly lifecycleCommands: number;
  /** Extra cases a failing property may try while shrinking. */
  readonly shrink: number;
}

/** Random cases on top of the fixed examples (examples.ts: ~46 attacks, ~20 good requests). */
const DEFAULT: Budget = { attacks: 6, goods: 2, lifecycleRuns: 1, lifecycleCommands: 10, shrink: 150 };
const THOROUGH: Budget = { attacks: 3000, goods: 500, lifecycleRuns: 20, lifecycleCommands: 25, shrink: 1000 };

/** `--depth 0`: the generated checks do not run (preconditions.ts skips them, requirement `generated`). */
const NONE: Budget = { attacks: 0, goods: 0, lifecycleRuns: 0, lifecycleCommands: 0, shrink: 0 };

export function budgetOf(depth: Depth): Budget {
  if (depth === 'default') return DEFAULT;
  if (depth === 0) return NONE;
  if (depth === 'thorough') return THOROUGH;
  const n = Math.max(1, Math.floor(depth));
  return {
    attacks: n,
    goods: Math.max(1, Math.ceil(n / 6)),
    lifecycleRuns: Math.max(1, Math.ceil(n / 150)),
    lifecycleCommands: n >= 1000 ? 25 : 10,
    shrink: Math.max(150, Math.min(1000, n)),
  };
}

/** `default`, `thorough`, 0 or a positive integer; undefined when the text is none of these. */
export function parseDepth(text: string): Depth | undefined {
  if (text === 'default' || text === 'thorough') return text;
  return /^(0|[1-9][0-9]{0,6})$/.test(text) ? Number(text) : undefined;
}

/** The run's generated-testing settings and tally, shared by the generated checks and the report. */
export interface GeneratedRun {
  readonly seed: number;
  readonly depth: Depth;
  /** Generated cases judged so far (shrinking included). */
  cases: number;
}
