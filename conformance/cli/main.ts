import { isHarnessError } from '../errors.js';
import { isEntryPoint, toolVersion } from '../paths.js';
import { isCommand, parseFlags, type Command, type ParsedFlags } from './flags.js';
import { BIN, commandHelp, topHelp } from './help.js';
import { NOTHING_RUN, type Io, type Lifecycle, type StopSignal } from './io.js';
import { watchParent } from './parent.js';

/**
 * `onezone-conformance <command> [options]`: the package's one command (its `bin`). Parses the flags of
 * every subcommand from the one table in flags.ts, answers --help and --version, and loads only the
 * subcommand it runs, so that `gate --help` does not pay for the runner's modules.
 */
export type Handler = (flags: ParsedFlags, io: Io) => Promise<number>;

const HANDLERS: Readonly<Record<Command, () => Promise<Handler>>> = {
  run: async () => (await import('./run.js')).runCommand,
  standin: async () => (await import('../standin/cli.js')).standinCommand,
  mock: async () => (await import('./mock.js')).mockCommand,
  gate: async () => (await import('../report/gate-cli.js')).gateCommand,
  docs: async () => (await import('./docs.js')).docsCommand,
  dredd: async () => (await import('../dredd/cli.js')).dreddCommand,
  bench: async () => (await import('../bench/bench.js')).benchCommand,
};

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.out.write(topHelp() + '\n');
    return 0;
  }
  if (first === '--version' || first === '-V') {
    io.out.write(toolVersion() + '\n');
    return 0;
  }
  if (first === undefined || !isCommand(first)) {
    io.err.write(
      `${first === undefined ? 'error: a command is needed' : 'error: unknown command (not shown)'}\n\n${topHelp()}\n`,
    );
    return 2;
  }
  let parsed;
  try {
    parsed = parseFlags(first, rest, io.env);
  } catch (e) {
    if (!isHarnessError(e)) throw e;
    io.err.write(`error: ${e.message}\nRun \`${BIN} ${first} --help\` for the options.\n`);
    if (first === 'run') io.out.write(NOTHING_RUN + '\n');
    return 2;
  }
  if (parsed.kind === 'help') {
    io.out.write(commandHelp(first) + '\n');
    return 0;
  }
  if (parsed.kind === 'version') {
    io.out.write(toolVersion() + '\n');
    return 0;
  }
  for (const w of parsed.flags.warnings) io.err.write(w + '\n');
  const handler = await HANDLERS[first]();
  return handler(parsed.flags, io);
}

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The real process's signals and parent, for the entry point only. */
export function processLifecycle(env: Io['env']): Lifecycle {
  return {
    onSignal(handler) {
      const listeners = STOP_SIGNALS.map(
        (s) =>
          [
            s,
            () => {
              handler(s);
            },
          ] as const,
      );
      for (const [s, l] of listeners) process.on(s, l);
      return () => {
        for (const [s, l] of listeners) process.off(s, l);
      };
    },
    onParentGone: (handler) => watchParent(handler, { env }),
  };
}

/** The entry point: the bin shim and `node dist/conformance/cli/main.js` both end here. */
export async function start(): Promise<void> {
  const env = process.env;
  try {
    process.exitCode = await main(process.argv.slice(2), {
      out: process.stdout,
      err: process.stderr,
      env,
      // npm runs scripts in the package root; INIT_CWD is where the person typed the command.
      cwd: env['INIT_CWD'] ?? process.cwd(),
      lifecycle: processLifecycle(env),
    });
  } catch (e) {
    // Only a bug gets here: each command reports its own failures (and redacts them).
    process.stderr.write(`error E_INTERNAL: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}

if (isEntryPoint(import.meta.url)) await start();
