/**
 * What a test does when its environment cannot run it: say why, and skip locally; under CI (the environment
 * variable CI set, as every CI service does) a test that did not run proves nothing, so it fails instead.
 */
export function underCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export function cannotRun(ctx: Mocha.Context, why: string): never {
  if (underCi()) throw new Error(`${why} (under CI a test that cannot run is a failure)`);
  // Mocha's reporter shows a skipped test by name only; the reason goes to the console beside it.
  console.warn(`      cannot run, skipped: ${why}`);
  ctx.skip();
}
