import { isHarnessError } from '../errors.js';
import { DREDD_USAGE, resolveDreddConfig } from './config.js';
import { runDredd } from './run.js';
import { isEntryPoint } from '../paths.js';

/**
 * `npm run dredd -- --target URL --user NAME:PASSWORD` → exit 0/1/2 (see DREDD_USAGE). The last line is
 * `N passed, N failed, N skipped`, the runner's form, counted over Dredd's transactions.
 */
export interface DreddIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

export async function main(argv: readonly string[], io: DreddIo): Promise<0 | 1 | 2> {
  let request;
  try {
    request = resolveDreddConfig(argv, io.env);
  } catch (e) {
    if (isHarnessError(e)) {
      io.err(`dredd: ${e.message}`);
      io.err(DREDD_USAGE);
      return 2;
    }
    throw e;
  }
  if (request.kind === 'help') {
    io.out(DREDD_USAGE);
    return 0;
  }
  const { config } = request;
  io.out(`Dredd 14.1.0: ${config.specFile} against ${config.target}`);
  const result = await runDredd(config, {
    onLine: (line, stream) => {
      (stream === 'stdout' ? io.out : io.err)(line);
    },
  });
  const s = result.stats;
  io.out(`dredd: ${result.reason} (exit ${result.exitCode}, ${Math.round(result.durationMs)} ms)`);
  io.out(
    s ? `${s.passing} passed, ${s.failing + s.errors} failed, ${s.skipped} skipped` : '0 passed, 0 failed, 0 skipped',
  );
  return result.exitCode;
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2), {
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    env: process.env,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`dredd: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
