import { readFileSync } from 'node:fs';
import { parseDepth, type Depth } from './attacks/budget.js';
import { parseFlags, type ParsedFlags } from './cli/flags.js';
import { HarnessError } from './errors.js';
import { isProfileId, PROFILE_IDS, type ProfileId } from './profiles.js';

/**
 * Configuration flows one way: argv and environment → CliConfig (pure, here) → the CLI resolves the Target
 * (starting the embedded stand-in if need be) → RunConfig → runConformance. Flags win over environment
 * variables, which win over defaults; tests construct any configuration without touching process state.
 */
export interface Credentials {
  readonly name: string;
  readonly password: string;
}

/** What the run is pointed at, as the command line says it. */
export type Target =
  | { readonly kind: 'embedded' }
  | {
      readonly kind: 'remote';
      /** Base URL including the API prefix, without a trailing slash. */
      readonly url: string;
      readonly user?: Credentials;
      readonly token?: string;
      readonly otherUser?: Credentials;
    };

/** The `run` command's configuration, before the target is resolved. */
export interface CliConfig {
  readonly target: Target;
  /** PEM text and file of the CA to trust (read from --ca). */
  readonly ca?: { readonly file: string; readonly pem: string };
  readonly insecure: boolean;
  /** Decided here, once: the embedded main job always writes (the stand-in is ours to change). */
  readonly allowWrites: boolean;
  readonly profile: ProfileId | 'auto';
  readonly timeoutMs: number;
  /** Most bytes read of one response body (--max-body); default http.ts DEFAULT_MAX_BODY_BYTES. */
  readonly maxBodyBytes?: number;
  /** The whole run's bound: then it stops, removes what it created and exits 2 (E_DEADLINE). */
  readonly deadlineMs: number;
  readonly reportDir: string;
  /** How many generated cases the generated checks judge (default: a small fixed budget). */
  readonly depth?: Depth;
  /** Seed of the generated checks; without it the run draws one (the report records it for --seed). */
  readonly seed?: number;
}

/** What runConformance needs, and nothing else: a resolved target (a URL, also for the embedded stand-in). */
export interface RunConfig {
  /** Base URL including the API prefix, without a trailing slash. */
  readonly target: string;
  /** True when the target is the stand-in this process started (the report says so). */
  readonly embedded: boolean;
  readonly user?: Credentials;
  readonly token?: string;
  readonly otherUser?: Credentials;
  readonly caPem?: string;
  readonly caFile?: string;
  readonly insecure: boolean;
  readonly allowWrites: boolean;
  readonly profile: ProfileId | 'auto';
  readonly timeoutMs: number;
  /** Most bytes read of one response body; default http.ts DEFAULT_MAX_BODY_BYTES (64 MiB). */
  readonly maxBodyBytes?: number;
  /** How many generated cases the generated checks judge (default: a small fixed budget). */
  readonly depth?: Depth;
  /** Seed of the generated checks; without it the run draws one (the report records it for --seed). */
  readonly seed?: number;
}

/** The resolved target: where it is and who may log in; the embedded stand-in's users come from it. */
export interface ResolvedTarget {
  readonly url: string;
  readonly embedded: boolean;
  readonly user?: Credentials;
  readonly token?: string;
  readonly otherUser?: Credentials;
}

/** The one place where a CliConfig and its resolved target become what the run gets. */
export function toRunConfig(config: CliConfig, target: ResolvedTarget): RunConfig {
  return {
    target: target.url,
    embedded: target.embedded,
    ...(target.user && { user: target.user }),
    ...(target.token !== undefined && { token: target.token }),
    ...(target.otherUser && { otherUser: target.otherUser }),
    ...(config.ca && { caPem: config.ca.pem, caFile: config.ca.file }),
    insecure: config.insecure,
    allowWrites: config.allowWrites,
    profile: config.profile,
    timeoutMs: config.timeoutMs,
    ...(config.maxBodyBytes !== undefined && { maxBodyBytes: config.maxBodyBytes }),
    ...(config.depth !== undefined && { depth: config.depth }),
    ...(config.seed !== undefined && { seed: config.seed }),
  };
}

export const DEFAULTS = {
  // Detected from the target: a fixed default fails 18.02+ servers on MUST checks they meet (issue 12).
  profile: 'auto',
  timeoutMs: 10_000,
  deadlineMs: 600_000,
  reportDir: 'reports/latest',
} as const;

/** setTimeout's limit: a longer delay fires at once (Node warns and uses 1 ms), so it is refused up front. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type CliRequest = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: CliConfig };

const usageError = (message: string): HarnessError => new HarnessError('E_USAGE', message);

/** `NAME:PASSWORD`, split at the first colon (Basic auth forbids a colon in the name, not in the password). */
export function parseCredentials(value: string, what: string): Credentials {
  const i = value.indexOf(':');
  if (i <= 0) throw usageError(`${what} must be NAME:PASSWORD`);
  return { name: value.slice(0, i), password: value.slice(i + 1) };
}

/** A base URL for --target: http(s), no credentials (they would reach logs), no query or fragment. */
export function parseTarget(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--target is not a URL ${NOT_SHOWN}; the form is https://zone.example.org/api/v3/onezone`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`--target must be http:// or https:// ${NOT_SHOWN}`);
  // Credentials in the URL would end up in logs; the runner takes them only from --user.
  if (url.username || url.password)
    throw usageError(`--target ${showTarget(url)} must not contain credentials; give them in ONEZONE_USER`);
  if (url.search || url.hash) throw usageError(`--target ${showTarget(url)} must not have a query or fragment`);
  return url.href.replace(/\/+$/, '');
}

/**
 * A malformed --target is often a URL with a password in it (`https://alice:pw@…`, or `https//alice:pw@…` with
 * a typo) or a password given in its place: an unparseable value is not echoed at all, a parseable one only
 * as scheme, host and path.
 */
const NOT_SHOWN = '(the value is not shown: it may hold a password)';
const showTarget = (url: URL): string => `${url.protocol}//${url.host}${url.pathname}`;

/** A duration in ms for a timer: a positive integer, written as digits, that setTimeout can honour. */
export function parseMs(value: string, flag: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n <= 0)
    throw usageError(`${flag} must be a positive integer of milliseconds: ${value}`);
  if (n > MAX_TIMER_MS) throw usageError(`${flag} ${value} is above the limit of ${MAX_TIMER_MS} ms (24.8 days)`);
  return n;
}

export const parseTimeout = (value: string): number => parseMs(value, '--timeout');

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * The --ca file's PEM text, refused when it cannot be read, is empty or holds no PEM certificate: TLS would
 * quietly fall back to the system trust store and the operator would believe their CA was in force.
 */
export function readCa(file: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  let pem: string;
  try {
    pem = read(file);
  } catch (e) {
    throw usageError(`--ca ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (pem.trim() === '') throw usageError(`--ca ${file} is empty`);
  if (!PEM_CERTIFICATE.test(pem))
    throw usageError(`--ca ${file} holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)`);
  return pem;
}

export interface ResolveOptions {
  /** Reads the --ca file; injectable for tests. */
  readFile?: (path: string) => string;
}

/** Parses argv (without node, script and subcommand) and env into the run command's request. */
export function resolveConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: ResolveOptions = {},
): CliRequest {
  const parsed = parseFlags('run', argv, env);
  if (parsed.kind !== 'flags') return parsed;
  return { kind: 'run', config: configFrom(parsed.flags, options) };
}

/** The run command's configuration from its parsed flags. Throws HarnessError E_USAGE. */
export function configFrom(flags: ParsedFlags, options: ResolveOptions = {}): CliConfig {
  const target = flags.string('target');
  const user = flags.string('user');
  const token = flags.string('token');
  const otherUser = flags.string('other-user');
  const profile = flags.string('profile') ?? DEFAULTS.profile;
  if (profile !== 'auto' && !isProfileId(profile))
    throw usageError(`unknown --profile ${profile}; one of ${[...PROFILE_IDS, 'auto'].join(', ')}`);
  const ca = flags.string('ca');
  if (flags.boolean('insecure') && ca !== undefined) throw usageError('--ca and --insecure exclude each other');
  if (target === undefined && (user !== undefined || token !== undefined || otherUser !== undefined))
    throw usageError('--user, --token and --other-user need --target (without it the embedded stand-in is used)');
  const timeout = flags.string('timeout');
  const deadline = flags.string('deadline');
  const maxBody = flags.string('max-body');
  if (
    maxBody !== undefined &&
    (!/^[0-9]+$/.test(maxBody) || !Number.isSafeInteger(Number(maxBody)) || Number(maxBody) <= 0)
  )
    throw usageError(`--max-body must be a positive integer of bytes: ${maxBody}`);
  const depthText = flags.string('depth');
  const depth = depthText === undefined ? undefined : parseDepth(depthText);
  if (depthText !== undefined && depth === undefined)
    throw usageError(`--depth must be default, thorough, 0 (no generated cases) or a number of cases: ${depthText}`);
  const seedText = flags.string('seed');
  if (seedText !== undefined && !/^-?[0-9]{1,10}$/.test(seedText))
    throw usageError(`--seed must be an integer (the seed a report.json records): ${seedText}`);
  const seed = seedText === undefined ? undefined : Number(seedText) | 0;
  if (seedText !== undefined && String(seed) !== seedText.replace(/^(-?)0+(?=\d)/, '$1'))
    throw usageError(`--seed must be a 32-bit integer: ${seedText}`);
  const resolved: Target =
    target === undefined
      ? { kind: 'embedded' }
      : {
          kind: 'remote',
          url: parseTarget(target),
          ...(user !== undefined && { user: parseCredentials(user, '--user') }),
          ...(token !== undefined && { token }),
          ...(otherUser !== undefined && { otherUser: parseCredentials(otherUser, '--other-user') }),
        };
  return {
    target: resolved,
    ...(ca !== undefined && { ca: { file: ca, pem: readCa(ca, options.readFile) } }),
    insecure: flags.boolean('insecure'),
    allowWrites: flags.boolean('allow-writes') || resolved.kind === 'embedded',
    profile,
    timeoutMs: timeout !== undefined ? parseTimeout(timeout) : DEFAULTS.timeoutMs,
    deadlineMs: deadline !== undefined ? parseMs(deadline, '--deadline') : DEFAULTS.deadlineMs,
    ...(maxBody !== undefined && { maxBodyBytes: Number(maxBody) }),
    reportDir: flags.string('report-dir') ?? DEFAULTS.reportDir,
    ...(depth !== undefined && { depth }),
    ...(seed !== undefined && { seed }),
  };
}
