import type { ParsedFlags } from '../cli/flags.js';
import type { Io } from '../cli/io.js';
import { isHarnessError } from '../errors.js';
import { dreddConfigFrom, type DreddConfig } from './config.js';
import { runDredd } from './run.js';

/**
 * `onezone-conformance dredd --target URL` with ONEZONE_USER or ONEZONE_TOKEN → exit 0/1/2 (see its --help).
 * The last line is `N passed, N failed, N skipped`, the runner's form, counted over Dredd's transactions.
 */
export async function dreddCommand(flags: ParsedFlags, io: Io): Promise<number> {
  let config: DreddConfig;
  try {
    config = dreddConfigFrom(flags, io.cwd);
  } catch (e) {
    if (!isHarnessError(e)) throw e;
    io.err.write(`dredd: ${e.message}\nRun \`onezone-conformance dredd --help\` for the options.\n`);
    return 2;
  }
  if (config.insecure) io.err.write('warning: --insecure: the TLS certificate of the target is not verified\n');
  const line = (stream: NodeJS.WritableStream) => (l: string) => stream.write(l + '\n');
  line(io.out)(`Dredd 14.1.0: ${config.specFile} against ${config.target}`);
  const result = await runDredd(config, {
    onLine: (l, stream) => {
      line(stream === 'stdout' ? io.out : io.err)(l);
    },
  });
  const s = result.stats;
  line(io.out)(`dredd: ${result.reason} (exit ${result.exitCode}, ${Math.round(result.durationMs)} ms)`);
  line(io.out)(
    s ? `${s.passing} passed, ${s.failing + s.errors} failed, ${s.skipped} skipped` : '0 passed, 0 failed, 0 skipped',
  );
  return result.exitCode;
}
