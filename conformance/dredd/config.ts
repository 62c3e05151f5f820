import { resolve } from 'node:path';
import { parseFlags, type ParsedFlags } from '../cli/flags.js';
import { parseCredentials, parseTarget, parseTimeout, readCa, type Credentials } from '../config.js';
import { HarnessError } from '../errors.js';
import { fromRoot } from '../paths.js';

/**
 * Configuration of `onezone-conformance dredd`: the runner's flags and environment variables where they mean
 * the same (--target/ONEZONE_TARGET, --user/ONEZONE_USER, --token/ONEZONE_TOKEN, --ca, --insecure, --timeout:
 * rows of the one table in cli/flags.ts), so that one set of credentials drives both tools.
 */
export interface DreddConfig {
  /** Base URL with the API prefix (Dredd ignores the spec's `servers`), without a trailing slash. */
  readonly target: string;
  readonly user?: Credentials;
  readonly token?: string;
  readonly specFile: string;
  readonly caFile?: string;
  readonly insecure: boolean;
  /** Per request, as in the runner. Dredd has no request timeout, so the wrapper bounds the whole run. */
  readonly timeoutMs: number;
}

export const DREDD_DEFAULTS = {
  specFile: 'spec/onezone.openapi.yaml',
  timeoutMs: 10_000,
} as const;

export type DreddCliRequest = { kind: 'help' } | { kind: 'run'; config: DreddConfig };

const usageError = (message: string): HarnessError => new HarnessError('E_USAGE', message);

/** Parses argv (without node, script and subcommand) and env. Throws HarnessError E_USAGE. */
export function resolveDreddConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd = process.cwd(),
): DreddCliRequest {
  const parsed = parseFlags('dredd', argv, env);
  if (parsed.kind !== 'flags') return { kind: 'help' };
  return { kind: 'run', config: dreddConfigFrom(parsed.flags, cwd) };
}

/** Dredd's configuration from its parsed flags; files resolve from `cwd`, the person's working directory. */
export function dreddConfigFrom(flags: ParsedFlags, cwd: string): DreddConfig {
  const target = flags.string('target');
  if (target === undefined) throw usageError('--target (or ONEZONE_TARGET) is required');
  const user = flags.string('user');
  const token = flags.string('token');
  if (user === undefined && token === undefined) {
    throw usageError('the 200 transaction needs credentials: ONEZONE_USER=NAME:PASSWORD or ONEZONE_TOKEN=TOKEN');
  }
  const ca = flags.string('ca');
  if (flags.boolean('insecure') && ca !== undefined) throw usageError('--ca and --insecure exclude each other');
  // Read only to refuse an empty or non-PEM file: Dredd gets the path (NODE_EXTRA_CA_CERTS).
  if (ca !== undefined) readCa(resolve(cwd, ca));
  const spec = flags.string('spec');
  const timeout = flags.string('timeout');
  return {
    target: parseTarget(target),
    ...(user !== undefined && { user: parseCredentials(user, '--user') }),
    ...(token !== undefined && { token }),
    specFile: spec !== undefined ? resolve(cwd, spec) : fromRoot(DREDD_DEFAULTS.specFile),
    ...(ca !== undefined && { caFile: resolve(cwd, ca) }),
    insecure: flags.boolean('insecure'),
    timeoutMs: timeout !== undefined ? parseTimeout(timeout) : DREDD_DEFAULTS.timeoutMs,
  };
}
