import { mockSpecFile } from '../tools/spec-build.js';
import { SPEC_VERSIONS, type SpecVersion } from '../spec.js';
import { binOf, runTool } from './child.js';
import type { ParsedFlags } from './flags.js';
import type { Io } from './io.js';

const isSpecVersion = (v: string): v is SpecVersion => (SPEC_VERSIONS as readonly string[]).includes(v);

/** `onezone-conformance mock`: Prism 5.14 serving the generated mock copy of the spec (the API prefix in paths). */
export async function mockCommand(flags: ParsedFlags, io: Io): Promise<number> {
  const version = flags.string('onezone-version') ?? '17.06';
  if (!isSpecVersion(version)) {
    io.err.write(`error: --onezone-version ${version}: one of ${SPEC_VERSIONS.join(', ')}\n`);
    return 2;
  }
  const port = flags.string('port') ?? '4010';
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    io.err.write(`error: --port ${port}: not a port number\n`);
    return 2;
  }
  try {
    const prism = binOf('@stoplight/prism-cli', 'prism');
    const host = flags.string('host') ?? '127.0.0.1';
    return await runTool(prism, ['mock', mockSpecFile(version), '--host', host, '--port', port], io);
  } catch (e) {
    io.err.write(`error: Prism could not be started: ${(e as Error).message}\n`);
    return 2;
  }
}
