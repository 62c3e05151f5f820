import type { Detection } from '../checks/detect.js';
import type { RunConfig } from '../config.js';
import { grade } from './grade.js';
import type { CheckResult, ReportDocument } from './types.js';

/** What a run hands over to become a report: outcomes and facts, no live objects. */
export interface ReportInput {
  readonly config: Pick<
    RunConfig,
    'embedded' | 'insecure' | 'caFile' | 'allowWrites' | 'otherUser' | 'token' | 'timeoutMs'
  >;
  readonly targetUrl: string;
  readonly profile: string;
  readonly detection?: Detection;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly results: readonly CheckResult[];
  readonly errors: ReadonlyArray<{ code: string; message: string }>;
  readonly toolVersion: string;
  /** The generated checks' seed, depth and tally (issue 11). */
  readonly generated?: { readonly seed: number; readonly depth: string | number; readonly cases: number };
}

/** The pure half of the runner: outcomes in, canonical document out; grade.ts decides the verdict. */
export function buildReport(input: ReportInput): ReportDocument {
  const { results, config } = input;
  const { summary, verdict, exitCode } = grade(results, input.errors);
  return {
    schemaVersion: 1,
    tool: { name: 'onezone-client-tokens-conformance', version: input.toolVersion },
    target: {
      url: input.targetUrl,
      embedded: config.embedded,
      profile: input.profile,
      ...(input.detection && { detection: { profile: input.detection.profile, reason: input.detection.reason } }),
      ...(input.targetUrl.startsWith('https:') && {
        tls: { verify: !config.insecure, ...(config.caFile !== undefined && { ca: config.caFile }) },
      }),
    },
    options: {
      allowWrites: config.allowWrites,
      otherUser: config.otherUser !== undefined,
      tokenGiven: config.token !== undefined,
      timeoutMs: config.timeoutMs,
    },
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: input.finishedAt.getTime() - input.startedAt.getTime(),
    verdict,
    exitCode,
    summary,
    checks: [...results],
    errors: [...input.errors],
    ...(input.generated && {
      generated: { seed: input.generated.seed, depth: String(input.generated.depth), cases: input.generated.cases },
    }),
  };
}
