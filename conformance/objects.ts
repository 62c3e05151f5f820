/**
 * A plain JSON-like object: not null, not an array. The one test for "is this an object with keys" that the
 * spec loader, the doc renderer and the stand-in's file readers share.
 */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
