import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { flagOrEnv, parseCredentials, parseTarget, parseTimeout, type Credentials } from '../config.js';
import { HarnessError } from '../errors.js';
import { fromRoot } from '../paths.js';

/**
 * Configuration of `npm run dredd`: the runner's options and environment variables where they mean the same
 * (--target/ONEZONE_TARGET, --user/ONEZONE_USER, --token/ONEZONE_TOKEN, --ca, --insecure, --timeout), so
 * that one set of credentials drives both tools. Flags win over the environment. Pure: (argv, env) in.
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

export const DREDD_USAGE = `Usage: npm run dredd -- --target URL (--user NAME:PASSWORD | --token TOKEN) [options]

Runs Dredd 14.1.0 from the spec against a Onezone: GET /user/client_tokens with credentials (200) and
without (401). Every other documented transaction is skipped (the conformance runner covers them).

Options (environment variable in brackets):
  --target URL            base URL with the API prefix, e.g. https://zone.example.org/api/v3/onezone [ONEZONE_TARGET]
  --user NAME:PASSWORD    Basic credentials of a test user [ONEZONE_USER]
  --token TOKEN           an access token, sent in X-Auth-Token when no --user is given [ONEZONE_TOKEN]
  --ca FILE               PEM file of the CA to trust (passed to Dredd as NODE_EXTRA_CA_CERTS)
  --insecure              do not verify the TLS certificate
  --spec FILE             the OpenAPI document (default ${DREDD_DEFAULTS.specFile})
  --timeout MS            per request (default ${DREDD_DEFAULTS.timeoutMs}); Dredd is stopped after 20 s + 2 x MS
  --help                  this text

Exit codes: 0 both transactions passed, 1 one failed, 2 Dredd could not judge (usage, spec, connection).
Credentials are masked in everything printed.`;

export type DreddCliRequest = { kind: 'help' } | { kind: 'run'; config: DreddConfig };

const usageError = (message: string): HarnessError => new HarnessError('E_USAGE', message);

/** Parses argv (without node and script) and env. Throws HarnessError E_USAGE. */
export function resolveDreddConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): DreddCliRequest {
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
        ca: { type: 'string' },
        insecure: { type: 'boolean' },
        spec: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  if (values.help) return { kind: 'help' };

  const pick = (flag: string | undefined, envName: string): string | undefined => flagOrEnv(flag, env, envName);
  const target = pick(values.target, 'ONEZONE_TARGET');
  if (target === undefined) throw usageError('--target (or ONEZONE_TARGET) is required');
  const user = pick(values.user, 'ONEZONE_USER');
  const token = pick(values.token, 'ONEZONE_TOKEN');
  if (user === undefined && token === undefined) {
    throw usageError('the 200 transaction needs credentials: --user NAME:PASSWORD or --token TOKEN');
  }
  if (values.insecure && values.ca) throw usageError('--ca and --insecure exclude each other');

  const config: DreddConfig = {
    target: parseTarget(target),
    ...(user !== undefined && { user: parseCredentials(user, '--user') }),
    ...(token !== undefined && { token }),
    specFile: values.spec !== undefined ? resolve(values.spec) : fromRoot(DREDD_DEFAULTS.specFile),
    ...(values.ca !== undefined && { caFile: resolve(values.ca) }),
    insecure: values.insecure ?? false,
    timeoutMs: values.timeout !== undefined ? parseTimeout(values.timeout) : DREDD_DEFAULTS.timeoutMs,
  };
  return { kind: 'run', config };
}
