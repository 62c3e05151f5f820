import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The repository root, found by walking up from this module to the first folder with a package.json.
 * The same code runs from `conformance/` (tsx, during development) and from `dist/conformance/` (tsc
 * output), so paths to spec/, docs/ and reports/ must never be relative to the module itself.
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root (package.json) not found above ' + import.meta.url);
    dir = parent;
  }
}

export const fromRoot = (...parts: string[]): string => join(repoRoot(), ...parts);

/**
 * True when the module with this `import.meta.url` is the process's entry point (run as a script, also
 * through a symlink such as node_modules/.bin), false when a test or another module imports it.
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/** The package's version (package.json), for `--version` and the report's `tool.version`. */
export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
