/**
 * What the runner can see in a listed token's caveats that keeps it from authenticating a Onezone REST request
 * now (real-server-2102.md §1.8): the REST auth context is interface `rest`, service `ozw-onezone`, no consumer,
 * data-access caveats disallowed, and the peer's IP, which the runner cannot know as the server sees it. So
 * only `time <` in the future, `interface = rest` and a `service` naming ozw-onezone (or ozw-*) are taken as
 * harmless; every other caveat is an obstacle the runner cannot rule out. This is deliberately the runner's own
 * small reading, not the stand-in's verifier: the stand-in is the model under test.
 */

/** Why a token with these caveat ids cannot authenticate a REST request at `nowSeconds`, or undefined. */
export function restObstacle(caveats: readonly string[], nowSeconds: number): Obstacle | undefined {
  for (const cid of caveats) {
    const o = obstacleOf(cid, nowSeconds);
    if (o) return o;
  }
  return undefined;
}

export interface Obstacle {
  /** `expired`: a `time <` caveat has passed; `restricted`: a caveat a REST request does not satisfy. */
  readonly kind: 'expired' | 'restricted';
  /** For the report: what kind of caveat (interface and service with their value), never the token. */
  readonly text: string;
}

const TIME = /^time < (-?\d+)$/;

function obstacleOf(cid: string, now: number): Obstacle | undefined {
  const time = TIME.exec(cid);
  if (time) {
    const until = Number(time[1]);
    return until <= now ? { kind: 'expired', text: `expired at ${new Date(until * 1000).toISOString()}` } : undefined;
  }
  if (cid === 'interface = rest') return undefined;
  if (cid.startsWith('service = ')) {
    const services = cid.slice('service = '.length).split('|');
    if (services.some((s) => s === 'ozw-onezone' || s === 'ozw-*')) return undefined;
  }
  // interface and service values say what the token is for; other values (paths, ids, addresses) stay out.
  const key = /^[a-z.]+/.exec(cid)?.[0] ?? 'unknown';
  const shown = cid.startsWith('interface = ') || cid.startsWith('service = ') ? cid.slice(0, 60) : `a ${key} caveat`;
  return { kind: 'restricted', text: shown };
}
