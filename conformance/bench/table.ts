import type { Spread } from './measure.js';
import {
  GROWTH_COMMAND,
  ms,
  ROW,
  type BenchResult,
  type RowId,
  type RowResult,
  generatedPerMinute,
} from './targets.js';

/** The benchmark's Markdown: a pure function of the result, printed to the console and written as bench.md. */
export function formatMarkdown(r: BenchResult): string {
  const out: string[] = [];
  out.push(`# Benchmark: onezone-conformance vs Dredd 14.1.0, a plain-Node floor and a bare Node start`, '');
  const load = (l: readonly number[]): string => (l.length ? l.map((x) => x.toFixed(2)).join(', ') : 'n/a');
  out.push(
    `Made by \`${r.command}\` at ${r.generatedAt} on ${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node} (${r.machine.platform}).`,
    `Load average (1, 5, 15 min) at the start: ${load(r.machine.loadAtStart)}; at the end: ${load(r.machine.loadAtEnd)}.`,
    '',
  );
  out.push(...targets(r), ...speed(r), ...depth(r), ...growth(r), ...wrongpw(r), ...detection(r), ...profile(r));
  return out.join('\n') + '\n';
}

const yes = (b: boolean | null, judged = true): string =>
  (b === null ? '–' : b ? 'met' : '**not met**') + (judged ? '' : ' (shown, not judged)');
const cell = (s: string): string => s.replace(/\|/g, '\\|');
export const spreadText = (s: Spread, unit: (x: number) => string = ms): string =>
  s.n === 0 ? 'n/a' : s.n === 1 ? unit(s.median) : `${unit(s.min)} / **${unit(s.median)}** / ${unit(s.max)}`;
const exits = (codes: ReadonlyArray<number | null>, errors: readonly string[] = []): string =>
  (codes.length === 0 ? '–' : [...new Set(codes.map((c) => String(c)))].join(', ')) +
  (errors.length > 0 ? ` (${errors.join(', ')})` : '');

function targets(r: BenchResult): string[] {
  if (r.targets.length === 0) return [];
  return [
    '## Targets (issue 14 item 5, issue 11 item 7)',
    '',
    '| target | verdict | by how much | evidence |',
    '|---|---|---|---|',
    ...r.targets.map((t) => `| ${cell(t.target)} | ${yes(t.met, t.judged)} | ${cell(t.by)} | ${cell(t.evidence)} |`),
    '',
  ];
}

const byId = (rows: readonly RowResult[], id: RowId): RowResult | undefined => rows.find((x) => x.id === id);

function ratio(a: RowResult | undefined, b: RowResult | undefined): string {
  if (!a || !b || Number.isNaN(a.wallMs.median) || Number.isNaN(b.wallMs.median) || b.wallMs.median === 0) return '–';
  return `${(a.wallMs.median / b.wallMs.median).toFixed(2)}×`;
}

function speed(r: BenchResult): string[] {
  const s = r.speed;
  if (!s) return [];
  const rows = s.rows;
  const dreddOf = (id: RowId): RowResult | undefined =>
    byId(rows, id === ROW.npxRun || id === ROW.npxDredd ? ROW.npxDredd : ROW.binDredd);
  const f = s.floor;
  return [
    `## Speed: one stand-in, ${s.rounds} interleaved rounds after an untimed warm-up round`,
    '',
    `Against the ${s.standin}. Wall time from spawn to exit, min / **median** / max. Requests: distinct HTTP`,
    'requests that reached the server in one run of the row, counted by a proxy in an untimed run (a request',
    'counts once however many checks cite its answer). Each round runs every row once, each round starting one row later.',
    '',
    '| row | min / **median** / max | requests | × Dredd (same launcher) | × floor | exit codes |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (x) =>
        `| \`${x.command}\` | ${spreadText(x.wallMs)} | ${x.requests ?? '–'} | ${x.id === ROW.npxRun || x.id === ROW.binRun ? ratio(x, dreddOf(x.id)) : '–'} | ${x.id === ROW.binRun || x.id === ROW.npxRun ? ratio(x, byId(rows, ROW.floor)) : '–'} | ${exits(x.exitCodes, x.errorCodes)} |`,
    ),
    '',
    "The targets are judged on the `node bin/onezone-conformance.js` rows: `npx` adds npm's own start (the",
    "difference between the npx and the bin rows) to both tools alike, which is npm's cost, not the tool's; the",
    'floor is a plain `node` process too, so `node bin/…` against it compares like with like. The npx rows are',
    'shown for what a person typing `npx onezone-conformance run` waits.',
    '',
    `Every runner row runs with the same seed (ONEZONE_SEED=${s.seed}), so every round sends the same generated`,
    'requests; the secrets go through ONEZONE_USER and ONEZONE_OTHER_USER, never argv.',
    ...(f
      ? [
          '',
          `Floor: \`floor.js\` (of undici only the Agent, as the bundle takes it) sends the requests the bin run sent (recorded through the proxy into a`,
          `temporary file of mode 0600, deleted at the end) with the concurrency ${f.concurrency}: each request waits`,
          'for those whose answers had been sent before it arrived, so what the run had in flight together goes',
          `together (most in flight at once: ${f.runPeakInFlight} in the run, ${f.floorPeakInFlight ?? '–'} in the floor). It reads every`,
          `answer whole and judges nothing; tokens the run created are mapped onto those the replay creates.${f.floorFailed ? ` ${f.floorFailed} request(s) of the replay got no answer.` : ''}`,
        ]
      : []),
    ...inProcess(rows),
    '',
  ];
}

function inProcess(rows: readonly RowResult[]): string[] {
  const bin = byId(rows, ROW.binRun);
  if (!bin?.inProcessMs) return [];
  return [
    '',
    `Of the bin run's median ${ms(bin.wallMs.median)}, the run itself (report.json \`durationMs\`, first check to the end) took ${ms(bin.inProcessMs.median)}.`,
  ];
}

function depth(r: BenchResult): string[] {
  const d = r.depth;
  if (!d) return [];
  const rate = generatedPerMinute(d);
  return [
    '## Generated depth (issue 11 item 7)',
    '',
    '| run | requests | generated cases | min / **median** / max | exit codes |',
    '|---|---|---|---|---|',
    ...d.rows.map(
      (x) =>
        `| \`${x.command}\` | ${x.requests ?? '–'} | ${x.generatedCases ?? '–'} | ${spreadText(x.wallMs)} | ${exits(x.exitCodes, x.errorCodes)} |`,
    ),
    '',
    '`--depth 0` skips the generated checks (attack-*, lifecycle-model): the baseline "without generated cases".',
    `The thorough run ran once (its requests counted in a second run through the proxy, same seed); generated requests`,
    `per minute = its requests beyond the depth-0 run's over its whole wall time: ${Number.isNaN(rate) ? 'n/a' : Math.round(rate)}.`,
    '',
  ];
}

function growth(r: BenchResult): string[] {
  if (!r.growth) return [];
  return [
    `## Time and peak memory as the token list grows (\`${GROWTH_COMMAND}\`)`,
    '',
    '| tokens in the list | wall min / **median** / max | peak RSS min / **median** / max | requests | exit codes |',
    '|---|---|---|---|---|',
    ...r.growth.map(
      (g) =>
        `| ${g.tokens} | ${spreadText(g.wallMs)} | ${spreadText(g.maxRssMb, (x) => `${x.toFixed(1)} MB`)} | ${g.requests ?? '–'} | ${exits(g.exitCodes, g.errorCodes)} |`,
    ),
    '',
    "Peak RSS is the child's own `process.resourceUsage().maxRSS` (a preloaded probe). Sizes from 100,000 tokens",
    'run once; smaller ones up to 3 times, interleaved. Requests are counted up to 10,000 tokens.',
    '',
  ];
}

function wrongpw(r: BenchResult): string[] {
  if (!r.wrongpw) return [];
  return [
    '## Stand-in: Basic requests with wrong passwords (`node bin/onezone-conformance.js standin`)',
    '',
    '| passwords | requests | at a time | wall | requests/s | answers |',
    '|---|---|---|---|---|---|',
    ...r.wrongpw.map(
      (w) =>
        `| ${w.label} | ${w.requests} | ${w.concurrency} | ${ms(w.wallMs)} | ${w.perSecond} | ${Object.entries(
          w.statuses,
        )
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')} |`,
    ),
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
      ? `${d.runner.ok ? 'yes' : '**no**'} (exit ${String(d.runner.exit)}) | ${d.dredd.ok ? 'yes' : '**no**'} (exit ${String(d.dredd.exit)})`
      : '– | –';
  };
  return [
    '## Detection power (both through the bin)',
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

function profile(r: BenchResult): string[] {
  const p = r.profile;
  if (!p) return [];
  return [
    "## Where one run's time goes (`node --cpu-prof bin/onezone-conformance.js run`)",
    '',
    '| part | ms |',
    '|---|---|',
    `| the profiled run, whole process (wall) | ${ms(p.runWallMs)} |`,
    `| … of which the run itself (report durationMs) | ${ms(p.runInProcessMs)} |`,
    `| bare \`node -e 0\` | ${ms(p.nodeStartMs)} |`,
    `| \`node bin/onezone-conformance.js --version\` (the bundle's entry) | ${ms(p.binStartMs)} |`,
    ...Object.entries(p.importMs).map(([dep, t]) => `| \`import('${dep}')\` alone, from node_modules | ${ms(t)} |`),
    '',
    'CPU profile, self time by bucket (bundle samples are put in the module esbuild marks them in):',
    '',
    '| bucket | self ms |',
    '|---|---|',
    ...p.cpuProfile.slice(0, 16).map((b) => `| ${b.bucket} | ${b.selfMs.toFixed(1)} |`),
    '',
  ];
}
