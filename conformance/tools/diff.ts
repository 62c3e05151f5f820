/**
 * The drift check's unified diff, from the `diff` package (jsdiff: Myers' O(ND) algorithm, linear in the
 * size of the texts plus the square of the number of edits), so a drifted page of 20,000 lines takes
 * milliseconds where the former hand-written LCS table took seconds and n×m memory. `diff -u` output is
 * what readers know, so the file headers are `---`/`+++` and nothing else.
 */
import { FILE_HEADERS_ONLY, createTwoFilesPatch } from 'diff';

/** `diff -u` style text, or '' when the texts are equal. */
export function unifiedDiff(a: string, b: string, labelA: string, labelB: string, context = 3): string {
  if (a === b) return '';
  return createTwoFilesPatch(labelA, labelB, a, b, undefined, undefined, {
    context,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
