import type { BenchResult } from './bench.js';

/** The benchmark's Markdown: a pure function of the result, printed to the console and written as bench.md. */
export function formatMarkdown(r: BenchResult): string {
  const out: string[] = [];
  out.push(`# Benchmark: conformance runner vs Dredd 14.1.0`, '');
  out.push(
    `Made by \`${r.command}\` at ${r.generatedAt} on ${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node} (${r.machine.platform}).`,
    '',
  );
  out.push(...targets(r), ...speed(r), ...detection(r), ...growth(r), ...profile(r));
  return out.join('\n') + '\n';
}

const ms = (x: number): string => (Number.isNaN(x) ? 'n/a' : `${Math.round(x)} ms`);
const yes = (b: boolean | null): string => (b === null ? '–' : b ? 'yes' : '**no**');

function targets(r: BenchResult): string[] {
  if (r.targets.length === 0) return [];
  return [
    '## Targets (issue #6)',
    '',
    '| target | met | evidence |',
    '|---|---|---|',
    ...r.targets.map((t) => `| ${t.target} | ${yes(t.met)} | ${t.evidence} |`),
    '',
  ];
}

function speed(r: BenchResult): string[] {
  if (!r.speed) return [];
  const { runner, dredd } = r.speed;
  return [
    `## Speed on the loopback stand-in (median of ${r.speed.reps}, wall time including process start)`,
    '',
    '| tool | median wall | runs | requests | exit codes |',
    '|---|---|---|---|---|',
    `| runner (every check, --allow-writes, --other-user) | ${ms(runner.wallMsMedian)} | ${runner.wallMs.map(ms).join(', ')} | ${runner.requests} | ${runner.exitCodes.join(' ')} |`,
    `| Dredd 14.1.0 (${dredd.transactions} transactions) | ${ms(dredd.wallMsMedian)} | ${dredd.wallMs.map(ms).join(', ')} | ${dredd.requests} | ${dredd.exitCodes.join(' ')} |`,
    '',
    `The runner's own run time (report.json \`durationMs\`, first check to last) is ${ms(runner.inProcessMsMedian)} of its ${ms(runner.wallMsMedian)}.`,
    '',
  ];
}

function detection(r: BenchResult): string[] {
  if (!r.detection) return [];
  const faults = r.detection.filter((d) => d.kind === 'fault');
  const runnerCaught = faults.filter((d) => d.runner.ok).length;
  const dreddCaught = faults.filter((d) => d.dredd.ok).length;
  const modeRow = (kind: string): string => {
    const d = r.detection?.find((x) => x.kind === kind);
    return d
      ? `${yes(d.runner.ok)} (exit ${String(d.runner.exit)}) | ${yes(d.dredd.ok)} (exit ${String(d.dredd.exit)})`
      : '– | –';
  };
  return [
    '## Detection power',
    '',
    'Runner: caught = exit code as faults.ts says and every check in `catches` failed (or errored). Dredd: caught = exit ≠ 0.',
    '',
    '| | runner | Dredd |',
    '|---|---|---|',
    `| faults caught | **${runnerCaught}/${faults.length}** | **${dreddCaught}/${faults.length}** |`,
    `| passes the faithful mode | ${modeRow('faithful')} |`,
    `| passes the quirks mode (17.06.2 as released) | ${modeRow('quirks')} |`,
    '',
    '<details><summary>Per fault</summary>',
    '',
    '| fault | expected runner exit | runner | Dredd |',
    '|---|---|---|---|',
    ...faults.map(
      (d) =>
        `| ${d.scenario} | ${d.expectedExit} | ${d.runner.ok ? 'caught' : `**missed**${d.runner.missing.length ? ` (${d.runner.missing.join(', ')})` : ''}`} (exit ${String(d.runner.exit)}) | ${d.dredd.ok ? 'caught' : 'missed'} (exit ${String(d.dredd.exit)}) |`,
    ),
    '',
    '</details>',
    '',
  ];
}

function growth(r: BenchResult): string[] {
  if (!r.growth) return [];
  return [
    '## Runner time and peak memory as the token list grows',
    '',
    '| tokens in the list | median wall | peak RSS | requests | exit codes |',
    '|---|---|---|---|---|',
    ...r.growth.map(
      (g) =>
        `| ${g.tokens} | ${ms(g.wallMsMedian)} | ${g.maxRssMbMedian.toFixed(1)} MB | ${g.requests} | ${g.exitCodes.join(' ')} |`,
    ),
    '',
  ];
}

function profile(r: BenchResult): string[] {
  const p = r.profile;
  if (!p) return [];
  return [
    "## Where one run's time goes",
    '',
    '| part | ms |',
    '|---|---|',
    `| whole CLI process (wall) | ${ms(p.runWallMs)} |`,
    `| bare \`node -e 0\` | ${ms(p.nodeStartMs)} |`,
    `| importing the CLI's module graph | ${ms(p.importCliMs)} |`,
    ...Object.entries(p.importMs).map(([dep, t]) => `| … of which \`import('${dep}')\` alone | ${ms(t)} |`),
    `| loadSpec() (YAML parse + merge) | ${ms(p.loadSpecMs)} |`,
    `| new Ajv + formats + 3 compiles | ${ms(p.ajvCompileMs)} |`,
    `| the run itself (report durationMs) | ${ms(p.runInProcessMs)} |`,
    `| ${p.exchanges} exchanges, summed | ${ms(p.exchangesMs)} |`,
    '',
    'CPU profile (`node --cpu-prof`), self time by bucket:',
    '',
    '| bucket | self ms |',
    '|---|---|',
    ...p.cpuProfile.slice(0, 14).map((b) => `| ${b.bucket} | ${b.selfMs.toFixed(1)} |`),
    '',
  ];
}
