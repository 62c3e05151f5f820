import type {
  Attack,
  BadCredential,
  GoodCredential,
  IdentityPlace,
  PasswordShape,
  PathVariant,
  Placed,
  TokenMutation,
  TokenPlace,
} from './generators.js';
import { PATH_VARIANTS } from './generators.js';

/**
 * The cases every run tries first, whatever its seed: one per class of bad credential, place and path variant,
 * and the precedence pairs. Random cases explore around them; these make the default budget's coverage a
 * guarantee rather than a matter of luck (the runner's fault tests rely on it).
 */

const MUTATIONS: readonly TokenMutation[] = [
  { m: 'flipped-signature', bit: 0 },
  { m: 'garbage', text: 'conformancegarbagetoken' },
  { m: 'empty' },
  { m: 'truncated-signature', keep: 16 },
  { m: 'foreign-signature', salt: 1 },
  { m: 'other-root-key', salt: 2 },
  { m: 'unknown-identifier', salt: 3 },
  { m: 'expired', secondsAgo: 60 },
  { m: 'unknown-caveat', predicate: 'conformance-caveat = unknown' },
  { m: 'third-party-caveat', salt: 4 },
  { m: 'case-changed', at: 60, count: 3 },
  { m: 'truncated', keep: 100 },
  { m: 'double-escaped' },
  { m: 'other-zone', salt: 5 },
  { m: 'revoked' },
];

/**
 * Each wrong password costs the server a password hash (PBKDF2 on Onezone and the stand-in): the fixed examples take the
 * shapes a weak comparison would accept (a prefix, truncation to 8, case, look-alikes, a colon); the others
 * (empty, a suffix, the other user's password, a token) come from the random cases.
 */
const PASSWORDS: readonly PasswordShape[] = [
  { shape: 'prefix', keep: 3 },
  { shape: 'case-changed', at: 0 },
  { shape: 'truncated-8' },
  { shape: 'look-alike', at: 0, glyph: 0 },
  { shape: 'colon-inside', at: 2 },
];

const PATHS: readonly PathVariant[] = PATH_VARIANTS;
const pathAt = (i: number): PathVariant => PATHS[i % PATHS.length] ?? 'canonical';

const bad = (cred: BadCredential, place: Placed<BadCredential>['place'], nameCase = false): Placed<BadCredential> =>
  ({ cred, place, nameCase }) as Placed<BadCredential>;
const good = (cred: GoodCredential, place: Placed<GoodCredential>['place'], nameCase = false): Placed<GoodCredential> =>
  ({ cred, place, nameCase }) as Placed<GoodCredential>;

const userToken: GoodCredential = { kind: 'token', owner: 'user', attenuated: 'no' };
const otherToken: GoodCredential = { kind: 'token', owner: 'other', attenuated: 'no' };
const userBasic: GoodCredential = { kind: 'basic', owner: 'user' };
const otherBasic: GoodCredential = { kind: 'basic', owner: 'other' };
const flipped: BadCredential = { kind: 'token', owner: 'user', mutation: { m: 'flipped-signature', bit: 7 } };
const wrongBasic: BadCredential = {
  kind: 'basic',
  owner: 'user',
  name: { name: 'own' },
  password: { shape: 'suffix', extra: '#' },
};

/** Good tokens where no Onezone reads them: each must leave the request nobody's. */
const UNREAD_TOKEN_PLACES: readonly TokenPlace[] = [
  'query-access_token',
  'query-token',
  'cookie-access_token',
  'cookie-macaroon',
  'basic-password',
];
const IDENTITY: readonly IdentityPlace[] = ['x-remote-user', 'x-forwarded-user', 'remote-user', 'x-authenticated-user'];

export function attackExamples(): Attack[] {
  const out: Attack[] = [];
  MUTATIONS.forEach((mutation, i) => {
    out.push({
      first: bad(
        { kind: 'token', owner: i % 5 === 4 ? 'other' : 'user', mutation },
        i % 2 === 0 ? 'x-auth-token' : 'macaroon',
      ),
      path: i % 3 === 2 ? 'trailing-slash' : 'canonical',
    });
  });
  PASSWORDS.forEach((password) => {
    out.push({
      first: bad({ kind: 'basic', owner: 'user', name: { name: 'own' }, password }, 'basic'),
      path: 'canonical',
    });
  });
  out.push(
    {
      first: bad(
        { kind: 'basic', owner: 'user', name: { name: 'unknown', suffix: 'x1' }, password: { shape: 'correct' } },
        'basic',
      ),
      path: 'canonical',
    },
    {
      first: bad(
        { kind: 'basic', owner: 'user', name: { name: 'case-changed', at: 0 }, password: { shape: 'correct' } },
        'basic',
      ),
      path: 'canonical',
    },
  );
  (['not-base64', 'no-colon', 'empty-value', 'empty-credentials', 'only-colon'] as const).forEach((malformed, i) => {
    out.push({ first: bad({ kind: 'basic-raw', value: { malformed } }, 'basic'), path: pathAt(i + 1) });
  });
  // Good credentials where they must not count: the first credential is an identity header of nobody's, so the
  // pair is "nothing this server reads" plus the good credential in the wrong place.
  UNREAD_TOKEN_PLACES.forEach((place, i) => {
    out.push({
      first: { identity: 'user', place: IDENTITY[i % IDENTITY.length] ?? 'x-remote-user' },
      second: good(userToken, place),
      path: pathAt(i),
    });
  });
  out.push({
    first: { identity: 'other', place: 'x-forwarded-user' },
    second: good(userBasic, 'proxy-authorization'),
    path: 'canonical',
  });
  IDENTITY.forEach((place, i) => {
    out.push({ first: { identity: 'user', place }, path: pathAt(i + 4) });
  });
  out.push(
    { first: bad(flipped, 'x-auth-token'), path: 'dot-segment' },
    { first: bad(flipped, 'x-auth-token'), path: 'case-changed' },
  );
  out.push(...badAndGood());
  return out;
}

/** A bad and a good credential together: which decides depends on the version (the model knows). */
function badAndGood(): Attack[] {
  return [
    { first: bad(wrongBasic, 'basic'), second: good(userToken, 'x-auth-token'), path: 'canonical' },
    { first: bad(flipped, 'x-auth-token'), second: good(userBasic, 'basic'), path: 'canonical' },
    { first: bad(flipped, 'macaroon'), second: good(userToken, 'x-auth-token'), path: 'canonical' },
    { first: bad(flipped, 'x-auth-token'), second: good(userToken, 'macaroon'), path: 'canonical' },
    { first: bad(flipped, 'bearer'), second: good(userToken, 'x-auth-token'), path: 'canonical' },
    { first: bad(flipped, 'macaroon'), second: good(userToken, 'bearer'), path: 'canonical' },
  ];
}

/** Two users' good credentials at once. */
function twoUsersExamples(): Attack[] {
  return [
    { first: good(userBasic, 'basic'), second: good(otherToken, 'x-auth-token'), path: 'canonical' },
    { first: good(otherToken, 'macaroon'), second: good(userToken, 'x-auth-token'), path: 'canonical' },
    { first: good(userToken, 'bearer'), second: good(otherToken, 'macaroon'), path: 'canonical' },
  ];
}

/** Every pair whose decisive credential the version's reading order names. */
export function precedenceExamples(): Attack[] {
  return [...badAndGood(), ...twoUsersExamples()];
}

export function goodExamples(): Attack[] {
  const out: Attack[] = [];
  for (const cred of [userToken, otherToken])
    for (const place of ['x-auth-token', 'macaroon', 'bearer'] as const)
      out.push({ first: good(cred, place), path: 'canonical' });
  out.push(
    { first: good(userBasic, 'basic'), path: 'canonical' },
    { first: good(otherBasic, 'basic', true), path: 'trailing-slash' },
    { first: good({ kind: 'token', owner: 'other', attenuated: 'future-time' }, 'x-auth-token'), path: 'canonical' },
    { first: good(userToken, 'x-auth-token', true), path: 'trailing-slash' },
  );
  PATHS.slice(2).forEach((path, i) => {
    out.push({ first: good(i % 2 === 0 ? userToken : otherBasic, i % 2 === 0 ? 'x-auth-token' : 'basic'), path });
  });
  // Two users at once: exactly one of their lists, never a mix.
  out.push(...twoUsersExamples());
  return out;
}
