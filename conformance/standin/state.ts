import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isObject } from '../objects.js';
import { StandinError } from './errors.js';
import { isPasswordHash, type PasswordHash } from './passwords.js';
import type { TokenKind } from './types.js';

/**
 * The stand-in's data: users (with password hashes) and, like oz-worker's `onedata_auth` records, one
 * secret per token identifier. Each user's list holds the serialized tokens, newest first, exactly as
 * 17.06.2 keeps `od_user.client_tokens`. With a data file every change is written atomically (temporary
 * file, then rename), so a crash never leaves half a state behind.
 */

export interface ListedToken {
  token: string;
  /** 20.02 names tokens; its list is ordered by name. */
  name: string;
  /** What the token is (lived-in accounts); absent means an ordinary valid token. */
  kind?: TokenKind;
}

export interface UserRecord {
  id: string;
  name: string;
  password: PasswordHash;
  /** Newest first. */
  tokens: ListedToken[];
}

export interface AuthRecord {
  secret: string;
  userId: string;
  /** 20.02+ od_token.revoked: the token stays listed but authenticates no more (tokenRevoked). */
  revoked?: boolean;
}

interface StateFile {
  format: 'onezone-standin-state/1';
  users: UserRecord[];
  auth: Record<string, AuthRecord>;
}

export class Store {
  private readonly users_: UserRecord[];
  /** identifier → secret and owner: oz-worker's `onedata_auth` records. */
  private readonly auth: Map<string, AuthRecord>;

  private constructor(
    data: StateFile,
    private readonly file: string | undefined,
  ) {
    this.users_ = data.users;
    this.auth = new Map(Object.entries(data.auth));
  }

  static inMemory(): Store {
    return new Store(emptyState(), undefined);
  }

  /** Loads the file if it exists; otherwise starts empty and the caller seeds it. */
  static open(file: string | undefined): { store: Store; loaded: boolean } {
    if (file === undefined || !existsSync(file)) return { store: new Store(emptyState(), file), loaded: false };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new StandinError('S_DATA_FILE', `cannot read the state file ${file}: ${(e as Error).message}`);
    }
    if (!isStateFile(parsed)) throw new StandinError('S_DATA_FILE', `${file} is not a stand-in state file`);
    return { store: new Store(parsed, file), loaded: true };
  }

  get users(): readonly UserRecord[] {
    return this.users_;
  }

  userByName(name: string): UserRecord | undefined {
    return this.users_.find((u) => u.name === name);
  }

  userById(id: string): UserRecord | undefined {
    return this.users_.find((u) => u.id === id);
  }

  addUser(name: string, password: PasswordHash): UserRecord {
    const user: UserRecord = { id: randomBytes(16).toString('hex'), name, password, tokens: [] };
    this.users_.push(user);
    return user;
  }

  authRecord(identifier: string): AuthRecord | undefined {
    return this.auth.get(identifier);
  }

  /** Registers a minted token: its secret, and (unless `listed` is false) its place first in the list. */
  addToken(
    user: UserRecord,
    identifier: string,
    secret: string,
    listed: ListedToken,
    where: 'first' | 'last' | 'unlisted',
  ): void {
    this.auth.set(identifier, { secret, userId: user.id });
    if (where === 'first') user.tokens.unshift(listed);
    else if (where === 'last') user.tokens.push(listed);
  }

  unlist(user: UserRecord, token: string): void {
    user.tokens = user.tokens.filter((t) => t.token !== token);
  }

  /** Deletes the token's record: it no longer exists (tokenInvalid), as after DELETE. */
  revoke(identifier: string): void {
    this.auth.delete(identifier);
  }

  /** Marks the token revoked but keeps it (20.02+ od_token.revoked = true). */
  markRevoked(identifier: string): void {
    const record = this.auth.get(identifier);
    if (record !== undefined) record.revoked = true;
  }

  /** Writes the whole state atomically; a no-op in memory. */
  save(): void {
    if (this.file === undefined) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    // 0600: the file holds token secrets, like the real server's database.
    const data: StateFile = {
      format: 'onezone-standin-state/1',
      users: this.users_,
      auth: Object.fromEntries(this.auth),
    };
    writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

function emptyState(): StateFile {
  return { format: 'onezone-standin-state/1', users: [], auth: {} };
}

function isStateFile(x: unknown): x is StateFile {
  if (!isObject(x)) return false;
  const { format, users, auth } = x;
  return (
    format === 'onezone-standin-state/1' &&
    Array.isArray(users) &&
    users.every(isUserRecord) &&
    isObject(auth) &&
    Object.values(auth).every(isAuthRecord)
  );
}

function isUserRecord(x: unknown): x is UserRecord {
  if (!isObject(x)) return false;
  const { id, name, password, tokens } = x;
  return (
    typeof id === 'string' &&
    typeof name === 'string' &&
    isPasswordHash(password) &&
    Array.isArray(tokens) &&
    tokens.every((t) => isObject(t) && typeof t['token'] === 'string' && typeof t['name'] === 'string')
  );
}

const isAuthRecord = (x: unknown): x is AuthRecord =>
  isObject(x) && typeof x['secret'] === 'string' && typeof x['userId'] === 'string';
