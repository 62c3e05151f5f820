/**
 * A small line-based unified diff (LCS table), enough for pages of a few hundred lines. Hand-written
 * because no diff library is a direct dependency and package.json is not ours to change; `diff -u` output
 * is what readers know, so the format follows it.
 */

type Edit = { kind: ' ' | '-' | '+'; line: string; aNo: number; bNo: number };

function editScript(a: readonly string[], b: readonly string[]): Edit[] {
  // lcs(i, j) = length of the longest common subsequence of a[i..] and b[j..], in one flat table.
  const width = b.length + 1;
  const table = new Int32Array((a.length + 1) * width);
  const lcs = (i: number, j: number): number => table[i * width + j] ?? 0;
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      table[i * width + j] = a[i] === b[j] ? lcs(i + 1, j + 1) + 1 : Math.max(lcs(i + 1, j), lcs(i, j + 1));
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const lineA = a[i] ?? '';
    const lineB = b[j] ?? '';
    if (i < a.length && j < b.length && a[i] === b[j]) edits.push({ kind: ' ', line: lineA, aNo: ++i, bNo: ++j });
    // Deletions before insertions, as `diff -u` prints them.
    else if (i < a.length && (j === b.length || lcs(i + 1, j) >= lcs(i, j + 1)))
      edits.push({ kind: '-', line: lineA, aNo: ++i, bNo: j });
    else edits.push({ kind: '+', line: lineB, aNo: i, bNo: ++j });
  }
  return edits;
}

interface Hunk {
  readonly start: number;
  readonly end: number;
}

/** Groups changed edits into hunks with `context` unchanged lines around them; touching hunks merge. */
function hunks(edits: readonly Edit[], context: number): Hunk[] {
  const out: Hunk[] = [];
  edits.forEach((e, k) => {
    if (e.kind === ' ') return;
    const start = Math.max(0, k - context);
    const end = Math.min(edits.length, k + context + 1);
    const last = out[out.length - 1];
    if (last !== undefined && start <= last.end) out[out.length - 1] = { start: last.start, end };
    else out.push({ start, end });
  });
  return out;
}

function renderHunk(hunk: readonly Edit[]): string[] {
  const aStart = hunk.find((e) => e.kind !== '+')?.aNo ?? 0;
  const bStart = hunk.find((e) => e.kind !== '-')?.bNo ?? 0;
  const aLen = hunk.filter((e) => e.kind !== '+').length;
  const bLen = hunk.filter((e) => e.kind !== '-').length;
  return [`@@ -${aStart},${aLen} +${bStart},${bLen} @@`, ...hunk.map((e) => e.kind + e.line)];
}

/** `diff -u` style text, or '' when the texts are equal. */
export function unifiedDiff(a: string, b: string, labelA: string, labelB: string, context = 3): string {
  if (a === b) return '';
  const edits = editScript(a.split('\n'), b.split('\n'));
  const body = hunks(edits, context).flatMap((h) => renderHunk(edits.slice(h.start, h.end)));
  return [`--- ${labelA}`, `+++ ${labelB}`, ...body].join('\n') + '\n';
}
