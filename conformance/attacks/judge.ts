import type { Owner } from './generators.js';
import type { Entry, Materialised } from './materialise.js';
import type { ReadPlace } from './precedence.js';
import { bodyKey } from '../http.js';
import { findSecrets, type TokenLookup } from './spellings.js';
import { is2xx, perBody, tokensIn, type WireResponse } from './wire.js';

/**
 * The model of what a faithful Onezone answers to a generated request, and the invariants every answer must
 * keep. The model is deliberately one-sided where servers may differ without harm: a stricter server that
 * rejects a request the model would let through never fails here; one that lets through what the model
 * rejects, or serves anyone's list but the decisive credential's owner's, always does.
 */
export type Expectation =
  /** No 2xx; nobody is authenticated. */
  | { readonly kind: 'reject'; readonly why: string }
  /** 200 with exactly the owner's list. */
  | { readonly kind: 'accept'; readonly owner: Owner }
  /** Either not a 2xx, or exactly the list of one of these owners (a path variant may reach nothing). */
  | { readonly kind: 'owner-or-nothing'; readonly owners: readonly Owner[] };

/**
 * What every server must do, whatever its reading order (MUST): nothing without a good credential in a place
 * it reads; with one, exactly the list of a user whose good credential it read, or a rejection where two
 * credentials or a path variant leave room; a single good credential on the list path is served its list.
 * Which of two credentials decides is left to `decisiveExpectation` (a SHOULD): serving the owner of a good
 * credential the request carried is no leak, whichever the server read first.
 */
export function expectationOf(
  m: Pick<Materialised, 'entries' | 'strictPath'>,
  order: readonly ReadPlace[],
): Expectation {
  const read = m.entries.filter((e) => e.read !== undefined && order.includes(e.read));
  const owners = [...new Set(read.flatMap((e) => (e.valid === undefined ? [] : [e.valid])))];
  const [only] = owners;
  if (only === undefined) return { kind: 'reject', why: 'no good credential is in a place this server reads' };
  const single = m.entries.length === 1 && read.length === 1 && !(read[0]?.empty ?? false);
  return single && m.strictPath ? { kind: 'accept', owner: only } : { kind: 'owner-or-nothing', owners };
}

/**
 * The version's reading order (SHOULD): the decisive credential is the first in that order that the request
 * carries, and its verdict is final (a present bad token is not rescued by good Basic on 20.02+, nor bad Basic
 * by a good token before). An empty header is left out of the decision: whether it counts as "present" is not
 * the same everywhere, so when it would have decided, the credential behind it may only be served its list.
 */
export function decisiveExpectation(
  m: Pick<Materialised, 'entries' | 'strictPath'>,
  order: readonly ReadPlace[],
): Expectation {
  const rank = (e: Entry): number => (e.read === undefined ? -1 : order.indexOf(e.read));
  const read = m.entries.filter((e) => rank(e) >= 0).sort((a, b) => rank(a) - rank(b));
  const firstIsEmpty = read[0]?.empty === true;
  const decisive = read.find((e) => !e.empty);
  if (decisive === undefined) return { kind: 'reject', why: 'no credential this server reads' };
  if (decisive.valid === undefined)
    return { kind: 'reject', why: `the credential this version reads first is ${decisive.label}` };
  return m.strictPath && !firstIsEmpty
    ? { kind: 'accept', owner: decisive.valid }
    : { kind: 'owner-or-nothing', owners: [decisive.valid] };
}

export interface Lists {
  readonly user: ReadonlySet<string>;
  readonly other?: ReadonlySet<string>;
}

const LISTS_EQUAL = bodyKey<WeakMap<ReadonlySet<string>, boolean>>('attacks:lists-equal');
const LEAKED_IN_BODY = bodyKey<WeakMap<TokenLookup, readonly string[]>>('attacks:leaked-in-body');

/** The answer's tokens are exactly `want`, each once (judged once per distinct body and list). */
const setsEqual = (res: WireResponse, want: ReadonlySet<string>): boolean =>
  perBody(LISTS_EQUAL, res, want, () => {
    const got = tokensIn(res);
    return got.length === want.size && got.every((t) => want.has(t)) && new Set(got).size === got.length;
  });

/**
 * Tokens of anyone found in the response, in any spelling (raw, JSON-escaped, URL-encoded, base64). The body
 * (a list is megabytes, and each of its tokens is tried as base64) is searched once per distinct body and
 * `secrets`; the headers of each answer are searched each time.
 */
function leaked(res: WireResponse, secrets: TokenLookup): number {
  const inBody = perBody(LEAKED_IN_BODY, res, secrets, () => findSecrets([res.bodyText], secrets));
  const inHeaders = findSecrets(Object.values(res.headers), secrets);
  return new Set([...inBody, ...inHeaders]).size;
}

/**
 * Judges one answer; returns why it breaks an invariant, or undefined. `lists` are the users' lists read with
 * Basic at the start; `extraLive` are the valid tokens this request carried (attenuated ones are not listed).
 */
export function judge(
  exp: Expectation,
  res: WireResponse,
  lists: Lists,
  extraLive: readonly string[],
): string | undefined {
  if (!is2xx(res.status)) {
    if (exp.kind === 'accept')
      return `answered ${res.status} to a valid credential of the ${exp.owner} where the server reads it: ${res.summary}`;
    // A rejected request owns nothing; a request of an owner that reached nothing may see only its own.
    const own = exp.kind === 'owner-or-nothing' ? exp.owners : [];
    const mayShow = (t: string): boolean => own.some((o) => (o === 'user' ? lists.user : lists.other)?.has(t) === true);
    // A view, not a copy of both lists per answer: with 100,000 tokens that copy cost more than the request.
    const live = new Set(extraLive);
    const forbidden: TokenLookup = {
      size: lists.user.size + (lists.other?.size ?? 0) + live.size,
      has: (t) => (lists.user.has(t) || lists.other?.has(t) === true || live.has(t)) && !mayShow(t),
    };
    const n = leaked(res, forbidden);
    return n > 0 ? `a ${res.status} answer carries ${n} token(s) of the run's users: ${res.summary}` : undefined;
  }
  if (exp.kind === 'reject') return `answered ${res.status} although ${exp.why}: ${res.summary}`;
  const got = tokensIn(res);
  const candidates = exp.kind === 'accept' ? [exp.owner] : exp.owners;
  // Of several possible owners, judge against the one whose list it is (if any): then no mix passes.
  const owner =
    candidates.find((o) => setsEqual(res, (o === 'user' ? lists.user : lists.other) ?? new Set())) ?? candidates[0];
  if (owner === undefined) return undefined;
  const want = owner === 'user' ? lists.user : lists.other;
  if (want === undefined) return undefined;
  const whose = candidates.length > 1 ? 'either user' : `the ${owner}`;
  if (res.status !== 200) return `answered ${res.status}, not 200, to a good credential of ${whose}: ${res.summary}`;
  const foreignOwner: Owner = owner === 'user' ? 'other' : 'user';
  const foreign = foreignOwner === 'user' ? lists.user : lists.other;
  if (!setsEqual(res, want)) {
    const theirs = foreign ? got.filter((t) => foreign.has(t)).length : 0;
    const gotSet = new Set(got);
    const missing = [...want].filter((t) => !gotSet.has(t)).length;
    return (
      `served a list that is not exactly ${candidates.length > 1 ? "either user's" : `the ${owner}'s`} (${missing} missing, ${got.length} items, ` +
      `${theirs} of the ${foreignOwner}'s): ${res.summary}`
    );
  }
  if (foreign && foreign.size > 0 && !candidates.includes(foreignOwner) && leaked(res, foreign) > 0)
    return `the ${owner}'s answer carries a token of the ${foreignOwner} outside the list: ${res.summary}`;
  return undefined;
}
