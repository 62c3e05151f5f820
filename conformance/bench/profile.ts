import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromRoot } from '../paths.js';
import type { ReportDocument } from '../report/types.js';
import { median, runNode, runnerCli } from './measure.js';

/**
 * Where the time of one runner process goes: bare Node start, loading the module graph (and which
 * dependency costs what), spec parsing, ajv compilation, the checks' requests, and a CPU profile
 * (`node --cpu-prof`) aggregated by package. Each number is measured in a fresh process, as a user's run is.
 */
export interface ProfileResult {
  nodeStartMs: number;
  /** `await import()` of the runner CLI's whole module graph, without running it. */
  importCliMs: number;
  /** The same for single dependencies, each in its own fresh process. */
  importMs: Record<string, number>;
  /** Loading and parsing spec/ (conformance/spec.ts loadSpec), first call. */
  loadSpecMs: number;
  /** new Ajv + ajv-formats + compiling the three component schemas. */
  ajvCompileMs: number;
  /** Whole CLI process, wall. */
  runWallMs: number;
  /** The run's own durationMs (report.json): from the first check to the end. */
  runInProcessMs: number;
  exchanges: number;
  /** Sum of the exchanges' durations (concurrent requests overlap, so this can exceed wall time). */
  exchangesMs: number;
  /** Self time from the CPU profile by bucket, ms, biggest first. */
  cpuProfile: Array<{ bucket: string; selfMs: number }>;
}

const REPS = 5;

async function medianOf(reps: number, args: readonly string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const r = await runNode(args);
    const printed = Number(r.stdout.trim().split('\n').pop());
    times.push(Number.isFinite(printed) ? printed : r.wallMs);
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
  // The run command's module with everything it imports (the entry point loads it lazily).
  const cliUrl = pathToFileURL(fromRoot('dist', 'conformance', 'cli', 'run.js')).href;
  const specUrl = pathToFileURL(fromRoot('dist', 'conformance', 'spec.js')).href;
  const starts: number[] = [];
  // One after another: parallel children would measure the machine's contention, not Node's start.
  for (let i = 0; i < REPS; i++) starts.push((await runNode(['-e', '0'])).wallMs);
  const nodeStartMs = median(starts);
  const importCliMs = await medianOf(REPS, timed(`await import(${JSON.stringify(cliUrl)})`));
  const importMs: Record<string, number> = {};
  for (const dep of ['yaml', 'ajv', 'ajv-formats', 'undici', 'mocha', 'chai']) {
    importMs[dep] = await medianOf(REPS, timed(`await import(${JSON.stringify(dep)})`));
  }
  // Dependencies first, so that only the parsing itself is timed.
  const loadSpecMs = await medianOf(REPS, [
    '--input-type=module',
    '-e',
    `const m = await import(${JSON.stringify(specUrl)}); const t0 = performance.now(); m.loadSpec(); console.log(performance.now() - t0);`,
  ]);
  const ajvCompileMs = await medianOf(REPS, [
    '--input-type=module',
    '-e',
    [
      `const m = await import(${JSON.stringify(specUrl)});`,
      `const { Ajv } = await import('ajv'); const formats = (await import('ajv-formats')).default;`,
      `const doc = m.loadSpec(); const t0 = performance.now();`,
      `const ajv = new Ajv({ allErrors: true }); formats(ajv);`,
      `for (const n of ['ClientTokens', 'ClientToken', 'Error']) ajv.compile(m.jsonSchemaFor(doc, n));`,
      `console.log(performance.now() - t0);`,
    ].join(' '),
  ]);

  const profDir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  try {
    const run = await runNode(
      ['--cpu-prof', '--cpu-prof-dir', profDir, ...runnerCli(), '--allow-writes', '--report-dir', reportDir],
      {
        env,
      },
    );
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as ReportDocument;
    const exchanges = report.checks.flatMap((c) => c.exchanges);
    const profileFile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    return {
      nodeStartMs,
      importCliMs,
      importMs,
      loadSpecMs,
      ajvCompileMs,
      runWallMs: run.wallMs,
      runInProcessMs: report.durationMs,
      exchanges: exchanges.length,
      exchangesMs: exchanges.reduce((s, e) => s + e.durationMs, 0),
      cpuProfile: profileFile !== undefined ? bucketSelfTime(readFileSync(join(profDir, profileFile), 'utf8')) : [],
    };
  } finally {
    rmSync(profDir, { recursive: true, force: true });
  }
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per bucket: a dependency (node_modules/<pkg>), our code (dist/conformance/<dir>), Node's
 * internals (which include module resolution and compilation), and V8's pseudo-frames (program, GC, idle).
 */
export function bucketSelfTime(profileJson: string): Array<{ bucket: string; selfMs: number }> {
  const p = JSON.parse(profileJson) as CpuProfile;
  const bucketOf = new Map<number, string>();
  for (const n of p.nodes) bucketOf.set(n.id, bucket(n.callFrame.url, n.callFrame.functionName));
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
