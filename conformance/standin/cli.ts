import { parseArgs } from 'node:util';
import { StandinError } from './errors.js';
import { isFaultId, type FaultId } from './faults.js';
import { startStandin } from './server.js';
import { ACCOUNT_KINDS, isOnezoneVersion, ONEZONE_VERSIONS, type AccountKind, type StandinOptions } from './types.js';
import { isEntryPoint } from '../paths.js';

/**
 * `npm run standin -- [--port N] [--https] [--quirks] [--fault ID]... [--data FILE] [--onezone-version V]`
 * Runs the stand-in in the foreground until SIGINT or SIGTERM.
 */
const USAGE = `usage: npm run standin -- [--port N] [--host H] [--https] [--quirks] [--fault ID]... [--data FILE]
                            [--seed FILE] [--onezone-version ${ONEZONE_VERSIONS.join('|')}] [--domain D] [--slow-ms N]
                            [--account lived-in|fresh] [--circuit-breaker-open] [--basic-auth-disabled]
                            [--blocked-user NAME]... [--gui-session-cookie]`;

export function parseStandinArgs(argv: readonly string[]): StandinOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      https: { type: 'boolean' },
      quirks: { type: 'boolean' },
      fault: { type: 'string', multiple: true },
      data: { type: 'string' },
      seed: { type: 'string' },
      'onezone-version': { type: 'string' },
      domain: { type: 'string' },
      'slow-ms': { type: 'string' },
      account: { type: 'string' },
      'circuit-breaker-open': { type: 'boolean' },
      'basic-auth-disabled': { type: 'boolean' },
      'blocked-user': { type: 'string', multiple: true },
      'gui-session-cookie': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new StandinError('S_USAGE', USAGE);
  const opts: StandinOptions = {};
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new StandinError('S_USAGE', `--port ${values.port}: not a port number`);
    opts.port = port;
  }
  if (values.host !== undefined) opts.host = values.host;
  if (values.https) opts.https = true;
  if (values.quirks) opts.quirks = true;
  if (values.data !== undefined) opts.dataFile = values.data;
  if (values.seed !== undefined) opts.seedFile = values.seed;
  if (values.domain !== undefined) opts.domain = values.domain;
  if (values['slow-ms'] !== undefined) {
    const ms = Number(values['slow-ms']);
    if (!Number.isInteger(ms) || ms < 0)
      throw new StandinError('S_USAGE', `--slow-ms ${values['slow-ms']}: not a duration in ms`);
    opts.slowMs = ms;
  }
  const version = values['onezone-version'];
  if (version !== undefined) {
    if (!isOnezoneVersion(version))
      throw new StandinError('S_USAGE', `--onezone-version ${version}: one of ${ONEZONE_VERSIONS.join(', ')}`);
    opts.version = version;
  }
  const account = values.account;
  if (account !== undefined) {
    if (!(ACCOUNT_KINDS as readonly string[]).includes(account))
      throw new StandinError('S_USAGE', `--account ${account}: one of ${ACCOUNT_KINDS.join(', ')}`);
    opts.account = account as AccountKind;
  }
  if (values['circuit-breaker-open']) opts.breakerOpen = true;
  if (values['basic-auth-disabled']) opts.basicAuthDisabled = true;
  if (values['blocked-user'] !== undefined) opts.blockedUsers = values['blocked-user'];
  if (values['gui-session-cookie']) opts.guiSession = true;
  const faults: FaultId[] = [];
  for (const f of values.fault ?? []) {
    if (!isFaultId(f))
      throw new StandinError('S_USAGE', `--fault ${f}: unknown fault (see conformance/standin/faults.ts)`);
    faults.push(f);
  }
  if (faults.length > 0) opts.faults = faults;
  return opts;
}

async function main(): Promise<void> {
  let opts: StandinOptions;
  try {
    opts = parseStandinArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${(e as Error).message === USAGE ? '' : USAGE + '\n'}`);
    process.exitCode = 2;
    return;
  }
  // startStandin() listens only once everything else has succeeded, so a failure here leaves no listener.
  const s = await startStandin(opts);
  const out = process.stdout;
  out.write(
    `Onezone ${opts.version ?? '17.06'} stand-in${opts.quirks ? ' (quirks)' : ''}${opts.account ? ` (${opts.account} accounts)` : ''}${opts.faults ? ` with faults: ${opts.faults.join(', ')}` : ''}\n`,
  );
  out.write(`  URL: ${s.url}\n`);
  if (s.caPem !== undefined) out.write('  TLS: trust conformance/standin/tls/ca.cert.pem (--ca)\n');
  // The one place where seeded passwords are printed, on purpose: a person at this terminal needs them to
  // try the stand-in by hand. They are public test values from seed.json, valid only on this stand-in.
  out.write('  Test users (Basic):\n');
  for (const u of s.users) out.write(`    ${u.name} / ${u.password}\n`);
  out.write('Press Ctrl+C to stop.\n');
  const stop = (): void => {
    void s.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (isEntryPoint(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`the stand-in failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
