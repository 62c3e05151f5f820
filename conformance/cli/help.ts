import { COMMANDS, renderFlags, type Command } from './flags.js';

/** What `onezone-conformance [command] --help` prints; the flag lines come from the one table in flags.ts. */
export const BIN = 'onezone-conformance';

interface CommandHelp {
  readonly usage: string;
  readonly summary: string;
  readonly description?: string;
  readonly epilog?: string;
}

const HELP: Readonly<Record<Command, CommandHelp>> = {
  run: {
    usage: `${BIN} run [--target URL] [options]`,
    summary: "judge a Onezone's GET /user/client_tokens (without --target: the embedded stand-in)",
    description:
      "Judges GET /user/client_tokens of a Onezone against the spec and the real server's behaviour.\n" +
      'Without --target, starts the embedded stand-in and runs everything against it (with --allow-writes).\n' +
      'With --target, --user or --token is required (without a credential almost nothing can be judged).\n' +
      'Pass passwords and tokens through the environment variables: a flag is visible in the process list.',
    epilog:
      'Exit codes: 0 every MUST check passed, 1 a MUST check failed, 2 the run could not judge (also after\n' +
      '--deadline), 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (what the run created is removed first).',
  },
  standin: {
    usage: `${BIN} standin [options]`,
    summary: 'the faithful stand-in of Onezone in the foreground; prints its URL and test users',
    description:
      'Stops on Ctrl+C, SIGTERM, SIGHUP, and when the process that started it ends.\n' +
      'A starter that had already ended (`sh -c "cmd &"`) counts as ended. To keep it running detached, start\n' +
      'it in a session of its own (`setsid cmd`), or with `nohup cmd &` from a shell that stays open.',
  },
  mock: {
    usage: `${BIN} mock [options]`,
    summary: 'Prism 5.14 mock of the spec on http://127.0.0.1:4010/api/v3/onezone',
    description:
      'Answers 401 without credentials and 200 with any. Stops on Ctrl+C, SIGTERM, SIGHUP, and when the\n' +
      'process that started it ends.\n' +
      'A starter that had already ended (`sh -c "cmd &"`) counts as ended. To keep it running detached, start\n' +
      'it in a session of its own (`setsid cmd`), or with `nohup cmd &` from a shell that stays open.',
  },
  gate: {
    usage: `${BIN} gate --report FILE [--baseline FILE] [--allowlist FILE | --no-allowlist]`,
    summary: 'release gate: non-conformance, regressions, allowlist with expiry',
    epilog:
      'Exit codes: 0 the release may go, 1 blocked (non-conformant, regression, expired or stale allowlist\n' +
      'entry), 2 could not judge (bad input, or a report whose run errored).',
  },
  docs: {
    usage: `${BIN} docs [check | html]`,
    summary: 'regenerate docs/ from spec/; check: fail on drift; html: one static page of the spec',
    description:
      'docs        writes docs/ and the spec artefacts generated from spec/\n' +
      'docs check  fails with a diff when docs/ and spec/ drift, or a JSON example in docs/ is invalid\n' +
      'docs html   writes docs/html/index.html (Redocly)',
  },
  dredd: {
    usage: `${BIN} dredd --target URL [options]   (credentials: ONEZONE_USER or ONEZONE_TOKEN)`,
    summary: 'Dredd 14.1.0 from the same spec, credentials handled by hooks',
    description:
      'Runs Dredd 14.1.0 from the spec against a Onezone: GET /user/client_tokens with credentials (200) and\n' +
      'without (401). Every other documented transaction is skipped (the conformance runner covers them).',
    epilog:
      'Exit codes: 0 both transactions passed, 1 one failed, 2 Dredd could not judge (usage, spec, connection).\n' +
      'Credentials are masked in everything printed.',
  },
  bench: {
    usage: `${BIN} bench [options]`,
    summary:
      'the command vs Dredd, a plain-Node floor and node -e 0 on one stand-in; generated depth, growth, wrong passwords, detection, profile',
  },
};

export function commandHelp(command: Command): string {
  const h = HELP[command];
  const hasEnv = renderFlags(command).includes('[ONEZONE_');
  return [
    `Usage: ${h.usage}`,
    '',
    h.description ?? h.summary,
    '',
    `Options${hasEnv ? ' (environment variable in brackets)' : ''}:`,
    renderFlags(command),
    ...(h.epilog !== undefined ? ['', h.epilog] : []),
  ].join('\n');
}

export function topHelp(): string {
  return [
    `Usage: ${BIN} <command> [options]`,
    '',
    "Documentation-and-conformance suite for Onezone's GET /user/client_tokens.",
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.padEnd(10)}${HELP[c].summary}`),
    '',
    'Options:',
    "  -h, --help              this text; with a command, that command's options",
    '  -V, --version           the version',
    '',
    `Run \`${BIN} <command> --help\` for a command's options.`,
  ].join('\n');
}
