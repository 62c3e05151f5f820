import { parseArgs } from 'node:util';
import { HarnessError } from '../errors.js';

/**
 * The one table of command-line flags of `onezone-conformance` and its subcommands, and the one parser over
 * it. Every subcommand takes its flags, environment variables, help text and the empty-value rule from here,
 * so that `--target` means the same thing to `run` and `dredd` and a new flag is one row.
 */
export const COMMANDS = ['run', 'standin', 'mock', 'gate', 'docs', 'dredd', 'bench'] as const;
export type Command = (typeof COMMANDS)[number];
export const isCommand = (s: string): s is Command => (COMMANDS as readonly string[]).includes(s);

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly commands: readonly Command[];
  /** The placeholder of the value in the help (`URL`, `MS`). */
  readonly value?: string;
  readonly help: string;
  /**
   * Where one command means the flag differently: other words, another placeholder, another environment
   * variable or none (`env: false`), e.g. `--seed` is a users file to `standin` and a fast-check seed to `run`.
   */
  readonly in?: Partial<
    Record<Command, { readonly help?: string; readonly value?: string; readonly env?: string | false }>
  >;
  /** Read when the flag is absent. */
  readonly env?: string;
  readonly multiple?: boolean;
  readonly short?: string;
  /**
   * The value holds a secret: given as a flag it is visible in the process list and shell history (and npm
   * echoes it), so the parser warns and the help points to the environment variable.
   */
  readonly secret?: boolean;
}

const ALL = COMMANDS;

export const FLAGS = {
  target: {
    type: 'string',
    commands: ['run', 'dredd'],
    value: 'URL',
    env: 'ONEZONE_TARGET',
    help: 'base URL with the API prefix, e.g. https://zone.example.org/api/v3/onezone',
    in: {
      run: {
        help: 'base URL with the API prefix, e.g. https://zone.example.org/api/v3/onezone; without it, the embedded stand-in',
      },
    },
  },
  user: {
    type: 'string',
    commands: ['run', 'dredd'],
    value: 'NAME:PASSWORD',
    env: 'ONEZONE_USER',
    secret: true,
    help: 'Basic credentials of a test user',
  },
  token: {
    type: 'string',
    commands: ['run', 'dredd'],
    value: 'TOKEN',
    env: 'ONEZONE_TOKEN',
    secret: true,
    help: 'an access token of that user',
    in: { dredd: { help: 'an access token, sent in X-Auth-Token when no --user is given' } },
  },
  'other-user': {
    type: 'string',
    commands: ['run'],
    value: 'NAME:PASSWORD',
    env: 'ONEZONE_OTHER_USER',
    secret: true,
    help: 'a second user, for the isolation checks',
  },
  ca: {
    type: 'string',
    commands: ['run', 'dredd'],
    value: 'FILE',
    help: 'PEM file of the CA to trust',
    in: { dredd: { help: 'PEM file of the CA to trust (passed to Dredd as NODE_EXTRA_CA_CERTS)' } },
  },
  insecure: {
    type: 'boolean',
    commands: ['run', 'dredd'],
    help: 'do not verify the TLS certificate (a warning is printed)',
  },
  'allow-writes': {
    type: 'boolean',
    commands: ['run'],
    help: 'permit creating and deleting temporary tokens (lifecycle checks)',
  },
  profile: {
    type: 'string',
    commands: ['run'],
    value: 'ID',
    help: 'what the target is expected to do: auto (default: detected from the target), onezone-17.06, onezone-18.02, onezone-19.02, onezone-20.02, onezone-21.02, mock',
  },
  timeout: {
    type: 'string',
    commands: ['run', 'dredd'],
    value: 'MS',
    help: 'per request, at most 2147483647 (default 10000)',
    in: { dredd: { help: 'per request (default 10000); Dredd is stopped after 20 s + 2 x MS' } },
  },
  deadline: {
    type: 'string',
    commands: ['run'],
    value: 'MS',
    help: 'for the whole run (default 600000); then it stops, removes what it created and exits 2',
  },
  'max-body': {
    type: 'string',
    commands: ['run'],
    value: 'BYTES',
    help: 'most bytes read of one response body (default 67108864, 64 MiB); more is E_BODY_TOO_LARGE',
  },
  'report-dir': {
    type: 'string',
    commands: ['run'],
    value: 'DIR',
    help: 'where report.json and friends go, from the working directory (default reports/latest); made before the first request',
  },
  spec: {
    type: 'string',
    commands: ['dredd'],
    value: 'FILE',
    help: 'the OpenAPI document (default spec/onezone.openapi.yaml)',
  },
  report: {
    type: 'string',
    commands: ['gate'],
    value: 'FILE',
    help: 'the report to judge (e.g. reports/latest/report.json)',
  },
  baseline: {
    type: 'string',
    commands: ['gate'],
    value: 'FILE',
    help: 'a report of an earlier run: a check that passed there and fails now blocks (a regression)',
  },
  allowlist: {
    type: 'string',
    commands: ['gate'],
    value: 'FILE',
    help: 'known deviations {"entries":[{"id","reason","expires":"YYYY-MM-DD","profile"?}]}; default reports/baseline/allowlist.json if present',
  },
  'no-allowlist': { type: 'boolean', commands: ['gate'], help: 'ignore the default allowlist' },
  port: {
    type: 'string',
    commands: ['standin', 'mock'],
    value: 'N',
    help: 'TCP port (default: a free one)',
    in: { mock: { help: 'TCP port (default 4010)' } },
  },
  host: {
    type: 'string',
    commands: ['standin', 'mock'],
    value: 'HOST',
    help: 'address to listen on (default 127.0.0.1)',
  },
  https: { type: 'boolean', commands: ['standin'], help: 'serve HTTPS with the committed test-only CA' },
  quirks: { type: 'boolean', commands: ['standin'], help: "reproduce the release's known defects" },
  fault: {
    type: 'string',
    commands: ['standin'],
    value: 'ID',
    multiple: true,
    help: 'break one rule (repeatable; see conformance/standin/faults.ts)',
  },
  data: { type: 'string', commands: ['standin'], value: 'FILE', help: 'JSON state file that survives restarts' },
  seed: {
    type: 'string',
    commands: ['run', 'standin'],
    value: 'N',
    env: 'ONEZONE_SEED',
    help: 'replay the generated cases of a run (its seed is in report.json)',
    in: { standin: { value: 'FILE', env: false, help: 'users to seed (default conformance/standin/seed.json)' } },
  },
  depth: {
    type: 'string',
    commands: ['run'],
    value: 'D',
    env: 'ONEZONE_DEPTH',
    help: 'generated cases: default | thorough | a number | 0 (none: the generated checks are skipped, a quick smoke run)',
  },
  'onezone-version': {
    type: 'string',
    commands: ['standin', 'mock'],
    value: 'V',
    help: 'the release to imitate: 17.06 (default), 18.02, 19.02, 20.02, 21.02 (= 21.02.7), 21.02.0 … 21.02.7',
    in: { mock: { help: 'the spec version to serve: 17.06 (default), 18.02, 19.02, 20.02, 21.02' } },
  },
  domain: { type: 'string', commands: ['standin'], value: 'DOMAIN', help: 'the Onezone domain (default: the host)' },
  account: {
    type: 'string',
    commands: ['standin'],
    value: 'KIND',
    help: 'lived-in (default from 20.02: expired, revoked and caveated tokens first) or fresh',
  },
  'circuit-breaker-open': { type: 'boolean', commands: ['standin'], help: '503 serviceUnavailable (21.02.6+)' },
  'basic-auth-disabled': { type: 'boolean', commands: ['standin'], help: 'Basic authentication is refused (18.02+)' },
  'blocked-user': {
    type: 'string',
    commands: ['standin'],
    value: 'NAME',
    multiple: true,
    help: 'that user is blocked (repeatable; 21.02)',
  },
  'gui-session-cookie': {
    type: 'boolean',
    commands: ['standin'],
    help: 'as if a GUI session cookie came with every request: plain tokens are refused (21.02)',
  },
  'slow-ms': { type: 'string', commands: ['standin'], value: 'MS', help: "delay of the 'slow' fault (default 10000)" },
  reps: {
    type: 'string',
    commands: ['bench'],
    value: 'N',
    help: 'timed rounds of the speed and depth rows, after one untimed warm-up round (default 5; growth: at most 3, once from 100000 tokens)',
  },
  sizes: {
    type: 'string',
    commands: ['bench'],
    value: 'N,N,…',
    help: 'token list sizes of the growth phase (default 10,1000,10000,100000)',
  },
  jobs: {
    type: 'string',
    commands: ['bench'],
    value: 'N',
    help: 'parallel runs in the detection phase (default: cores, at most 4)',
  },
  out: {
    type: 'string',
    commands: ['bench'],
    value: 'DIR',
    help: 'where bench.md and bench.json go (default reports/bench)',
  },
  only: {
    type: 'string',
    commands: ['bench'],
    value: 'PHASES',
    help: 'some of speed,depth,growth,wrongpw,detection,profile (default: all)',
  },
  help: { type: 'boolean', commands: ALL, short: 'h', help: 'this text' },
  version: { type: 'boolean', commands: ALL, short: 'V', help: 'the version of onezone-conformance' },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;
type StringFlag = { [K in FlagName]: (typeof FLAGS)[K]['type'] extends 'string' ? K : never }[FlagName];
type BooleanFlag = { [K in FlagName]: (typeof FLAGS)[K]['type'] extends 'boolean' ? K : never }[FlagName];

const spec = (name: FlagName): FlagSpec => FLAGS[name];

/** What a flag is to one command: its words, placeholder and environment variable. */
function view(name: FlagName, command: Command): { help: string; value?: string; env?: string } {
  const s = spec(name);
  const o = s.in?.[command];
  const value = o?.value ?? s.value;
  const env = o?.env === false ? undefined : (o?.env ?? s.env);
  return { help: o?.help ?? s.help, ...(value !== undefined && { value }), ...(env !== undefined && { env }) };
}
export const flagsOf = (command: Command): FlagName[] =>
  (Object.keys(FLAGS) as FlagName[]).filter((n) => spec(n).commands.includes(command));

/** What one subcommand's command line says, flags over environment variables. */
export interface ParsedFlags {
  readonly command: Command;
  /** A string flag's value (the last if repeated), else its environment variable's; never ''. */
  string(name: StringFlag): string | undefined;
  /** Every value of a repeatable flag. */
  strings(name: StringFlag): readonly string[];
  boolean(name: BooleanFlag): boolean;
  readonly positionals: readonly string[];
  /** Things the person should know (a password on the command line); never contain a value. */
  readonly warnings: readonly string[];
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'flags'; flags: ParsedFlags };

const usageError = (message: string): HarnessError => new HarnessError('E_USAGE', message);

/** The positionals a command accepts; the others take none. */
const POSITIONALS: Partial<Record<Command, readonly string[]>> = { docs: ['check', 'html'] };

/**
 * Parses one subcommand's argv (after the subcommand) with its environment. Throws HarnessError E_USAGE for
 * an unknown flag, a value where none belongs, and an empty value, given or from the environment: an empty
 * ONEZONE_TARGET is a missing CI secret, not "no target", and must not quietly run against something else;
 * an empty ONEZONE_USER must not quietly run as nobody.
 */
export function parseFlags(
  command: Command,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Parsed {
  const names = flagsOf(command);
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const n of names) {
    const s = spec(n);
    options[n] = {
      type: s.type,
      ...(s.multiple === true && { multiple: true }),
      ...(s.short !== undefined && { short: s.short }),
    };
  }
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }));
  } catch (e) {
    throw usageError(`${(e as Error).message.split('\n')[0] ?? 'bad arguments'} (see \`${command} --help\`)`);
  }
  if (values['help'] === true) return { kind: 'help' };
  if (values['version'] === true) return { kind: 'version' };
  const allowed = POSITIONALS[command] ?? [];
  // The value is not echoed: a misplaced argument is often a password that lost its flag.
  if (positionals.length > (allowed.length > 0 ? 1 : 0) || positionals.some((p) => !allowed.includes(p)))
    throw usageError(
      allowed.length > 0
        ? `${command} takes one of: ${allowed.join(', ')} (an unexpected argument was given; not shown)`
        : `${command} takes no arguments besides flags (an unexpected argument was given; not shown)`,
    );

  const warnings: string[] = [];
  const given = (n: FlagName): string[] => {
    const v = values[n];
    return v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
  };
  for (const n of names) {
    const s = spec(n);
    if (s.type !== 'string') continue;
    const { env: envName } = view(n, command);
    if (given(n).includes('')) throw usageError(`--${n} is empty: give it a value or leave it out`);
    if (envName !== undefined && given(n).length === 0 && env[envName] === '')
      throw usageError(`${envName} is set but empty (a missing CI secret?): give it a value or unset it`);
    if (s.secret === true && given(n).length > 0)
      warnings.push(
        `warning: --${n} is visible to every user of this machine in the process list, and npm echoes it;` +
          (envName !== undefined ? ` prefer the environment variable ${envName}` : ''),
      );
  }
  const flags: ParsedFlags = {
    command,
    string: (n) => {
      const envName = view(n, command).env;
      return given(n).at(-1) ?? (envName !== undefined ? env[envName] : undefined);
    },
    strings: (n) => given(n),
    boolean: (n) => values[n] === true,
    positionals,
    warnings,
  };
  return { kind: 'flags', flags };
}

const WIDTH = 28;

/** One line per flag of `command`, in table order, with its environment variable. */
export function renderFlags(command: Command): string {
  return flagsOf(command)
    .map((n) => {
      const s = spec(n);
      const v = view(n, command);
      const left = `  ${s.short !== undefined ? `-${s.short}, ` : ''}--${n}${v.value !== undefined ? ` ${v.value}` : ''}`;
      const text = v.help + (v.env !== undefined ? ` [${v.env}]` : '');
      return left.length < WIDTH ? left.padEnd(WIDTH) + text : `${left}\n${' '.repeat(WIDTH)}${text}`;
    })
    .join('\n');
}
