import type { FaultId } from './faults.js';

export type OnezoneVersion = '17.06' | '18.02' | '19.02' | '20.02';
export const ONEZONE_VERSIONS: readonly OnezoneVersion[] = ['17.06', '18.02', '19.02', '20.02'];
export const isOnezoneVersion = (s: string): s is OnezoneVersion => (ONEZONE_VERSIONS as readonly string[]).includes(s);

export interface StandinOptions {
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
}

export interface StandinUser {
  name: string;
  password: string;
}

export interface RunningStandin {
  /** Base URL including /api/v3/onezone. */
  url: string;
  /** With https: the CA certificate to trust. */
  caPem?: string;
  /** Seeded test users with their plaintext passwords (for the embedded main job and tests). */
  users: readonly StandinUser[];
  /** Mints `count` tokens for a user at once (newest first), persisting once: benchmarks seed 10 000. */
  mintTokens(userName: string, count: number): string[];
  close(): Promise<void>;
}
