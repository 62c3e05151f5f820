import { parseToken, TokenFormatError } from '../../token/index.js';

/**
 * What a listed token shows of where it came from, for the cleanup after a POST whose answer never arrived: the
 * run may delete such a token only when the token itself shows it was minted by a POST during the run. A list
 * answer can lie (a hostile target can show the user's own older token as new and hide the run's), so being
 * new to the list is not enough.
 */

/** The lifetime a POST gives its token: one year, in every release (real-server-behaviour.md §4, 2102 §1.4). */
export const POST_TOKEN_TTL_SECONDS = 31_536_000;

const TIME = /^time < (\d+)$/;

/**
 * When a token of POST form was minted (seconds, by the server's clock): a POST-made token carries exactly one
 * first-party caveat, `time < <minted + one year>`. Undefined for anything else (no token, other caveats): such
 * a token was not made by the run's POST, or cannot be shown to have been.
 */
export function postMintedAt(token: string): number | undefined {
  let caveats;
  try {
    caveats = parseToken(token).caveats;
  } catch (e) {
    if (e instanceof TokenFormatError) return undefined;
    throw e;
  }
  const only = caveats.length === 1 ? caveats[0] : undefined;
  if (only === undefined || only.vid !== undefined) return undefined;
  const until = TIME.exec(only.cid)?.[1];
  return until === undefined ? undefined : Number(until) - POST_TOKEN_TTL_SECONDS;
}

/** A list answer as the ledger keeps it: its tokens, and when it was read by both clocks. */
export interface ListSnapshot {
  readonly tokens: ReadonlySet<string>;
  /** The answer's Date header (seconds), when it has a valid one. */
  readonly serverSeconds: number | undefined;
  /** The local clock (ms) when the request was sent and when its answer arrived. */
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
}

/**
 * Date headers and caveats count whole seconds, stamped by the server's clock (a cluster's nodes may differ by
 * a little more): one second of slack each side, and two on the span's length.
 */
const SLACK_SECONDS = 1;

/**
 * The span (server seconds) in which the run's POSTs ran, from two list answers read before and after them, or
 * undefined when the Date headers are missing or disagree with the local clock (a target that backdates its
 * first Date to widen the span is not believed: the span may not be longer than the time the run measured).
 */
export function runSpan(before: ListSnapshot, after: ListSnapshot): { from: number; to: number } | undefined {
  const { serverSeconds: from } = before;
  const { serverSeconds: to } = after;
  if (from === undefined || to === undefined || to < from) return undefined;
  const measured = (after.receivedAtMs - before.sentAtMs) / 1000;
  if (to - from > measured + 2 * SLACK_SECONDS) return undefined;
  return { from: from - SLACK_SECONDS, to: to + SLACK_SECONDS };
}

/** The seconds of a Date header, or undefined when absent or not a date. */
export function dateSeconds(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Date.parse(header);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}
