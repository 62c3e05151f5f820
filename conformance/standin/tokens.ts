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
import type { AuthFailure, VersionBehaviour } from './versions.js';
import type { Store, UserRecord } from './state.js';

/** One year: `authorization_macaroon_expiration_seconds` in 17.06.2's app.config. */
const TOKEN_TTL_SECONDS = 31_536_000;

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

/** A fresh client token as the release's gen_token builds it (§4): secret, identifier, one time caveat. */
export function mintFor(issuer: TokenIssuer, user: UserRecord): MintedToken {
  const { behaviour, domain, nowMs } = issuer;
  const secret = randomBytes(32).toString('hex');
  const key = randomBytes(32).toString('base64url'); // 43 characters, datastore_utils:gen_uuid/0
  const identifier = behaviour.namedTokenIdentifiers ? `2/nmd/usr-${user.id}/act/${key}` : key;
  const location = behaviour.locationIsDomain ? domain : 'onezone';
  const now = nowMs();
  const caveats = [`time < ${Math.floor(now / 1000) + TOKEN_TTL_SECONDS}`];
  const token = serializeToken(mintToken({ location, identifier, secret, caveats }));
  return { token, identifier, secret, name: tokenName(now) };
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

export type TokenCheck = { ok: true; user: UserRecord; identifier: string } | { ok: false; failure: AuthFailure };

/**
 * 17.06's token_utils:deserialize undoes the base62 escaping and falls back to plain base64url when the
 * escaping is invalid. We go one step further and fall back whenever the escaped reading fails, so that
 * the `list-malformed-token` fault's unescaped listings still authenticate (the fault breaks only the
 * listing's form).
 */
export function deserialize(token: string): Macaroon | undefined {
  try {
    return parseToken(token);
  } catch (e) {
    if (!(e instanceof TokenFormatError)) throw e;
  }
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

/** §2 step 3: identifier lookup, HMAC chain with the stored secret, only `time <` and `providerId =`. */
export function verifyAccessToken(issuer: TokenIssuer, token: string, lenient: VerifyLeniency = STRICT): TokenCheck {
  const m = deserialize(token);
  if (m === undefined) return { ok: false, failure: { kind: 'token-garbage' } };
  const record = issuer.store.authRecord(m.identifier);
  const user = record && issuer.store.userById(record.userId);
  if (record === undefined || user === undefined) return { ok: false, failure: { kind: 'token-invalid' } };

  const nowSeconds = Math.floor(issuer.nowMs() / 1000);
  let firstFailure: AuthFailure | undefined;
  let timeCaveats = 0;
  const satisfied = (cid: string): boolean => {
    const ok = judgeCaveat(cid, nowSeconds, lenient, () => ++timeCaveats);
    if (!ok && firstFailure === undefined) firstFailure = caveatFailure(cid);
    return ok;
  };
  const chainOk = verifyToken(m, record.secret, satisfied);
  if (chainOk) return { ok: true, user, identifier: m.identifier };
  if (lenient.signature && firstFailure === undefined && m.caveats.every((c) => c.vid === undefined)) {
    return { ok: true, user, identifier: m.identifier };
  }
  return { ok: false, failure: firstFailure ?? { kind: 'token-invalid' } };
}

function judgeCaveat(cid: string, nowSeconds: number, lenient: VerifyLeniency, countTime: () => number): boolean {
  const time = TIME.exec(cid)?.[1];
  if (time !== undefined) {
    if (lenient.rejectAddedTime && countTime() > 1) return false;
    return lenient.expiredTime || nowSeconds < Number(time);
  }
  if (cid === REST_PROVIDER_CAVEAT) return true;
  return lenient.unknownCaveats;
}

function caveatFailure(cid: string): AuthFailure {
  const time = TIME.exec(cid)?.[1];
  return time !== undefined
    ? { kind: 'token-expired', validUntil: Number(time) }
    : { kind: 'token-caveat-unknown', caveat: cid };
}

/** The unescaped (base64url) form the upstream docs show; used by the `list-malformed-token` fault. */
export const unescaped = (token: string): string => unescape62(token);
