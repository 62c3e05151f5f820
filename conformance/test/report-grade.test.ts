import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { decide, exitCodeOf, grade, outcomeOf, summarize, verdictOf } from '../report/grade.js';
import type { CheckResult, ReportDocument } from '../report/types.js';
import { validateReport } from '../report/validate.js';

const check = (level: CheckResult['level'], status: CheckResult['status']) => ({ level, status });

describe('grade.ts: the one grading rule', () => {
  it('lets the level alone decide what a failed check means', () => {
    expect(outcomeOf(check('MUST', 'failed'))).to.equal('fail');
    expect(outcomeOf(check('SHOULD', 'failed'))).to.equal('warning');
    expect(outcomeOf(check('MAY', 'failed'))).to.equal('warning');
    expect(outcomeOf(check('MAY', 'errored'))).to.equal('error');
    expect(outcomeOf(check('MUST', 'skipped'))).to.equal('skip');
    expect(outcomeOf(check('MUST', 'passed'))).to.equal('pass');
  });

  it('counts every outcome once', () => {
    const checks = [
      check('MUST', 'passed'),
      check('MUST', 'failed'),
      check('SHOULD', 'failed'),
      check('MAY', 'skipped'),
      check('MUST', 'errored'),
    ];
    expect(summarize(checks)).to.deep.equal({ total: 5, passed: 1, failed: 1, warnings: 1, skipped: 1, errored: 1 });
  });

  it('ranks a MUST failure above "could not judge", and a cleanup problem below both', () => {
    expect(grade([check('MUST', 'failed'), check('MUST', 'errored')], [])).to.include({
      verdict: 'non-conformant',
      exitCode: 1,
    });
    expect(grade([check('MUST', 'passed')], [{ code: 'E_CONNECT' }])).to.include({ verdict: 'error', exitCode: 2 });
    expect(grade([check('MUST', 'passed')], [{ code: 'E_CLEANUP' }])).to.include({
      verdict: 'conformant',
      exitCode: 0,
    });
    expect(grade([check('SHOULD', 'failed')], [])).to.include({ verdict: 'conformant', exitCode: 0 });
    expect([decide(true, true), decide(false, true), decide(false, false)]).to.deep.equal([1, 2, 0]);
  });

  it('derives the exit code from the verdict and back', () => {
    for (const code of [0, 1, 2] as const) expect(exitCodeOf(verdictOf(code))).to.equal(code);
  });

  it('makes validateReport refuse a verdict and an exit code that disagree', () => {
    const report = JSON.parse(
      readFileSync(fromRoot('conformance', 'test', 'fixtures', 'report-pass.json'), 'utf8'),
    ) as ReportDocument;
    expect(validateReport(report).ok).to.equal(true);
    const v = validateReport({ ...report, exitCode: 2 });
    expect(v).to.deep.equal({ ok: false, errors: ['/exitCode is 2 but verdict conformant means 0'] });
  });

  it('is the only place that compares a level to MUST or a verdict to an exit code', () => {
    const sources = [fromRoot('conformance', 'run.ts'), ...tsFiles(fromRoot('conformance', 'report'))];
    const restated = sources
      .filter((f) => !f.endsWith('grade.ts'))
      .filter((f) => /level\s*[!=]==\s*'MUST'|exitCode\s*===\s*[012]\s*\?/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(fromRoot(), f));
    expect(restated).to.deep.equal([]);
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
