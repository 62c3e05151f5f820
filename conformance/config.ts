import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDepth, type Depth } from './attacks/budget.js';
import { HarnessError } from './errors.js';
import { isProfileId, PROFILE_IDS, type ProfileId } from './profiles.js';

/**
 * Layered run configuration: flags win over environment variables, which win over defaults. Built by a pure
 * function of (argv, env) so that tests can construct any configuration without touching process state.
 */
export interface Credentials {
  readonly name: string;
  readonly password: string;
}

export interface RunConfig {
  /** Base URL including the API prefix, without a trailing slash. Undefined: run the embedded stand-in. */
  readonly target?: string;
  readonly user?: Credentials;
  readonly token?: string;
  readonly otherUser?: Credentials;
  /** PEM text of the CA to trust (read from --ca). */
  readonly caPem?: string;
  readonly caFile?: string;
  readonly insecure: boolean;
  readonly allowWrites: boolean;
  readonly profile: ProfileId | 'auto';
  readonly timeoutMs: number;
  /** Most bytes read of one response body; default http.ts DEFAULT_MAX_BODY_BYTES (64 MiB). */
  readonly maxBodyBytes?: number;
  readonly reportDir: string;
  /** True for the embedded main job: the target is the stand-in this run started. */
  readonly embedded: boolean;
  /** How many generated cases the generated checks judge (default: a small fixed budget). */
  readonly depth?: Depth;
  /** Seed of the generated checks; without it the run draws one (the report records it for --seed). */
  readonly seed?: number;
}

export const DEFAULTS = {
  profile: 'onezone-17.06',
  timeoutMs: 10_000,
  reportDir: 'reports/latest',
} as const;

export const USAGE = `Usage: npm run conformance -- [--target URL] [options]

Judges GET /user/client_tokens of a Onezone against the spec and the real server's behaviour.
Without --target, starts the embedded stand-in and runs everything against it (with --allow-writes).

Options (environment variable in brackets):
  --target URL            base URL with the API prefix, e.g. https://zone.example.org/api/v3/onezone [ONEZONE_TARGET]
  --user NAME:PASSWORD    Basic credentials of a test user [ONEZONE_USER]
  --token TOKEN           an access token of that user [ONEZONE_TOKEN]
  --other-user NAME:PASSWORD  a second user, for the isolation checks [ONEZONE_OTHER_USER]
  --ca FILE               PEM file of the CA to trust
  --insecure              do not verify the TLS certificate
  --allow-writes          permit creating and deleting temporary tokens (lifecycle checks)
  --profile ID            ${[...PROFILE_IDS, 'auto'].join(' | ')} (default ${DEFAULTS.profile})
  --timeout MS            per request (default ${DEFAULTS.timeoutMs})
  --report-dir DIR        where report.json and friends go (default ${DEFAULTS.reportDir})
  --depth D               generated cases: default | thorough | a number [ONEZONE_DEPTH]
  --seed N                replay the generated cases of a run (its seed is in report.json) [ONEZONE_SEED]
  --help                  this text

Exit codes: 0 every MUST check passed, 1 a MUST check failed, 2 the run could not judge.`;

export type CliRequest = { kind: 'help' } | { kind: 'run'; config: RunConfig };

const usageError = (message: string): HarnessError => new HarnessError('E_USAGE', message);

/** `NAME:PASSWORD`, split at the first colon (Basic auth forbids a colon in the name, not in the password). */
export function parseCredentials(value: string, what: string): Credentials {
  const i = value.indexOf(':');
  if (i <= 0) throw usageError(`${what} must be NAME:PASSWORD`);
  return { name: value.slice(0, i), password: value.slice(i + 1) };
}

/** A flag wins over its environment variable; an empty value counts as absent (CI templates leave them empty). */
export function flagOrEnv(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  envName: string,
): string | undefined {
  const v = flag ?? env[envName];
  return v === '' ? undefined : v;
}

/** A base URL for --target: http(s), no credentials (they would reach logs), no query or fragment. */
export function parseTarget(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--target is not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError('--target must be http:// or https://');
  // Credentials in the URL would end up in logs; the runner takes them only from --user.
  if (url.username || url.password) throw usageError('--target must not contain credentials; use --user');
  if (url.search || url.hash) throw usageError('--target must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw usageError(`--timeout must be a positive integer of milliseconds: ${value}`);
  return n;
}

function readCa(file: string, read: (path: string) => string): string {
  try {
    return read(file);
  } catch (e) {
    throw usageError(`--ca ${file} cannot be read: ${(e as Error).message}`);
  }
}

export interface ResolveOptions {
  /** Reads the --ca file; injectable for tests. */
  readFile?: (path: string) => string;
}

/** Parses argv (without node and script) and env into a run configuration. Throws HarnessError E_USAGE. */
export function resolveConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: ResolveOptions = {},
): CliRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        target: { type: 'string' },
        user: { type: 'string' },
        token: { type: 'string' },
        'other-user': { type: 'string' },
        ca: { type: 'string' },
        insecure: { type: 'boolean' },
        'allow-writes': { type: 'boolean' },
        profile: { type: 'string' },
        timeout: { type: 'string' },
        'report-dir': { type: 'string' },
        depth: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  if (values.help) return { kind: 'help' };

  const pick = (flag: string | undefined, envName: string): string | undefined => flagOrEnv(flag, env, envName);
  const target = pick(values.target, 'ONEZONE_TARGET');
  const user = pick(values.user, 'ONEZONE_USER');
  const token = pick(values.token, 'ONEZONE_TOKEN');
  const otherUser = pick(values['other-user'], 'ONEZONE_OTHER_USER');
  const profile = values.profile ?? DEFAULTS.profile;
  if (profile !== 'auto' && !isProfileId(profile)) {
    throw usageError(`unknown --profile ${profile}; one of ${[...PROFILE_IDS, 'auto'].join(', ')}`);
  }
  if (values.insecure && values.ca) throw usageError('--ca and --insecure exclude each other');
  if (target === undefined && (user !== undefined || token !== undefined || otherUser !== undefined)) {
    throw usageError('--user, --token and --other-user need --target (without it the embedded stand-in is used)');
  }
  const depthText = pick(values.depth, 'ONEZONE_DEPTH');
  const depth = depthText === undefined ? undefined : parseDepth(depthText);
  if (depthText !== undefined && depth === undefined)
    throw usageError(`--depth must be default, thorough or a positive number of cases: ${depthText}`);
  const seedText = pick(values.seed, 'ONEZONE_SEED');
  if (seedText !== undefined && !/^-?[0-9]{1,10}$/.test(seedText))
    throw usageError(`--seed must be an integer (the seed a report.json records): ${seedText}`);
  const seed = seedText === undefined ? undefined : Number(seedText) | 0;
  if (seedText !== undefined && String(seed) !== seedText.replace(/^(-?)0+(?=\d)/, '$1'))
    throw usageError(`--seed must be a 32-bit integer: ${seedText}`);
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));

  const config: RunConfig = {
    ...(target !== undefined && { target: parseTarget(target) }),
    ...(user !== undefined && { user: parseCredentials(user, '--user') }),
    ...(token !== undefined && { token }),
    ...(otherUser !== undefined && { otherUser: parseCredentials(otherUser, '--other-user') }),
    ...(values.ca !== undefined && { caFile: values.ca, caPem: readCa(values.ca, read) }),
    insecure: values.insecure ?? false,
    // The embedded main job always runs the lifecycle checks: the stand-in is ours to change.
    allowWrites: (values['allow-writes'] ?? false) || target === undefined,
    profile,
    timeoutMs: values.timeout !== undefined ? parseTimeout(values.timeout) : DEFAULTS.timeoutMs,
    reportDir: values['report-dir'] ?? DEFAULTS.reportDir,
    embedded: target === undefined,
    ...(depth !== undefined && { depth }),
    ...(seed !== undefined && { seed }),
  };
  return { kind: 'run', config };
}
