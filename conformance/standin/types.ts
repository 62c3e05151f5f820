import type { FaultId } from './faults.js';

/**
 * The releases the stand-in imitates. '20.02' is oz-worker 20.02.1; '21.02' is the newest release, 21.02.7.
 * The 21.02 patch levels are listed because some of them answer differently (real-server-2102.md §1.1).
 */
export const ONEZONE_VERSIONS = [
  '17.06',
  '18.02',
  '19.02',
  '20.02',
  '21.02',
  '21.02.0',
  '21.02.1',
  '21.02.2',
  '21.02.3',
  '21.02.4',
  '21.02.5',
  '21.02.6',
  '21.02.7',
] as const;
export type OnezoneVersion = (typeof ONEZONE_VERSIONS)[number];
export const isOnezoneVersion = (s: string): s is OnezoneVersion => (ONEZONE_VERSIONS as readonly string[]).includes(s);

/** 'lived-in': a list like a long-used real account (expired, revoked and caveated tokens first); 'fresh': seed only. */
export type AccountKind = 'lived-in' | 'fresh';
export const ACCOUNT_KINDS: readonly AccountKind[] = ['lived-in', 'fresh'];

/** States a real zone can be in, switchable at start and while running (see README.md, "Switches"). */
export interface StandinSwitches {
  /** 21.02.6+: Onepanel's DB-disk monitor has opened the circuit breaker: 503 after authentication. */
  breakerOpen?: boolean;
  /** Basic auth turned off in auth.config (IdP-only deployments): basicAuthNotSupported. */
  basicAuthDisabled?: boolean;
  /** 20.02.7+: users blocked by an administrator (by name): userBlocked for Basic and tokens. */
  blockedUsers?: readonly string[];
  /** 20.02.2+: every request carries a valid GUI session cookie, so plain tokens get tokenSessionInvalid. */
  guiSession?: boolean;
}

export interface StandinOptions extends StandinSwitches {
  /** Which release to imitate; default '17.06' (oz-worker 17.06.2). */
  version?: OnezoneVersion;
  /** Reproduce the release's known defects (404 for nobody, 500 for malformed Basic, HEAD and OPTIONS). */
  quirks?: boolean;
  faults?: readonly FaultId[];
  /** Serve HTTPS with the committed test certificate (conformance/standin/tls/). */
  https?: boolean;
  host?: string;
  port?: number;
  /** JSON state file: users with hashes, tokens with secrets. Survives restarts. Default: in memory. */
  dataFile?: string;
  seedFile?: string;
  /** Delay of the 'slow' fault; default 10 000 ms. */
  slowMs?: number;
  /** Clock in ms, injectable for tests (token expiry). */
  now?: () => number;
  /** The Onezone domain: token location from 19.02 and `domain` of /configuration. Default: the host. */
  domain?: string;
  /** Default 'lived-in' from 20.02 (where the list shows every named token), 'fresh' before. */
  account?: AccountKind;
}

export interface StandinUser {
  name: string;
  password: string;
}

/** What a listed token is, for tests that must know which token the runner ought to pick. */
export type TokenKind = 'valid' | 'expired' | 'revoked' | 'interface-oneclient' | 'rest-service';

export interface RunningStandin {
  /** Base URL including /api/v3/onezone. */
  url: string;
  /** With https: the CA certificate to trust. */
  caPem?: string;
  /** Seeded test users with their plaintext passwords (for the embedded main job and tests). */
  users: readonly StandinUser[];
  /** Mints `count` tokens for a user at once (newest first), persisting once: benchmarks seed 10 000. */
  mintTokens(userName: string, count: number): string[];
  /** The user's list in the order GET answers it, each token with what it is. */
  tokenKinds(userName: string): { token: string; name: string; kind: TokenKind }[];
  /** Flips the zone's state while running (e.g. open the breaker mid-run). */
  setSwitches(s: StandinSwitches): void;
  close(): Promise<void>;
}
