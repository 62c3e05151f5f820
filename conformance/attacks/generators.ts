import * as fc from 'fast-check';

/**
 * Generated attacks as plain data with no secret in them: what to do to which credential, where to put it, on
 * which path. `materialise.ts` turns a description into a request with the run's real credentials, so a failing
 * case can be shrunk, replayed from its seed and printed as evidence without printing a secret.
 *
 * Each union lists its simplest member first: fast-check shrinks `oneof` towards the first arbitrary, so the
 * reported counterexample is the plainest request that still fails.
 */

export type Owner = 'user' | 'other';

/** How a wrong password is made from the real one (or not). */
export type PasswordShape =
  | { readonly shape: 'suffix'; readonly extra: string }
  | { readonly shape: 'correct' }
  | { readonly shape: 'empty' }
  | { readonly shape: 'prefix'; readonly keep: number }
  | { readonly shape: 'case-changed'; readonly at: number }
  | { readonly shape: 'truncated-8' }
  | { readonly shape: 'look-alike'; readonly at: number; readonly glyph: number }
  | { readonly shape: 'colon-inside'; readonly at: number }
  | { readonly shape: 'other-users-password' }
  | { readonly shape: 'token-as-password' };

export type NameShape =
  | { readonly name: 'own' }
  | { readonly name: 'unknown'; readonly suffix: string }
  | { readonly name: 'case-changed'; readonly at: number };

/** Authorization values that are not `Basic base64(name:password)`. */
export type MalformedBasic =
  | { readonly malformed: 'not-base64' }
  | { readonly malformed: 'no-colon' }
  | { readonly malformed: 'empty-value' }
  | { readonly malformed: 'empty-credentials' }
  | { readonly malformed: 'only-colon' };

/** How a token that must not authenticate is made. `salt` seeds every random byte, so replays are exact. */
export type TokenMutation =
  | { readonly m: 'flipped-signature'; readonly bit: number }
  | { readonly m: 'garbage'; readonly text: string }
  | { readonly m: 'empty' }
  | { readonly m: 'truncated-signature'; readonly keep: number }
  | { readonly m: 'foreign-signature'; readonly salt: number }
  | { readonly m: 'other-root-key'; readonly salt: number }
  | { readonly m: 'unknown-identifier'; readonly salt: number }
  | { readonly m: 'expired'; readonly secondsAgo: number }
  | { readonly m: 'unknown-caveat'; readonly predicate: string }
  | { readonly m: 'third-party-caveat'; readonly salt: number }
  | { readonly m: 'case-changed'; readonly at: number; readonly count: number }
  | { readonly m: 'truncated'; readonly keep: number }
  | { readonly m: 'double-escaped' }
  | { readonly m: 'other-zone'; readonly salt: number }
  | { readonly m: 'revoked' };

/** A credential that must not authenticate anyone. */
export type BadCredential =
  | { readonly kind: 'basic'; readonly owner: Owner; readonly name: NameShape; readonly password: PasswordShape }
  | { readonly kind: 'basic-raw'; readonly value: MalformedBasic }
  | { readonly kind: 'token'; readonly owner: Owner; readonly mutation: TokenMutation };

/** A credential that authenticates its owner where the server reads it. */
export type GoodCredential =
  | { readonly kind: 'basic'; readonly owner: Owner }
  | { readonly kind: 'token'; readonly owner: Owner; readonly attenuated: 'no' | 'future-time' };

/** Places a server may read (or wrongly read) a credential. */
export type TokenPlace =
  | 'x-auth-token'
  | 'macaroon'
  | 'bearer'
  | 'query-access_token'
  | 'query-token'
  | 'cookie-access_token'
  | 'cookie-macaroon'
  | 'basic-password';
export type BasicPlace = 'basic' | 'proxy-authorization';
/** Identity headers a misconfigured proxy would trust: they carry only a user name. */
export type IdentityPlace = 'x-remote-user' | 'x-forwarded-user' | 'remote-user' | 'x-authenticated-user';

export type Placed<C> =
  | { readonly cred: C; readonly place: TokenPlace | BasicPlace; readonly nameCase: boolean }
  | { readonly identity: Owner; readonly place: IdentityPlace };

/** Path variants that must reach the collection or nothing (never another resource). */
export const PATH_VARIANTS = [
  'canonical',
  'trailing-slash',
  'query-noise',
  'double-slash',
  'dot-segment',
  'dot-dot-segment',
  'percent-encoded',
  'case-changed',
] as const;
export type PathVariant = (typeof PATH_VARIANTS)[number];

/**
 * A request with one credential (or identity header) that must not authenticate, maybe next to a second one of
 * any kind in another place. The second is optional so that shrinking can drop it.
 */
export interface Attack {
  readonly first: Placed<BadCredential | GoodCredential>;
  readonly second?: Placed<BadCredential | GoodCredential>;
  readonly path: PathVariant;
}

export const credsOf = (a: Attack): Array<Placed<BadCredential | GoodCredential>> =>
  a.second === undefined ? [a.first] : [a.first, a.second];

const owner = fc.constantFrom<Owner>('user', 'other');
const alnum = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.constantFrom(...Array.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')),
    minLength: min,
    maxLength: max,
  });
const salt = fc.nat({ max: 0xffff });

/** Wrong passwords only ('correct' is paired with a wrong user name below). */
export const passwordShape: fc.Arbitrary<PasswordShape> = fc.oneof(
  { withCrossShrink: true },
  fc.record({ shape: fc.constant('suffix' as const), extra: fc.string({ minLength: 1, maxLength: 4 }) }),
  fc.constant({ shape: 'empty' as const }),
  fc.record({ shape: fc.constant('prefix' as const), keep: fc.nat({ max: 64 }) }),
  fc.record({ shape: fc.constant('case-changed' as const), at: fc.nat({ max: 64 }) }),
  fc.constant({ shape: 'truncated-8' as const }),
  fc.record({ shape: fc.constant('look-alike' as const), at: fc.nat({ max: 64 }), glyph: fc.nat({ max: 16 }) }),
  fc.record({ shape: fc.constant('colon-inside' as const), at: fc.nat({ max: 64 }) }),
  fc.constant({ shape: 'other-users-password' as const }),
  fc.constant({ shape: 'token-as-password' as const }),
);

export const nameShape: fc.Arbitrary<NameShape> = fc.oneof(
  fc.constant({ name: 'own' as const }),
  fc.record({ name: fc.constant('unknown' as const), suffix: alnum(1, 8) }),
  fc.record({ name: fc.constant('case-changed' as const), at: fc.nat({ max: 32 }) }),
);

export const malformedBasic: fc.Arbitrary<MalformedBasic> = fc.constantFrom<MalformedBasic>(
  { malformed: 'not-base64' },
  { malformed: 'no-colon' },
  { malformed: 'empty-value' },
  { malformed: 'empty-credentials' },
  { malformed: 'only-colon' },
);

/** First-party predicates no Onezone satisfies on a REST request (not `providerId = `, `interface = rest`…). */
const UNSATISFIABLE = fc.oneof(
  alnum(1, 8).map((s) => `conformance-caveat = ${s}`),
  alnum(1, 8).map((s) => `providerId = ${s}`),
  fc.constant('interface = oneclient'),
  fc.constant('time < never'),
  fc.constant('data.readonly'),
);

export const tokenMutation: fc.Arbitrary<TokenMutation> = fc.oneof(
  { withCrossShrink: true },
  fc.record({ m: fc.constant('flipped-signature' as const), bit: fc.nat({ max: 255 }) }),
  fc.record({ m: fc.constant('garbage' as const), text: alnum(1, 40) }),
  fc.constant({ m: 'empty' as const }),
  fc.record({ m: fc.constant('truncated-signature' as const), keep: fc.nat({ max: 31 }) }),
  fc.record({ m: fc.constant('foreign-signature' as const), salt }),
  fc.record({ m: fc.constant('other-root-key' as const), salt }),
  fc.record({ m: fc.constant('unknown-identifier' as const), salt }),
  fc.record({ m: fc.constant('expired' as const), secondsAgo: fc.integer({ min: 1, max: 10 * 365 * 86400 }) }),
  fc.record({ m: fc.constant('unknown-caveat' as const), predicate: UNSATISFIABLE }),
  fc.record({ m: fc.constant('third-party-caveat' as const), salt }),
  fc.record({
    m: fc.constant('case-changed' as const),
    at: fc.nat({ max: 4096 }),
    count: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ m: fc.constant('truncated' as const), keep: fc.nat({ max: 4096 }) }),
  fc.constant({ m: 'double-escaped' as const }),
  fc.record({ m: fc.constant('other-zone' as const), salt }),
  fc.constant({ m: 'revoked' as const }),
);

export const badCredential: fc.Arbitrary<BadCredential> = fc.oneof(
  { withCrossShrink: true },
  fc.record({ kind: fc.constant('token' as const), owner, mutation: tokenMutation }),
  fc.record({ kind: fc.constant('basic' as const), owner, name: nameShape, password: passwordShape }),
  fc.record({
    kind: fc.constant('basic' as const),
    owner,
    name: nameShape.filter((n) => n.name !== 'own'),
    password: fc.constant<PasswordShape>({ shape: 'correct' }),
  }),
  fc.record({ kind: fc.constant('basic-raw' as const), value: malformedBasic }),
);

export const goodCredential: fc.Arbitrary<GoodCredential> = fc.oneof(
  fc.record({
    kind: fc.constant('token' as const),
    owner,
    attenuated: fc.constantFrom('no' as const, 'future-time' as const),
  }),
  fc.record({ kind: fc.constant('basic' as const), owner }),
);

const TOKEN_PLACES: readonly TokenPlace[] = [
  'x-auth-token',
  'macaroon',
  'bearer',
  'query-access_token',
  'query-token',
  'cookie-access_token',
  'cookie-macaroon',
  'basic-password',
];
const IDENTITY_PLACES: readonly IdentityPlace[] = [
  'x-remote-user',
  'x-forwarded-user',
  'remote-user',
  'x-authenticated-user',
];

/** Token credentials go to token places, Basic ones to Basic places; `nameCase` sends the header name upper-cased. */
function placed<C extends BadCredential | GoodCredential>(cred: fc.Arbitrary<C>): fc.Arbitrary<Placed<C>> {
  return fc.oneof(
    { withCrossShrink: true },
    fc
      .tuple(cred, fc.boolean())
      .chain(([c, nameCase]) =>
        fc
          .constantFrom<TokenPlace | BasicPlace>(
            ...(c.kind === 'token' ? TOKEN_PLACES : (['basic', 'proxy-authorization'] as const)),
          )
          .map((place) => ({ cred: c, place, nameCase })),
      ),
    fc.record({ identity: owner, place: fc.constantFrom(...IDENTITY_PLACES) }),
  );
}

export const pathVariant: fc.Arbitrary<PathVariant> = fc.constantFrom(...PATH_VARIANTS);

/** Uses the Authorization header (two such credentials cannot be sent together). */
const usesAuthorization = (p: Placed<unknown>): boolean =>
  p.place === 'basic' || p.place === 'bearer' || p.place === 'basic-password';
/** Two credentials may share a request when they use different headers (or query parameters, or cookies). */
const compatible = (a: Placed<unknown>, b: Placed<unknown>): boolean =>
  a.place !== b.place && !(usesAuthorization(a) && usesAuthorization(b));

/**
 * Requests that must be rejected or answered only with the list of whoever the decisive credential names: a bad
 * credential (or an identity header), alone or next to a second credential of either kind in another place.
 */
export const attack: fc.Arbitrary<Attack> = fc
  .record({
    first: placed(badCredential),
    second: fc.option(placed(fc.oneof({ withCrossShrink: true }, badCredential, goodCredential)), { nil: undefined }),
    path: pathVariant,
  })
  .filter((a) => a.second === undefined || compatible(a.first, a.second))
  .map((a): Attack => (a.second === undefined ? { first: a.first, path: a.path } : { ...a, second: a.second }));

/** Two users' good credentials in two places: never a list other than the decisive one's owner's. */
export const twoUsers: fc.Arbitrary<Attack> = fc
  .record({ first: placed(goodCredential), second: placed(goodCredential), path: pathVariant })
  .filter((a) => compatible(a.first, a.second));

/** Two credentials, at least one good, both in places some Onezone reads: the reading order decides. */
export const pair: fc.Arbitrary<Attack> = fc
  .record({
    first: placed(badCredential),
    second: placed(goodCredential),
    swap: fc.boolean(),
    path: fc.constantFrom<PathVariant>('canonical', 'trailing-slash'),
  })
  .filter((a) => READ_PLACES.has(a.first.place) && READ_PLACES.has(a.second.place) && compatible(a.first, a.second))
  .map(({ first, second, swap, path }): Attack =>
    swap ? { first: second, second: first, path } : { first, second, path },
  );

const READ_PLACES: ReadonlySet<string> = new Set(['basic', 'x-auth-token', 'macaroon', 'bearer', 'basic-password']);

/** One good credential where a server reads one: where this server does, it must yield its owner's list. */
export const goodRequest: fc.Arbitrary<Attack> = fc.record({
  first: fc
    .tuple(goodCredential, fc.boolean())
    .chain(([cred, nameCase]) =>
      fc
        .constantFrom<TokenPlace | BasicPlace>(
          ...(cred.kind === 'token' ? (['x-auth-token', 'macaroon', 'bearer'] as const) : (['basic'] as const)),
        )
        .map((place): Placed<GoodCredential> => ({ cred, place, nameCase })),
    ),
  path: pathVariant,
});
