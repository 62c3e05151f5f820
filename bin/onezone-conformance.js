#!/usr/bin/env node
// The package's command (`bin`): loads the command that `npm ci` built (prepare), bundled into dist/bin/ for a
// fast start. Plain JavaScript so that it runs as installed; the sources are TypeScript under conformance/cli/.
const entry = new URL('../dist/bin/onezone-conformance.js', import.meta.url);
let start;
try {
  ({ start } = await import(entry.href));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('onezone-conformance.js')) throw e;
  process.stderr.write('onezone-conformance: dist/ is missing; build it once with `npm run build` (npm ci does)\n');
  process.exitCode = 2;
}
if (start) await start();
