import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunConfig } from '../../config.js';
import { withStandin, type RunningStandin, type StandinOptions } from '../../standin/server.js';

/**
 * What the runner's end-to-end tests share: a stand-in that lives for one test, and the RunConfig of a run
 * against it as its two seeded users (writes allowed, profile 17.06, a short timeout), which each test changes
 * where it says so.
 */

export { withStandin };

/** withStandin with its users from a seed file of these users, removed afterwards. */
export async function withSeededStandin<T>(
  users: readonly { name: string; password: string; tokens: number }[],
  opts: StandinOptions,
  fn: (s: RunningStandin) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'standin-seed-'));
  try {
    const seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify({ users }));
    return await withStandin({ ...opts, seedFile }, fn);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface StandinRunOptions {
  /** Where the run goes instead of the stand-in's own URL (a proxy in front of it). */
  readonly target?: string;
  /** Without the second user (default: with). */
  readonly withOther?: boolean;
}

/** A run against `s` as its first user, with its second user as --other-user; `over` changes any field. */
export function standinRunConfig(
  s: RunningStandin,
  over: Partial<RunConfig> = {},
  opts: StandinRunOptions = {},
): RunConfig {
  const [user, other] = s.users;
  if (!user || !other) throw new Error('the stand-in must seed two users');
  return {
    target: opts.target ?? s.url,
    user: { name: user.name, password: user.password },
    ...((opts.withOther ?? true) && { otherUser: { name: other.name, password: other.password } }),
    insecure: false,
    allowWrites: true,
    profile: 'onezone-17.06',
    timeoutMs: 2000,
    embedded: false,
    ...over,
  };
}
