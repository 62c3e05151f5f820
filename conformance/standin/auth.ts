import type { IncomingHttpHeaders } from 'node:http';
import type { PasswordVerifier } from './passwords.js';
import type { UserRecord } from './state.js';
import { verifyAccessToken, type TokenCheck, type TokenIssuer, type VerifyLeniency } from './tokens.js';
import type { StandinSwitches } from './types.js';
import type { AuthFailure } from './versions.js';

/**
 * Who is calling (real-server-behaviour.md §2, real-server-2102.md §1.3). The first method that answers
 * "authenticated" or "error" wins; with no usable credentials the client is nobody. No IdP has authority
 * delegation in the stand-in, as in a default install, so prefixed IdP tokens are never tried.
 */
export type Principal =
  | {
      kind: 'user';
      user: UserRecord;
      via: 'basic' | 'token';
      api?: NonNullable<Extract<TokenCheck, { ok: true }>['api']>;
    }
  | { kind: 'nobody' }
  | { kind: 'failed'; failure: AuthFailure; basicUser?: string; password?: string };

/** The switches a fault can flip in authentication; everything else stays faithful. */
export interface AuthLeniency extends VerifyLeniency {
  anyPassword: boolean;
  unknownUserOk: boolean;
  malformedBasicIsFirstUser: boolean;
  ignoreTokens: boolean;
  ignoreMacaroonHeader: boolean;
  tokensAsFirstUser: boolean;
  /** Issue 11 fault `bad-basic-falls-through`: a failing Basic lets the token methods try next. */
  basicFailureFallsThrough?: boolean;
}

export interface AuthContext {
  issuer: TokenIssuer;
  passwords: PasswordVerifier;
  lenient: AuthLeniency;
  /** The zone's current state (read at every request: tests flip it while running). */
  switches: StandinSwitches;
  /** A user with an empty list, for the `basic-unknown-user-ok` fault; never stored. */
  phantom: (name: string) => UserRecord;
}

export interface RequestFacts {
  headers: IncomingHttpHeaders;
  peerIp: string | undefined;
}

type Step = Principal | undefined; // undefined: this method does not apply, try the next

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

const isBlocked = (ctx: AuthContext, user: UserRecord): boolean =>
  ctx.issuer.behaviour.userBlocking && (ctx.switches.blockedUsers ?? []).includes(user.name);

async function basicStep(ctx: AuthContext, h: IncomingHttpHeaders): Promise<Step> {
  const authz = header(h, 'authorization');
  // The scheme name is case-sensitive in every release: `basic …` is simply not Basic.
  if (authz === undefined || !authz.startsWith('Basic ')) return undefined;
  const creds = decodeBasic(authz.slice('Basic '.length));
  const { store } = ctx.issuer;
  if (creds === undefined) {
    const first = store.users[0];
    if (ctx.lenient.malformedBasicIsFirstUser && first) return { kind: 'user', user: first, via: 'basic' };
    return { kind: 'failed', failure: { kind: 'basic-malformed' } };
  }
  // OZ 21.02.7 basic_auth:authenticate/2: disabled, then blocked (before the password), then the password.
  if (ctx.switches.basicAuthDisabled === true && ctx.issuer.behaviour.basicAuthSwitch)
    return { kind: 'failed', failure: { kind: 'basic-not-supported' } };
  const user = store.userByName(creds.name);
  if (user !== undefined && isBlocked(ctx, user)) return { kind: 'failed', failure: { kind: 'user-blocked' } };
  if (
    user !== undefined &&
    (ctx.lenient.anyPassword || (await ctx.passwords.verify(creds.name, creds.password, user.password)))
  ) {
    return { kind: 'user', user, via: 'basic' };
  }
  if (user === undefined) {
    await ctx.passwords.verify(creds.name, creds.password, undefined); // same cost as a known user
    if (ctx.lenient.unknownUserOk) return { kind: 'user', user: ctx.phantom(creds.name), via: 'basic' };
  }
  return { kind: 'failed', failure: { kind: 'basic-bad' }, basicUser: creds.name, password: creds.password };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict like Erlang's base64:decode, then split at the FIRST colon (passwords may contain more). */
export function decodeBasic(value: string): { name: string; password: string } | undefined {
  if (value === '' || !BASE64.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function pickToken(ctx: AuthContext, h: IncomingHttpHeaders): string | undefined {
  if (ctx.lenient.ignoreTokens) return undefined;
  for (const source of ctx.issuer.behaviour.tokenHeaders) {
    if (source === 'macaroon' && ctx.lenient.ignoreMacaroonHeader) continue;
    const value = source === 'bearer' ? bearerOf(header(h, 'authorization')) : header(h, source);
    if (value !== undefined) return value;
  }
  return undefined;
}

const bearerOf = (authz: string | undefined): string | undefined =>
  authz?.startsWith('Bearer ') ? authz.slice('Bearer '.length) : undefined;

/** GUI gui_session:peek_session_id: a `SID` cookie of the form `<nonce>|<id>`. */
const SESSION_COOKIE = /(?:^|;\s*)SID=[^|;\s]+\|[^;\s]+/;

function tokenStep(ctx: AuthContext, r: RequestFacts): Step {
  const token = pickToken(ctx, r.headers);
  if (token === undefined) return undefined;
  const sessionPresented = ctx.switches.guiSession === true || SESSION_COOKIE.test(header(r.headers, 'cookie') ?? '');
  const check = verifyAccessToken(ctx.issuer, token, { lenient: ctx.lenient, peerIp: r.peerIp, sessionPresented });
  if (!check.ok) return { kind: 'failed', failure: check.failure };
  // OZ 21.02.7 token_auth:validate_subject/1, after the token itself verified.
  if (isBlocked(ctx, check.user)) return { kind: 'failed', failure: { kind: 'user-blocked' } };
  const first = ctx.issuer.store.users[0];
  const user = ctx.lenient.tokensAsFirstUser && first ? first : check.user;
  return { kind: 'user', user, via: 'token', ...(check.api && { api: check.api }) };
}

export async function authenticate(ctx: AuthContext, r: RequestFacts): Promise<Principal> {
  const basic = (): Promise<Step> => basicStep(ctx, r.headers);
  const token = (): Promise<Step> => Promise.resolve(tokenStep(ctx, r));
  const steps = ctx.issuer.behaviour.tokensFirst ? [token, basic] : [basic, token];
  let failed: Principal | undefined;
  for (const step of steps) {
    const outcome = await step();
    if (outcome === undefined) continue;
    if (outcome.kind === 'failed' && step === basic && ctx.lenient.basicFailureFallsThrough === true) {
      failed ??= outcome;
      continue;
    }
    return outcome;
  }
  return failed ?? { kind: 'nobody' };
}
