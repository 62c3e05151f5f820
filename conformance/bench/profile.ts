import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReportDocument } from '../report/types.js';
import { binPath, median, runNode } from './measure.js';

/**
 * Where the time of one run of the command goes: bare Node start, the bin's start (`--version`: the bundle's
 * entry, no subcommand loaded), importing heavy dependencies each in a fresh process, and a CPU profile
 * (`node --cpu-prof`) of a whole `node bin/onezone-conformance.js run`, its self time bucketed by package.
 * The bundle (dist/bin/) has no source map; esbuild marks where each module starts in it (`// path`), so a
 * sample in the bundle is put in the bucket of the module it falls in.
 */
export interface ProfileResult {
  nodeStartMs: number;
  /** `node bin/onezone-conformance.js --version`, wall. */
  binStartMs: number;
  /** `await import(dep)` alone, each in its own fresh process (the bundle inlines mocha, chai and, of undici, only the Agent and request()). */
  importMs: Record<string, number>;
  /** The profiled `run`, wall (the profiler adds to it). */
  runWallMs: number;
  /** The run's own durationMs (report.json): from the first check to the end. */
  runInProcessMs: number;
  /** Self time from the CPU profile by bucket, ms, biggest first. */
  cpuProfile: Array<{ bucket: string; selfMs: number }>;
}

const REPS = 5;

async function medianOf(reps: number, args: readonly string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const r = await runNode(args);
    const printed = Number(r.stdout.trim().split('\n').pop());
    times.push(Number.isFinite(printed) && args[0] === '--input-type=module' ? printed : r.wallMs);
  }
  return median(times);
}

/** A child that prints how long `body` (an ESM snippet) took, measured inside the child. */
const timed = (body: string): string[] => [
  '--input-type=module',
  '-e',
  `const t0 = performance.now(); ${body}; console.log(performance.now() - t0);`,
];

export async function profileRunner(env: NodeJS.ProcessEnv, reportDir: string): Promise<ProfileResult> {
  const bin = binPath();
  // One after another: parallel children would measure the machine's contention, not Node's start.
  const nodeStartMs = await medianOf(REPS, ['-e', '0']);
  const binStartMs = await medianOf(REPS, [bin, '--version']);
  const importMs: Record<string, number> = {};
  for (const dep of ['undici', 'mocha', 'chai', 'ajv', 'yaml']) {
    importMs[dep] = await medianOf(REPS, timed(`await import(${JSON.stringify(dep)})`));
  }
  const profDir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  try {
    const run = await runNode(
      ['--cpu-prof', '--cpu-prof-dir', profDir, bin, 'run', '--allow-writes', '--report-dir', reportDir],
      { env },
    );
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as ReportDocument;
    const profileFile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    return {
      nodeStartMs,
      binStartMs,
      importMs,
      runWallMs: run.wallMs,
      runInProcessMs: report.durationMs,
      cpuProfile:
        profileFile !== undefined
          ? bucketSelfTime(readFileSync(join(profDir, profileFile), 'utf8'), bundleModules)
          : [],
    };
  } finally {
    rmSync(profDir, { recursive: true, force: true });
  }
}

/** Where each module starts in a bundle file: esbuild's `// path` comment lines, by 0-based line. */
export function moduleStarts(bundleText: string): Array<{ line: number; module: string }> {
  const out: Array<{ line: number; module: string }> = [];
  bundleText.split('\n').forEach((l, line) => {
    const m = /^\/\/ ((?:node_modules|dist|conformance)\/\S+\.[cm]?js)$/.exec(l);
    if (m?.[1] !== undefined) out.push({ line, module: m[1] });
  });
  return out;
}

const bundleCache = new Map<string, Array<{ line: number; module: string }>>();

/** The module a sample in a bundle file (dist/bin/) falls in, or undefined for another file. */
function bundleModules(url: string, line: number): string | undefined {
  if (!url.includes('/dist/bin/')) return undefined;
  let starts = bundleCache.get(url);
  if (starts === undefined) {
    try {
      starts = moduleStarts(readFileSync(fileURLToPath(url), 'utf8'));
    } catch {
      starts = [];
    }
    bundleCache.set(url, starts);
  }
  let found: string | undefined;
  for (const s of starts) {
    if (s.line > line) break;
    found = s.module;
  }
  return found ?? 'dist/bin (bundle glue)';
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { url: string; functionName: string; lineNumber?: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per bucket: a dependency (node_modules/<pkg>), our code (dist/conformance/<dir>), Node's
 * internals (which include module resolution and compilation), and V8's pseudo-frames (program, GC, idle).
 */
export function bucketSelfTime(
  profileJson: string,
  inBundle: (url: string, line: number) => string | undefined = () => undefined,
): Array<{ bucket: string; selfMs: number }> {
  const p = JSON.parse(profileJson) as CpuProfile;
  const bucketOf = new Map<number, string>();
  for (const n of p.nodes) {
    const { url, functionName, lineNumber } = n.callFrame;
    const module = url === '' ? undefined : inBundle(url, lineNumber ?? 0);
    bucketOf.set(n.id, module !== undefined ? bucket(`/${module}`, functionName) : bucket(url, functionName));
  }
  const totals = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const b = bucketOf.get(id) ?? '(unknown)';
    totals.set(b, (totals.get(b) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals]
    .map(([b, selfMs]) => ({ bucket: b, selfMs: Math.round(selfMs * 10) / 10 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

function bucket(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist/bin')) return 'bundle, between modules';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? '?');
    return `dep: ${pkg}`;
  }
  const ours = url.indexOf(`${sep}dist${sep}conformance${sep}`.split(sep).join('/'));
  if (ours >= 0) {
    const rest = url.slice(ours + '/dist/conformance/'.length).split('/');
    return `ours: ${rest.length > 1 ? `${rest[0] ?? ''}/` : (rest[0] ?? '')}`;
  }
  return 'other';
}
