import { checkDocs } from '../tools/check.js';
import { buildDocsHtml, DOCS_HTML_FILE } from '../tools/docs-html.js';
import { writeAll } from '../tools/generate.js';
import { fromRoot } from '../paths.js';
import type { ParsedFlags } from './flags.js';
import type { Io } from './io.js';

/**
 * `onezone-conformance docs [check | html]`: the spec artefacts and the generated docs (checks.md included),
 * their drift check, the static HTML page.
 */
export async function docsCommand(flags: ParsedFlags, io: Io): Promise<number> {
  const [what] = flags.positionals;
  if (what === 'html') {
    try {
      await buildDocsHtml();
    } catch (e) {
      io.err.write(`docs html: ${(e as Error).message}\n`);
      return 1;
    }
    io.out.write(`wrote ${DOCS_HTML_FILE} (self-contained: Redoc inlined, no remote loads)\n`);
    return 0;
  }
  if (what === 'check') {
    const problems = checkDocs(fromRoot());
    for (const p of problems) io.err.write(p.message + '\n');
    if (problems.length > 0) {
      io.err.write(
        `docs check: ${problems.length} problem(s); run \`npm run docs\` after changing spec/ or the checks\n`,
      );
      return 1;
    }
    io.out.write(
      'docs check: docs/ matches spec/ and every JSON example is valid (spec artefacts and checks.md too)\n',
    );
    return 0;
  }
  // The spec artefacts first (spec/compiled, spec/mock), then the pages and docs/checks.md.
  const { written, removed } = writeAll(fromRoot());
  for (const f of written) io.out.write(`wrote ${f}\n`);
  for (const f of removed) io.out.write(`removed ${f}\n`);
  return 0;
}
