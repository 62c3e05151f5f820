import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import type { ReportDocument } from '../report/types.js';
import { REPORT_SCHEMA_PATH, validateReport } from '../report/validate.js';

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

/**
 * Typed as ReportDocument with every optional field present: if types.ts gains a required field this stops
 * compiling, and if the schema lacks a field types.ts allows, validation below fails.
 */
const everyField: ReportDocument = {
  schemaVersion: 1,
  tool: { name: 'onezone-client-tokens-conformance', version: '0.1.0' },
  target: {
    url: 'https://onezone.example.org/api/v3/onezone',
    embedded: false,
    profile: 'onezone-17.06',
    detection: { profile: 'onezone-17.06', reason: 'no credentials → 404' },
    tls: { verify: true, ca: 'ca.pem' },
  },
  options: { allowWrites: true, otherUser: true, tokenGiven: true, timeoutMs: 10000 },
  startedAt: '2026-11-28T09:00:00.000Z',
  finishedAt: '2026-11-28T09:00:01.000Z',
  durationMs: 1000,
  verdict: 'error',
  exitCode: 2,
  summary: { total: 1, passed: 0, failed: 0, warnings: 0, skipped: 0, errored: 1 },
  checks: [
    {
      id: 'auth-basic-valid',
      level: 'MUST',
      title: 'serves the list',
      category: 'authentication',
      specRef: '#/paths/~1user~1client_tokens/get/responses/200',
      status: 'errored',
      message: 'no complete answer within 10000 ms',
      code: 'E_TIMEOUT',
      durationMs: 10001,
      exchanges: [
        {
          request: { method: 'POST', url: 'https://onezone.example.org/x', headers: { accept: '*/*' }, body: '{}' },
          response: { status: 200, headers: {}, body: '{"tok', bodyTruncatedForReport: true },
          error: { code: 'E_TRUNCATED', message: 'body ended early' },
          durationMs: 10000,
        },
      ],
    },
  ],
  errors: [{ code: 'E_CLEANUP', message: 'a created token could not be deleted' }],
  generated: { seed: 123456, depth: 'thorough', cases: 3540 },
};

const clone = <T>(v: T): T => structuredClone(v);

describe('report.schema.json ↔ types.ts', () => {
  it('accepts a document that uses every field of ReportDocument', () => {
    expect(validateReport(everyField)).to.deep.equal({ ok: true, report: everyField });
  });

  it('accepts the fixtures (a real conformant run and a non-conformant one)', () => {
    for (const name of ['report-pass.json', 'report-fail.json']) {
      const v = validateReport(fixture(name));
      expect(v.ok, `${name}: ${v.ok ? '' : v.errors.join('; ')}`).to.equal(true);
    }
  });

  it('declares every property of the typed document (no field only one side knows)', () => {
    const schema = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8')) as {
      properties: Record<string, unknown>;
      definitions: {
        check: { properties: Record<string, unknown> };
        exchange: { properties: Record<string, unknown> };
      };
    };
    expect(Object.keys(schema.properties).sort()).to.deep.equal(Object.keys(everyField).sort());
    expect(Object.keys(schema.definitions.check.properties).sort()).to.deep.equal(
      Object.keys(everyField.checks[0]!).sort(),
    );
    expect(Object.keys(schema.definitions.exchange.properties).sort()).to.deep.equal(
      Object.keys(everyField.checks[0]!.exchanges[0]!).sort(),
    );
  });

  const mutations: Array<[string, (d: ReportDocument & Record<string, unknown>) => void, RegExp]> = [
    ['an unknown top-level property', (d) => (d['extra'] = 1), /additional properties \(extra\)/],
    [
      'an unknown check property',
      (d) => Object.assign(d.checks[0]!, { severity: 'high' }),
      /checks\/0 must NOT have additional/,
    ],
    ['a level outside MUST/SHOULD/MAY', (d) => Object.assign(d.checks[0]!, { level: 'MUST_NOT' }), /checks\/0\/level/],
    [
      'a status "warning" (warnings are failed SHOULD/MAY)',
      (d) => Object.assign(d.checks[0]!, { status: 'warning' }),
      /status/,
    ],
    [
      'a missing message',
      (d) => delete (d.checks[0] as Partial<ReportDocument['checks'][0]>).message,
      /required property 'message'/,
    ],
    ['a schemaVersion other than 1', (d) => Object.assign(d, { schemaVersion: 2 }), /schemaVersion/],
    ['an exit code outside 0/1/2', (d) => Object.assign(d, { exitCode: 3 }), /exitCode/],
    [
      'a startedAt that is not a date-time',
      (d) => Object.assign(d, { startedAt: 'yesterday' }),
      /startedAt must match format/,
    ],
    [
      'a header value that is not a string',
      (d) => Object.assign(d.checks[0]!.exchanges[0]!.request.headers, { 'x-n': 1 }),
      /headers\/x-n must be string/,
    ],
    [
      'a summary that disagrees with the checks',
      (d) => (d.summary.passed += 1),
      /summary\/passed is 34 but the checks give 33/,
    ],
    [
      'a duplicated check id',
      (d) => d.checks.push(clone(d.checks[0]!)),
      /id auth-none-rejected occurs more than once|summary\/total/,
    ],
  ];
  for (const [what, mutate, expected] of mutations) {
    it(`rejects ${what}`, () => {
      const doc = clone(fixture('report-fail.json')) as ReportDocument & Record<string, unknown>;
      mutate(doc);
      const v = validateReport(doc);
      expect(v.ok).to.equal(false);
      if (!v.ok) expect(v.errors.join('\n')).to.match(expected);
    });
  }

  it('reports a duplicate id even when the summary was adjusted to match', () => {
    const doc = clone(fixture('report-pass.json'));
    doc.checks.push(clone(doc.checks[0]!));
    doc.summary.total += 1;
    doc.summary.passed += 1;
    const v = validateReport(doc);
    expect(v.ok ? [] : v.errors).to.deep.equal(['/checks: id auth-none-rejected occurs more than once']);
  });
});
