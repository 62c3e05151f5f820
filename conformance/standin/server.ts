import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { fromRoot } from '../paths.js';
import { furnish } from './accounts.js';
import type { AuthContext } from './auth.js';
import { StandinError } from './errors.js';
import { FAULT_IDS, type FaultId } from './faults.js';
import { handle, leniencyFor, listedEntries, type HandlerDeps } from './handler.js';
import { PREFIX } from './http-rules.js';
import { hashPassword, PasswordVerifier } from './passwords.js';
import type { Reply } from './reply.js';
import { readSeed, type SeedUser } from './seed.js';
import { Store, type UserRecord } from './state.js';
import { loadTestTls } from './tls.js';
import { mintFor, type TokenIssuer } from './tokens.js';
import { isOnezoneVersion } from './types.js';
import type {
  AccountKind,
  OnezoneVersion,
  RunningStandin,
  StandinOptions,
  StandinSwitches,
  StandinUser,
} from './types.js';
import { VERSIONS, type VersionBehaviour } from './versions.js';

export type {
  AccountKind,
  OnezoneVersion,
  RunningStandin,
  StandinOptions,
  StandinSwitches,
  StandinUser,
  TokenKind,
} from './types.js';
export { StandinError, type StandinErrorCode } from './errors.js';

/**
 * A faithful local Onezone for `GET/POST /user/client_tokens` and `DELETE /user/client_tokens/{tid}`
 * (real-server-behaviour.md §7), on node:http or node:https, with fault switches (faults.ts) that each
 * break one rule. The embedded default target of the main job.
 */
export async function startStandin(opts: StandinOptions = {}): Promise<RunningStandin> {
  const version: OnezoneVersion = opts.version ?? '17.06';
  if (!isOnezoneVersion(version)) throw new StandinError('S_USAGE', `unknown Onezone version "${String(version)}"`);
  const behaviour = VERSIONS[version];
  const host = opts.host ?? '127.0.0.1';
  const faults = new Set(validFaults(opts.faults ?? []));
  const switches: StandinSwitches = {};
  applySwitches(behaviour, switches, opts);
  const account: AccountKind = opts.account ?? (behaviour.livedInByDefault ? 'lived-in' : 'fresh');
  if (account === 'lived-in' && !behaviour.livedInByDefault)
    throw new StandinError(
      'S_USAGE',
      `account "lived-in" needs 20.02 or later: ${version} lists only POST-made tokens`,
    );
  const seed = readSeed(opts.seedFile ?? fromRoot('conformance', 'standin', 'seed.json'));
  const { store, loaded } = Store.open(opts.dataFile);
  const issuer: TokenIssuer = {
    behaviour,
    store,
    domain: opts.domain ?? host,
    nowMs: opts.now ?? Date.now,
  };
  if (!loaded) seedStore(issuer, seed, account);

  const deps: HandlerDeps = {
    issuer,
    auth: authContext(issuer, faults, switches),
    quirks: opts.quirks ?? false,
    faults,
    changed: () => {
      store.save();
    },
  };
  const tls = opts.https ? loadTestTls() : undefined;
  // Node's own limit (16 KiB of headers, then 431) is raised so that cowboy's per-header limits decide.
  const limits = { maxHeaderSize: 64 * 1024 };
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert, ...limits }) : createHttpServer(limits);
  const lifecycle = new Lifecycle(server);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void serve(deps, lifecycle, req, res, faults.has('slow') ? (opts.slowMs ?? 10_000) : 0);
  });
  // Everything that can fail runs before listen(): a failed start leaves no listener behind (issue 13 #15).
  const users = seed
    .filter((s) => store.userByName(s.name) !== undefined)
    .map((s): StandinUser => ({ name: s.name, password: s.password }));
  await listen(server, host, opts.port ?? 0);

  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}${PREFIX}`,
    ...(tls && { caPem: tls.caPem }),
    users,
    mintTokens: (userName, count) => mintMany(issuer, userName, count),
    tokenKinds: (userName) => {
      const user = store.userByName(userName);
      if (user === undefined) throw new StandinError('S_UNKNOWN_USER', `no user "${userName}" in the stand-in`);
      return listedEntries(deps, user).map((t) => ({ token: t.token, name: t.name, kind: t.kind ?? 'valid' }));
    },
    setSwitches: (s) => {
      applySwitches(behaviour, switches, s);
    },
    close: () => lifecycle.close(),
  };
}

/** Starts a stand-in, gives it to `fn`, and closes it whatever `fn` does (tests, the bench). */
export async function withStandin<T>(opts: StandinOptions, fn: (s: RunningStandin) => Promise<T>): Promise<T> {
  const s = await startStandin(opts);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** Each switch models a state that exists only from some release on; asking for it earlier is a usage error. */
function applySwitches(b: VersionBehaviour, into: StandinSwitches, s: StandinSwitches): void {
  const need = (on: boolean | undefined, available: boolean, what: string, from: string): void => {
    if (on === true && !available)
      throw new StandinError('S_USAGE', `${what} exists from Onezone ${from}; the stand-in imitates ${b.release}`);
  };
  need(s.breakerOpen, b.circuitBreaker, 'the circuit breaker', '21.02.6');
  need(s.basicAuthDisabled, b.basicAuthSwitch, 'switching Basic auth off with its own error', '18.02');
  need((s.blockedUsers ?? []).length > 0 ? true : undefined, b.userBlocking, 'blocking users', '20.02.7');
  need(s.guiSession, b.sessionCookie, 'a GUI session checked against tokens', '20.02.2');
  if (s.breakerOpen !== undefined) into.breakerOpen = s.breakerOpen;
  if (s.basicAuthDisabled !== undefined) into.basicAuthDisabled = s.basicAuthDisabled;
  if (s.blockedUsers !== undefined) into.blockedUsers = [...s.blockedUsers];
  if (s.guiSession !== undefined) into.guiSession = s.guiSession;
}

function validFaults(faults: readonly string[]): FaultId[] {
  for (const f of faults)
    if (!(FAULT_IDS as readonly string[]).includes(f)) throw new StandinError('S_USAGE', `unknown fault "${f}"`);
  return faults as FaultId[];
}

/** Passwords are hashed at start with a fresh salt; the plaintext stays only in the seed for `users`. */
function seedStore(issuer: TokenIssuer, seed: readonly SeedUser[], account: AccountKind): void {
  for (const s of seed) {
    const user = issuer.store.addUser(s.name, hashPassword(s.password));
    mintInto(issuer, user, s.tokens);
    if (account === 'lived-in') furnish(issuer, user);
  }
  issuer.store.save();
}

function mintInto(issuer: TokenIssuer, user: UserRecord, count: number): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = mintFor(issuer, user);
    issuer.store.addToken(user, m.identifier, m.secret, { token: m.token, name: m.name }, 'first');
    tokens.push(m.token);
  }
  return tokens;
}

function mintMany(issuer: TokenIssuer, userName: string, count: number): string[] {
  const user = issuer.store.userByName(userName);
  if (user === undefined) throw new StandinError('S_UNKNOWN_USER', `no user "${userName}" in the stand-in`);
  const tokens = mintInto(issuer, user, count);
  issuer.store.save(); // once per batch: 10 000 atomic rewrites would dominate a benchmark's set-up
  return tokens;
}

function authContext(issuer: TokenIssuer, faults: ReadonlySet<FaultId>, switches: StandinSwitches): AuthContext {
  return {
    issuer,
    passwords: new PasswordVerifier(),
    lenient: leniencyFor(faults),
    switches,
    phantom: (name) => ({
      id: `phantom-${randomBytes(8).toString('hex')}`,
      name,
      password: { kdf: 'pbkdf2-sha512', iterations: 1, salt: '', hash: '' },
      tokens: [],
    }),
  };
}

async function serve(
  deps: HandlerDeps,
  lifecycle: Lifecycle,
  req: IncomingMessage,
  res: ServerResponse,
  delayMs: number,
): Promise<void> {
  try {
    const reply = await handle(deps, {
      method: req.method ?? '',
      url: req.url ?? '/',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      peerIp: req.socket.remoteAddress,
      readBody: () => readBody(req, MAX_BODY_BYTES),
    });
    closeAfterReply(req, res);
    if (delayMs > 0) await lifecycle.sleep(delayMs);
    const truncate =
      deps.faults.has('truncated-body') &&
      reply.status === 200 &&
      req.method === 'GET' &&
      reply.body.startsWith('{"tokens"');
    write(res, reply, truncate);
  } catch {
    // A bug or a broken connection: cowboy's generic answer to a crashed handler.
    if (!res.headersSent && !res.destroyed) write(res, { status: 500, body: '' }, false);
  }
}

/** cowboy_req:read_body/1's default `length`: past it rest_handler:get_data crashes (500). */
export const MAX_BODY_BYTES = 8_000_000;

/**
 * Reads at most `max` bytes; undefined when the body is longer (nothing more is read). Only called once the
 * request has passed authentication, negotiation and the content type, as cowboy_rest reads it in
 * process_request: an unauthenticated 1 GiB upload costs nothing (issue 13 #15).
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const announced = Number(req.headers['content-length'] ?? '0');
  if (announced > max) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/**
 * The answer does not need the rest of the body (an authentication failure, a GET with a body, a body
 * over the limit): answer with `connection: close`, so that node:http ends the connection once the
 * answer is out instead of draining (and the client sending) the whole upload.
 */
function closeAfterReply(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  res.shouldKeepAlive = false;
  res.setHeader('connection', 'close');
}

/** cowboy's defaults only: content-length, date, server. Node adds connection/keep-alive as cowboy 1 does. */
function write(res: ServerResponse, reply: Reply, truncate: boolean): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.statusCode = reply.status;
  res.setHeader('server', 'Cowboy');
  res.setHeader('content-length', body.length);
  if (reply.contentType !== undefined) res.setHeader('content-type', reply.contentType);
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (!truncate) {
    res.end(body);
    return;
  }
  // The `truncated-body` fault: announce the full length, send half, then drop the connection.
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Tracks sockets and delay timers so that close() ends everything at once, also mid-'slow'. */
class Lifecycle {
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closed = false;

  constructor(private readonly server: Server) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.finish(entry);
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });
  }

  private finish(entry: { timer: NodeJS.Timeout; resolve: () => void }): void {
    clearTimeout(entry.timer);
    this.timers.delete(entry);
    entry.resolve();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const t of [...this.timers]) this.finish(t);
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
      for (const s of this.sockets) s.destroy();
    });
  }
}
