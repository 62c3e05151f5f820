/**
 * The canonical result document. Every report format (JSON, JUnit, Markdown, HTML, badge) is a pure
 * function of one `ReportDocument`; the runner knows nothing of formats. `report.schema.json` beside this
 * file is the JSON-schema form of these types and report.json is validated against it before it is written.
 *
 * Secrets never enter this document: exchanges are redacted by the HTTP layer before they are recorded.
 */
export type Level = 'MUST' | 'SHOULD' | 'MAY';
export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'errored';
export type Verdict = 'conformant' | 'non-conformant' | 'error';

export interface RecordedRequest {
  method: string;
  /** Full URL; userinfo and query secrets removed. */
  url: string;
  /** Header names lower-cased; secret values replaced by `[REDACTED …]`. */
  headers: Record<string, string>;
  body?: string;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  /** Redacted and trimmed to a few KiB. */
  body: string;
  bodyTruncatedForReport?: boolean;
}

export interface Exchange {
  request: RecordedRequest;
  response?: RecordedResponse;
  /** Set when no (complete) response arrived: a HarnessErrorCode such as E_TIMEOUT or E_TRUNCATED. */
  error?: { code: string; message: string };
  durationMs: number;
}

export interface CheckResult {
  /** Stable, never re-used with another meaning. kebab-case, e.g. `auth-basic-wrong-password`. */
  id: string;
  level: Level;
  /** Present tense, no "should". */
  title: string;
  category: string;
  /** JSON pointer into spec/onezone.openapi.yaml (`#/paths/...`) or a doc anchor (`docs/...#...`). */
  specRef: string;
  status: CheckStatus;
  /** Failure reason, skip reason, harness error, or '' when passed. Redacted. */
  message: string;
  /** For errored checks: the HarnessErrorCode; for skipped: the PreconditionCode. */
  code?: string;
  durationMs: number;
  /** The requests the check made, redacted; the evidence for a failure or warning. */
  exchanges: Exchange[];
}

export interface ReportSummary {
  total: number;
  passed: number;
  /** MUST checks that failed: these make the target non-conformant. */
  failed: number;
  /** SHOULD and MAY checks that failed: reported, never blocking. */
  warnings: number;
  skipped: number;
  errored: number;
}

export interface ReportDocument {
  schemaVersion: 1;
  tool: { name: string; version: string };
  target: {
    /** Base URL including the API prefix, e.g. https://zone.example.org/api/v3/onezone */
    url: string;
    /** True when the target was the embedded stand-in started by this run. */
    embedded: boolean;
    profile: string;
    /** Set with --profile auto: what was detected and from which evidence. */
    detection?: { profile: string; reason: string };
    tls?: { verify: boolean; ca?: string };
  };
  options: { allowWrites: boolean; otherUser: boolean; tokenGiven: boolean; timeoutMs: number };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  verdict: Verdict;
  exitCode: 0 | 1 | 2;
  summary: ReportSummary;
  checks: CheckResult[];
  /** Run-level harness problems (e.g. target unreachable before any check ran). */
  errors: Array<{ code: string; message: string }>;
  /** The generated checks (issue 11): the seed that replays them (`--seed`), the depth, the cases judged. */
  generated?: { seed: number; depth: string; cases: number };
}
