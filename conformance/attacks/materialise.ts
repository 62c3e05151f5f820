import { createHash } from 'node:crypto';
import {
  addFirstPartyCaveat,
  addThirdPartyCaveat,
  escape62,
  mintToken,
  parseToken,
  serializeToken,
  type Macaroon,
} from '../token/index.js';
import {
  credsOf,
  type Attack,
  type BadCredential,
  type GoodCredential,
  type MalformedBasic,
  type NameShape,
  type Owner,
  type PasswordShape,
  type PathVariant,
  type Placed,
  type TokenMutation,
} from './generators.js';
import type { ReadPlace } from './precedence.js';
import type { WireRequest } from './wire.js';

/**
 * Turns a generated description into the request it stands for, with the run's real credentials, and says for
 * each credential where a server reads it and whose it is. Returns undefined when the description cannot be
 * made into a credential that must fail here (no second user, a password without letters to change the case of,
 * a mutation that left the token's identifier, caveats and signature as they were…): the property skips it.
 */

export interface Credentials {
  readonly name: string;
  readonly password: string;
}

/** What the run has to build attacks from. Tokens are ones that were seen to authenticate their owner. */
export interface AttackSecrets {
  readonly users: Partial<Record<Owner, Credentials>>;
  readonly tokens: Partial<Record<Owner, string>>;
  /** A token of the user that the run created and deleted (with --allow-writes). */
  readonly revoked?: string;
  readonly nowSeconds: number;
}

/** One credential of a request, as the model needs it. */
export interface Entry {
  /** Where a server reads it, judged on the value as sent (a value is trimmed by HTTP parsers). */
  readonly read: ReadPlace | undefined;
  /** The user it authenticates where it is read; undefined for a credential that must fail. */
  readonly valid: Owner | undefined;
  /** An empty value: servers differ on whether an empty header is "present". */
  readonly empty: boolean;
  /** For messages: what it is and where, with no secret in it. */
  readonly label: string;
}

/** What a value a request carries is: see Materialised.secrets. */
export type SecretKind = 'token' | 'password' | 'header';

export interface Materialised {
  readonly request: WireRequest;
  readonly entries: readonly Entry[];
  /** The path must reach the collection (canonical, trailing slash); other variants may reach nothing. */
  readonly strictPath: boolean;
  /**
   * Every credential the request carries, to be registered with the redactor before it is sent: tokens,
   * passwords (right or wrong) and whole Authorization values (`Basic …`, kind 'header'), which only travel in
   * headers that are masked whole and whose parts are the scheme, a user name and a password listed apart.
   */
  readonly secrets: ReadonlyArray<{ readonly value: string; readonly kind: SecretKind }>;
  /** Tokens this request carries that authenticate someone (a response must not echo them to nobody). */
  readonly liveTokens: readonly string[];
  readonly description: string;
}

export const LIST_PATH = '/user/client_tokens';

const PATHS: Readonly<Record<PathVariant, { path: string; strict: boolean }>> = {
  canonical: { path: LIST_PATH, strict: true },
  'trailing-slash': { path: `${LIST_PATH}/`, strict: true },
  'query-noise': { path: `${LIST_PATH}?conformance=1`, strict: false },
  'double-slash': { path: '/user//client_tokens', strict: false },
  'dot-segment': { path: '/user/./client_tokens', strict: false },
  'dot-dot-segment': { path: '/user/conformance/../client_tokens', strict: false },
  'percent-encoded': { path: '/user/%63lient_tokens', strict: false },
  'case-changed': { path: '/user/Client_tokens', strict: false },
};

/** Deterministic bytes from a generated number: replays of a seed send the same requests. */
const bytesOf = (what: string, salt: number, n = 32): Buffer =>
  createHash('sha256').update(`conformance-${what}-${salt}`).digest().subarray(0, n);

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** 17.06's and the stand-in's reading: base62-escaped, else plain base64url. */
function lenientParse(token: string): Macaroon | undefined {
  try {
    return parseToken(token);
  } catch {
    try {
      return parseToken(escape62(token.replace(/=+$/, '')));
    } catch {
      return undefined;
    }
  }
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b)));

/**
 * True when `mutated` still carries the original's authority: servers ignore the location (it is not signed),
 * so a change that only touched the location packet leaves a valid token, not an attack.
 */
export function sameAuthority(original: string, mutated: string): boolean {
  const a = lenientParse(original);
  const b = lenientParse(mutated);
  if (a === undefined || b === undefined) return false;
  return (
    a.identifier === b.identifier &&
    sameBytes(a.signature, b.signature) &&
    a.caveats.length === b.caveats.length &&
    a.caveats.every((c, i) => {
      const d = b.caveats[i];
      return d !== undefined && c.cid === d.cid && sameBytes(c.vid, d.vid);
    })
  );
}

const swapCase = (ch: string): string => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase());
const hasCase = (ch: string): boolean => ch.toUpperCase() !== ch.toLowerCase();

/** Changes the case of the first letter at or after `at` (cyclically); undefined when there is no letter. */
function caseChangedAt(s: string, at: number): string | undefined {
  for (let k = 0; k < s.length; k++) {
    const i = (at + k) % s.length;
    const ch = s.charAt(i);
    if (hasCase(ch)) return s.slice(0, i) + swapCase(ch) + s.slice(i + 1);
  }
  return undefined;
}

/** Letters and their look-alikes in other scripts (not compatibility-equivalent: NFKC keeps them apart). */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  a: '\u0430',
  c: '\u0441',
  e: '\u0435',
  i: '\u0456',
  j: '\u0458',
  o: '\u043e',
  p: '\u0440',
  s: '\u0455',
  x: '\u0445',
  y: '\u0443',
  A: '\u0391',
  B: '\u0392',
  E: '\u0395',
  H: '\u0397',
  I: '\u0399',
  K: '\u039a',
  M: '\u039c',
  N: '\u039d',
  O: '\u039f',
  P: '\u03a1',
  T: '\u03a4',
  X: '\u03a7',
};
const GLYPHS = Object.values(LOOK_ALIKES);

function lookAlike(s: string, at: number, glyph: number): string {
  for (let k = 0; k < s.length; k++) {
    const i = (at + k) % s.length;
    const swapped = LOOK_ALIKES[s.charAt(i)];
    if (swapped !== undefined) return s.slice(0, i) + swapped + s.slice(i + 1);
  }
  const i = s.length === 0 ? 0 : at % (s.length + 1);
  return s.slice(0, i) + (GLYPHS[glyph % GLYPHS.length] ?? '\u0430') + s.slice(i);
}

function wrongPassword(
  shape: PasswordShape,
  owner: Owner,
  s: AttackSecrets,
): { value: string; label: string } | undefined {
  const real = s.users[owner]?.password;
  if (real === undefined) return undefined;
  const other = s.users[owner === 'user' ? 'other' : 'user']?.password;
  let value: string | undefined;
  let label: string;
  switch (shape.shape) {
    case 'correct':
      return { value: real, label: 'the right password' };
    case 'suffix':
      value = real + shape.extra;
      label = `the password with ${shape.extra.length} character(s) appended`;
      break;
    case 'empty':
      value = '';
      label = 'an empty password';
      break;
    case 'prefix':
      value = real.slice(0, shape.keep % Math.max(1, real.length));
      label = `the password cut to its first ${value.length} character(s)`;
      break;
    case 'case-changed':
      value = caseChangedAt(real, shape.at);
      label = 'the password with one letter in the other case';
      break;
    case 'truncated-8':
      value = real.slice(0, 8);
      label = 'the password truncated to 8 characters';
      break;
    case 'look-alike':
      value = lookAlike(real, shape.at, shape.glyph);
      label = 'the password with one letter replaced by a look-alike from another script';
      break;
    case 'colon-inside': {
      const i = shape.at % (real.length + 1);
      value = real.slice(0, i) + ':' + real.slice(i);
      label = `the password with a ":" inserted at offset ${i}`;
      break;
    }
    case 'other-users-password':
      value = other;
      label = "the other user's password";
      break;
    case 'token-as-password':
      value = s.tokens[owner];
      label = "the user's own token as the password";
      break;
  }
  if (value === undefined || value === real) return undefined;
  return { value, label };
}

function userName(shape: NameShape, owner: Owner, s: AttackSecrets): { value: string; label: string } | undefined {
  const real = s.users[owner]?.name;
  if (real === undefined) return undefined;
  switch (shape.name) {
    case 'own':
      return { value: real, label: `the ${owner}'s name` };
    case 'unknown': {
      const value = `no-such-user-${shape.suffix}`;
      return Object.values(s.users).some((u) => u.name === value)
        ? undefined
        : { value, label: 'an unknown user name' };
    }
    case 'case-changed': {
      const value = caseChangedAt(real, shape.at);
      return value === undefined
        ? undefined
        : { value, label: `the ${owner}'s name with one letter in the other case` };
    }
  }
}

function malformed(m: MalformedBasic, s: AttackSecrets): { value: string; label: string } | undefined {
  const u = s.users.user;
  switch (m.malformed) {
    case 'not-base64':
      return { value: 'Basic !!!not*base64!!!', label: 'a Basic value that is not base64' };
    case 'no-colon':
      return u && { value: 'Basic ' + b64(u.name), label: 'a Basic value without a colon' };
    case 'empty-value':
      return { value: 'Basic ', label: 'an empty Basic value' };
    case 'empty-credentials':
      return { value: 'Basic ' + b64(':'), label: 'Basic with an empty name and password' };
    case 'only-colon':
      return (
        u && { value: 'Basic ' + b64(':' + u.password), label: "Basic with an empty name and the user's password" }
      );
  }
}

function mutateToken(mu: TokenMutation, owner: Owner, s: AttackSecrets): { value: string; label: string } | undefined {
  const base = s.tokens[owner];
  const whose = `the ${owner}'s token`;
  if (mu.m === 'revoked') return s.revoked === undefined ? undefined : { value: s.revoked, label: 'a deleted token' };
  if (mu.m === 'empty') return { value: '', label: 'an empty token' };
  if (mu.m === 'garbage') return { value: mu.text, label: `a garbage token of ${mu.text.length} character(s)` };
  if (mu.m === 'other-zone') {
    const m = mintToken({
      location: `zone-${mu.salt}.example.org`,
      identifier: bytesOf('zone-identifier', mu.salt).toString('base64url'),
      secret: bytesOf('zone-secret', mu.salt).toString('hex'),
      caveats: [`time < ${s.nowSeconds + 3600}`],
    });
    return { value: serializeToken(m), label: 'a token of another zone (its own identifier and root key)' };
  }
  if (base === undefined) return undefined;
  const stringLevel = (value: string, label: string): { value: string; label: string } | undefined =>
    value === base || sameAuthority(base, value) ? undefined : { value, label };
  switch (mu.m) {
    case 'case-changed': {
      let value = base;
      for (let k = 0; k < mu.count; k++) value = caseChangedAt(value, mu.at + k * 7) ?? value;
      return stringLevel(value, `${whose} with letters in the other case`);
    }
    case 'truncated': {
      const keep = base.length <= 1 ? 0 : 1 + (mu.keep % (base.length - 1));
      return stringLevel(base.slice(0, keep), `${whose} truncated to ${keep} of ${base.length} characters`);
    }
    case 'double-escaped':
      return stringLevel(escape62(base), `${whose} base62-escaped twice`);
    default:
      break;
  }
  const m = lenientParse(base);
  if (m === undefined) return undefined;
  const out = (x: Macaroon, label: string): { value: string; label: string } => ({ value: serializeToken(x), label });
  switch (mu.m) {
    case 'flipped-signature': {
      const signature = Uint8Array.from(m.signature);
      const i = (mu.bit >> 3) % signature.length;
      signature[i] = (signature[i] ?? 0) ^ (1 << (mu.bit & 7));
      return out({ ...m, signature }, `${whose} with signature bit ${mu.bit} flipped`);
    }
    case 'truncated-signature':
      return out(
        { ...m, signature: m.signature.slice(0, mu.keep) },
        `${whose} with its signature cut to ${mu.keep} bytes`,
      );
    case 'foreign-signature':
      return out(
        { ...m, signature: new Uint8Array(bytesOf('signature', mu.salt)) },
        `${whose} with a foreign signature`,
      );
    case 'other-root-key':
      return out(
        mintToken({
          location: m.location,
          identifier: m.identifier,
          secret: bytesOf('root-key', mu.salt).toString('hex'),
          caveats: m.caveats.filter((c) => c.vid === undefined).map((c) => c.cid),
        }),
        `${whose} re-minted under another root key`,
      );
    case 'unknown-identifier':
      return out(
        mintToken({
          location: m.location,
          identifier: bytesOf('identifier', mu.salt).toString('base64url'),
          secret: bytesOf('unknown-secret', mu.salt).toString('hex'),
          caveats: [`time < ${s.nowSeconds + 3600}`],
        }),
        'a well-formed token with an identifier the server never issued',
      );
    case 'expired':
      return out(
        addFirstPartyCaveat(m, `time < ${s.nowSeconds - mu.secondsAgo}`),
        `${whose} attenuated with a time caveat that passed ${mu.secondsAgo} s ago`,
      );
    case 'unknown-caveat':
      return out(addFirstPartyCaveat(m, mu.predicate), `${whose} attenuated with the caveat "${mu.predicate}"`);
    case 'third-party-caveat':
      return out(
        addThirdPartyCaveat(m, {
          cid: `conformance-third-party-${mu.salt}`,
          vid: new Uint8Array(bytesOf('vid', mu.salt, 64)),
          cl: 'https://third-party.example.org',
        }),
        `${whose} with a third-party caveat and no discharge`,
      );
  }
}

function goodValue(c: GoodCredential, s: AttackSecrets): { value: string; label: string } | undefined {
  if (c.kind === 'basic') return undefined; // built by the Basic branch
  const base = s.tokens[c.owner];
  if (base === undefined) return undefined;
  if (c.attenuated === 'no') return { value: base, label: `the ${c.owner}'s token` };
  const m = lenientParse(base);
  if (m === undefined) return undefined;
  return {
    value: serializeToken(addFirstPartyCaveat(m, `time < ${s.nowSeconds + 3600}`)),
    label: `the ${c.owner}'s token attenuated with a future time caveat`,
  };
}

/** Where a server would read an Authorization value: by its scheme, after the trimming every parser does. */
function readOfAuthorization(value: string): ReadPlace | undefined {
  const v = value.trim();
  if (v.startsWith('Basic ')) return 'basic';
  if (v.startsWith('Bearer ')) return 'bearer';
  return undefined;
}

interface Built {
  headers: Record<string, string>;
  query: string[];
  cookies: string[];
}

const headerName = (name: string, upper: boolean): string => (upper ? name.toUpperCase() : name);

/** One placed credential into the request under construction; the Entry it makes, or undefined to skip. */
function place(p: Placed<BadCredential | GoodCredential>, good: boolean, s: AttackSecrets, b: Built) {
  if ('identity' in p) {
    const name = s.users[p.identity]?.name;
    if (name === undefined) return undefined;
    b.headers[p.place] = name;
    const entry: Entry = {
      read: undefined,
      valid: undefined,
      empty: false,
      label: `the ${p.identity}'s name in ${p.place}`,
    };
    return { entry, secrets: [], live: [] };
  }
  const c = p.cred;
  const owner: Owner | undefined = c.kind === 'basic-raw' ? undefined : c.owner;
  let value: string;
  let label: string;
  let read: ReadPlace | undefined;
  let kind: 'token' | 'password' = 'token';
  const secrets: Array<{ value: string; kind: SecretKind }> = [];
  if (c.kind === 'token') {
    const v = good
      ? goodValue(c as GoodCredential, s)
      : mutateToken((c as Extract<BadCredential, { kind: 'token' }>).mutation, c.owner, s);
    if (v === undefined) return undefined;
    ({ value, label } = v);
    secrets.push({ value, kind: 'token' });
  } else if (c.kind === 'basic') {
    const bad = c as Partial<Extract<BadCredential, { kind: 'basic' }>>;
    const name = bad.name ? userName(bad.name, c.owner, s) : userName({ name: 'own' }, c.owner, s);
    const password = bad.password
      ? wrongPassword(bad.password, c.owner, s)
      : wrongPassword({ shape: 'correct' }, c.owner, s);
    if (name === undefined || password === undefined) return undefined;
    if (!good && bad.name?.name === 'own' && bad.password?.shape === 'correct') return undefined;
    value = `Basic ${b64(`${name.value}:${password.value}`)}`;
    label = `Basic with ${name.label} and ${password.label}`;
    kind = 'password';
    secrets.push({ value: password.value, kind: 'password' }, { value, kind: 'header' });
  } else {
    const v = malformed(c.value, s);
    if (v === undefined) return undefined;
    ({ value, label } = v);
    kind = 'password';
    secrets.push({ value, kind: 'header' });
  }
  const live = good && c.kind === 'token' ? [value] : [];
  switch (p.place) {
    case 'x-auth-token':
    case 'macaroon':
      if (kind !== 'token') return undefined;
      b.headers[headerName(p.place, p.nameCase)] = value;
      read = p.place;
      break;
    case 'bearer':
      if (kind !== 'token') return undefined;
      b.headers[headerName('authorization', p.nameCase)] = `Bearer ${value}`;
      read = readOfAuthorization(`Bearer ${value}`);
      break;
    case 'basic-password': {
      const u = owner && s.users[owner];
      if (kind !== 'token' || u === undefined) return undefined;
      const basic = `Basic ${b64(`${u.name}:${value}`)}`;
      secrets.push({ value: basic, kind: 'header' });
      b.headers[headerName('authorization', p.nameCase)] = basic;
      return {
        entry: {
          read: 'basic',
          valid: undefined,
          empty: false,
          label: `${label} as the Basic password`,
        } satisfies Entry,
        secrets,
        live,
      };
    }
    case 'basic':
      if (kind === 'token') return undefined;
      b.headers[headerName('authorization', p.nameCase)] = value;
      read = readOfAuthorization(value);
      break;
    case 'proxy-authorization':
      if (kind === 'token') return undefined;
      b.headers[headerName('proxy-authorization', p.nameCase)] = value;
      read = undefined;
      break;
    case 'query-access_token':
    case 'query-token':
      if (kind !== 'token') return undefined;
      b.query.push(`${p.place.slice('query-'.length)}=${encodeURIComponent(value)}`);
      read = undefined;
      break;
    case 'cookie-access_token':
    case 'cookie-macaroon':
      if (kind !== 'token') return undefined;
      b.cookies.push(`${p.place.slice('cookie-'.length)}=${encodeURIComponent(value)}`);
      read = undefined;
      break;
  }
  const entry: Entry = {
    read,
    valid: good && read !== undefined ? owner : undefined,
    empty: value.trim() === '' || value.trim() === 'Basic',
    label: `${label} in ${p.place}${p.nameCase ? ' (header name upper-cased)' : ''}`,
  };
  return { entry, secrets, live };
}

/** The request for one generated attack, or undefined when it does not apply to this run. */
export function materialise(a: Attack, s: AttackSecrets): Materialised | undefined {
  const b: Built = { headers: {}, query: [], cookies: [] };
  const entries: Entry[] = [];
  const secrets: Array<{ value: string; kind: SecretKind }> = [];
  const liveTokens: string[] = [];
  const creds = credsOf(a);
  for (const p of creds) {
    const good = 'cred' in p && isGood(p.cred);
    const r = place(p, good, s, b);
    if (r === undefined) return undefined;
    entries.push(r.entry);
    secrets.push(...r.secrets);
    liveTokens.push(...r.live);
  }
  // Good tokens placed where no server reads them are still live secrets: nobody may get them back.
  for (const p of creds)
    if ('cred' in p && isGood(p.cred) && p.cred.kind === 'token') {
      const t = s.tokens[p.cred.owner];
      if (t !== undefined && !liveTokens.includes(t)) liveTokens.push(t);
    }
  if (b.cookies.length > 0) b.headers.cookie = b.cookies.join('; ');
  const { path: basePath, strict } = PATHS[a.path];
  const path = b.query.length === 0 ? basePath : `${basePath}${basePath.includes('?') ? '&' : '?'}${b.query.join('&')}`;
  return {
    request: { method: 'GET', path, headers: b.headers },
    entries,
    strictPath: strict,
    secrets,
    liveTokens,
    description: `${entries.map((e) => e.label).join(' + ')}, on ${a.path === 'canonical' ? 'the list path' : `the path variant ${a.path} (${basePath})`}`,
  };
}

/** Good credentials have no mutation, password shape or raw value: the generators never mix the two. */
function isGood(c: BadCredential | GoodCredential): c is GoodCredential {
  if (c.kind === 'basic-raw') return false;
  if (c.kind === 'token') return !('mutation' in c);
  return !('password' in c);
}
