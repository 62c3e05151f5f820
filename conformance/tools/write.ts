/** Writing generated files, shared by `npm run spec:build` and `npm run docs`. */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Repository-relative path → file content, for every generated file. */
export type GeneratedFiles = Map<string, string>;

/** Files directly under the given folders, repository-relative (to find files no longer generated). */
export function listFilesIn(root: string, dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) =>
    existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((f) => `${dir}/${f}`) : [],
  );
}

/**
 * Writes every file and removes the files in `ownedDirs` (folders whose every file is generated) that are not
 * among them.
 */
export function writeGenerated(
  root: string,
  files: GeneratedFiles,
  ownedDirs: readonly string[],
): { written: string[]; removed: string[] } {
  const removed = listFilesIn(root, ownedDirs).filter((f) => !files.has(f));
  for (const f of removed) rmSync(join(root, f));
  for (const [file, content] of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return { written: [...files.keys()], removed };
}
