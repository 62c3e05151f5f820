import { parseFlags, type ParsedFlags } from '../cli/flags.js';
import { commandHelp } from '../cli/help.js';
import { untilStopped, type Io } from '../cli/io.js';
import { StandinError } from './errors.js';
import { isFaultId, type FaultId } from './faults.js';
import { startStandin } from './server.js';
import { ACCOUNT_KINDS, isOnezoneVersion, ONEZONE_VERSIONS, type AccountKind, type StandinOptions } from './types.js';

/**
 * `onezone-conformance standin [options]`: the stand-in in the foreground until Ctrl+C, SIGTERM, SIGHUP or
 * the end of the process that started it (so that killing `npm run standin &` by npm's pid stops it too).
 * Its flags are rows of the one table in cli/flags.ts; this file turns them into StandinOptions.
 */
export function standinOptionsFrom(flags: ParsedFlags): StandinOptions {
  const opts: StandinOptions = {};
  const port = flags.string('port');
  if (port !== undefined) {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n > 65535) throw new StandinError('S_USAGE', `--port ${port}: not a port number`);
    opts.port = n;
  }
  const host = flags.string('host');
  if (host !== undefined) opts.host = host;
  if (flags.boolean('https')) opts.https = true;
  if (flags.boolean('quirks')) opts.quirks = true;
  const data = flags.string('data');
  if (data !== undefined) opts.dataFile = data;
  const seed = flags.string('seed');
  if (seed !== undefined) opts.seedFile = seed;
  const domain = flags.string('domain');
  if (domain !== undefined) opts.domain = domain;
  const slow = flags.string('slow-ms');
  if (slow !== undefined) {
    const ms = Number(slow);
    if (!/^\d+$/.test(slow) || ms > 2 ** 31 - 1)
      throw new StandinError('S_USAGE', `--slow-ms ${slow}: not a duration in ms`);
    opts.slowMs = ms;
  }
  const version = flags.string('onezone-version');
  if (version !== undefined) {
    if (!isOnezoneVersion(version))
      throw new StandinError('S_USAGE', `--onezone-version ${version}: one of ${ONEZONE_VERSIONS.join(', ')}`);
    opts.version = version;
  }
  const account = flags.string('account');
  if (account !== undefined) {
    if (!(ACCOUNT_KINDS as readonly string[]).includes(account))
      throw new StandinError('S_USAGE', `--account ${account}: one of ${ACCOUNT_KINDS.join(', ')}`);
    opts.account = account as AccountKind;
  }
  if (flags.boolean('circuit-breaker-open')) opts.breakerOpen = true;
  if (flags.boolean('basic-auth-disabled')) opts.basicAuthDisabled = true;
  if (flags.strings('blocked-user').length > 0) opts.blockedUsers = [...flags.strings('blocked-user')];
  if (flags.boolean('gui-session-cookie')) opts.guiSession = true;
  const faults: FaultId[] = [];
  for (const f of flags.strings('fault')) {
    if (!isFaultId(f))
      throw new StandinError('S_USAGE', `--fault ${f}: unknown fault (see conformance/standin/faults.ts)`);
    faults.push(f);
  }
  if (faults.length > 0) opts.faults = faults;
  return opts;
}

/** The stand-in's options from a command line (tests); parse errors are S_USAGE as the option checks are. */
export function parseStandinArgs(argv: readonly string[]): StandinOptions {
  let parsed;
  try {
    parsed = parseFlags('standin', argv, {});
  } catch (e) {
    throw new StandinError('S_USAGE', (e as Error).message);
  }
  if (parsed.kind !== 'flags') throw new StandinError('S_USAGE', commandHelp('standin'));
  return standinOptionsFrom(parsed.flags);
}

export async function standinCommand(flags: ParsedFlags, io: Io): Promise<number> {
  let opts: StandinOptions;
  try {
    opts = standinOptionsFrom(flags);
  } catch (e) {
    io.err.write(`error: ${(e as Error).message}\nRun \`onezone-conformance standin --help\` for the options.\n`);
    return 2;
  }
  // Subscribed before the server starts: a signal during start-up must still stop it.
  const { stopped, dispose } = untilStopped(io.lifecycle);
  let s;
  try {
    // startStandin() listens only once everything else has succeeded, so a failure here leaves no listener.
    s = await startStandin(opts);
  } catch (e) {
    dispose();
    io.err.write(`the stand-in failed: ${(e as Error).message}\n`);
    return 1;
  }
  const out = io.out;
  out.write(
    `Onezone ${opts.version ?? '17.06'} stand-in${opts.quirks ? ' (quirks)' : ''}${opts.account ? ` (${opts.account} accounts)` : ''}${opts.faults ? ` with faults: ${opts.faults.join(', ')}` : ''}\n`,
  );
  out.write(`  URL: ${s.url}\n`);
  if (s.caPem !== undefined) out.write('  TLS: trust conformance/standin/tls/ca.cert.pem (--ca)\n');
  // The one place where seeded passwords are printed, on purpose: a person at this terminal needs them to
  // try the stand-in by hand. They are public test values from seed.json, valid only on this stand-in.
  out.write('  Test users (Basic):\n');
  for (const u of s.users) out.write(`    ${u.name} / ${u.password}\n`);
  out.write('Press Ctrl+C to stop (it also stops when the process that started it ends).\n');
  const why = await stopped;
  dispose();
  await s.close();
  io.err.write(`stand-in stopped (${why === 'parent' ? 'its parent process ended' : why})\n`);
  return 0;
}
