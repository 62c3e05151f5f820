import { randomBytes } from 'node:crypto';
import {
  escape62,
  mintToken,
  parseToken,
  serializeToken,
  TokenFormatError,
  unescape62,
  verifyToken,
  type Macaroon,
} from '../token/index.js';
import { iso8601, judgeRestCaveat, type ApiMatchspec, type RestContext } from './caveats.js';
import type { AuthFailure, VersionBehaviour } from './versions.js';
import type { Store, UserRecord } from './state.js';

/** One year: `authorization_macaroon_expiration_seconds` in 17.06.2's app.config; 20.02+ token_logic likewise. */
export const TOKEN_TTL_SECONDS = 31_536_000;

export interface TokenIssuer {
  behaviour: VersionBehaviour;
  store: Store;
  domain: string;
  nowMs: () => number;
}

export interface MintedToken {
  token: string;
  identifier: string;
  secret: string;
  name: string;
}

/** 20.02 names POST-created tokens `access token <ISO time, ':' as '.'> <6 hex>`; the list sorts by name. */
function tokenName(nowMs: number): string {
  const iso = new Date(nowMs)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '.');
  return `access token ${iso} ${randomBytes(3).toString('hex')}`;
}

/** CW datastore_key:new(): 32 hex digits, `ch`, 4 hex digits (the chash label). */
const datastoreKey = (): string => `${randomBytes(16).toString('hex')}ch${randomBytes(2).toString('hex')}`;

export interface MintOptions {
  /** The clock at minting (lived-in accounts mint in the past). Default: the issuer's clock. */
  atMs?: number;
  /** Caveats instead of the POST default `time < now + 1 year`. */
  caveats?: string[];
  name?: string;
}

/** A fresh client token as the release's gen_token builds it (§4): secret, identifier, one time caveat. */
export function mintFor(issuer: TokenIssuer, user: UserRecord, o: MintOptions = {}): MintedToken {
  const { behaviour, domain } = issuer;
  const now = o.atMs ?? issuer.nowMs();
  const secret = randomBytes(32).toString('hex');
  const identifier = behaviour.namedTokenIdentifiers
    ? `2/nmd/usr-${user.id}/act/${datastoreKey()}`
    : randomBytes(32).toString('base64url'); // 43 characters, datastore_utils:gen_uuid/0
  const location = behaviour.locationIsDomain ? domain : 'onezone';
  const caveats = o.caveats ?? [`time < ${Math.floor(now / 1000) + TOKEN_TTL_SECONDS}`];
  const token = serializeToken(mintToken({ location, identifier, secret, caveats }));
  return { token, identifier, secret, name: o.name ?? tokenName(now) };
}

/** Which rules a fault switch has turned off while verifying (each fault breaks one). */
export interface VerifyLeniency {
  signature: boolean; // signature-not-verified
  expiredTime: boolean; // time-caveat-not-verified
  unknownCaveats: boolean; // unknown-caveat-accepted
  rejectAddedTime: boolean; // time-caveat-rejected
}

export const STRICT: VerifyLeniency = {
  signature: false,
  expiredTime: false,
  unknownCaveats: false,
  rejectAddedTime: false,
};

export type TokenCheck =
  | { ok: true; user: UserRecord; identifier: string; api?: { whitelist: ApiMatchspec[]; serialized: string[] } }
  | { ok: false; failure: AuthFailure };

/**
 * Up to 19.02 (17.06's token_utils:deserialize) the base62 escaping is undone and, when it is invalid, the
 * token is read as plain base64url. We fall back whenever the escaped reading fails, so that the
 * `list-malformed-token` fault's unescaped listings still authenticate (the fault breaks only the
 * listing's form). From 20.02 there is no fallback (CT base62:to_base64 badarg → badToken).
 */
export function deserialize(token: string, lenient = true): Macaroon | undefined {
  try {
    return parseToken(token);
  } catch (e) {
    if (!(e instanceof TokenFormatError)) throw e;
  }
  if (!lenient) return undefined;
  try {
    return parseToken(escape62(token.replace(/=+$/, '')));
  } catch (e) {
    if (!(e instanceof TokenFormatError)) throw e;
    return undefined;
  }
}

const TIME = /^time < (\d+)$/;
/**
 * 17.06.2 rest_handler calls auth_logic:validate_token(<<>>, …): `providerId = PID` holds only when PID
 * equals the calling provider's id, which is empty for a REST request. So only `providerId = ` passes.
 */
const REST_PROVIDER_CAVEAT = 'providerId = ';

export interface VerifyContext {
  lenient?: VerifyLeniency;
  peerIp?: string | undefined;
  /** 20.02.2+: a GUI session cookie was presented (or the guiSession switch is on). */
  sessionPresented?: boolean;
}

/**
 * §2 step 3 / 2102 §1.8: identifier lookup (tokenInvalid), 20.02+ revocation (tokenRevoked), the HMAC chain
 * with the stored secret and every caveat (the first failing one is reported), then the session.
 */
export function verifyAccessToken(issuer: TokenIssuer, token: string, ctx: VerifyContext = {}): TokenCheck {
  const lenient = ctx.lenient ?? STRICT;
  const { behaviour } = issuer;
  const m = deserialize(token, behaviour.lenientDeserialize);
  if (m === undefined) return { ok: false, failure: { kind: 'token-garbage' } };
  const record = issuer.store.authRecord(m.identifier);
  const user = record && issuer.store.userById(record.userId);
  if (record === undefined || user === undefined) return { ok: false, failure: { kind: 'token-invalid' } };
  if (record.revoked === true && behaviour.restCaveats) return { ok: false, failure: { kind: 'token-revoked' } };

  const nowSeconds = Math.floor(issuer.nowMs() / 1000);
  let firstFailure: AuthFailure | undefined;
  let timeCaveats = 0;
  let api: { whitelist: ApiMatchspec[]; serialized: string[] } | undefined;
  const rest: RestContext = { nowSeconds, peerIp: ctx.peerIp };
  const satisfied = (cid: string): boolean => {
    const time = TIME.exec(cid)?.[1];
    if (time !== undefined) {
      if (lenient.rejectAddedTime && ++timeCaveats > 1) return fail(expired(Number(time)));
      if (lenient.expiredTime || nowSeconds < Number(time)) return true;
    }
    if (!behaviour.restCaveats) {
      if (time !== undefined) return fail(expired(Number(time)));
      if (cid === REST_PROVIDER_CAVEAT || lenient.unknownCaveats) return true;
      return fail({ kind: 'token-caveat-unknown', caveat: cid });
    }
    const v = judgeRestCaveat(cid, rest);
    switch (v.kind) {
      case 'ok':
        return true;
      case 'ok-api':
        api = {
          whitelist: [...(api?.whitelist ?? []), ...v.whitelist],
          serialized: [...(api?.serialized ?? []), ...v.serialized],
        };
        return true;
      case 'unknown':
        return lenient.unknownCaveats || fail({ kind: 'token-caveat-unknown', caveat: cid });
      case 'unverified':
        return fail({ kind: 'token-caveat-unverified', caveat: v.json, description: v.description });
    }
  };
  const fail = (f: AuthFailure): false => {
    firstFailure ??= f;
    return false;
  };
  const chainOk = verifyToken(m, record.secret, satisfied);
  const sigOnlyLenient = lenient.signature && firstFailure === undefined && m.caveats.every((c) => c.vid === undefined);
  if (!chainOk && !sigOnlyLenient) return { ok: false, failure: firstFailure ?? { kind: 'token-invalid' } };
  // CT tokens:examine_session_id: a token made without a session matches only a request without one.
  if (ctx.sessionPresented === true && behaviour.sessionCookie)
    return { ok: false, failure: { kind: 'token-session-invalid' } };
  return { ok: true, user, identifier: m.identifier, ...(api && { api }) };
}

const expired = (validUntil: number): AuthFailure => ({
  kind: 'token-caveat-unverified',
  caveat: { type: 'time', validUntil },
  description: `unverified time caveat: this token has expired at '${iso8601(validUntil)}'`,
});

/** The unescaped (base64url) form the upstream docs show; used by the `list-malformed-token` fault. */
export const unescaped = (token: string): string => unescape62(token);
