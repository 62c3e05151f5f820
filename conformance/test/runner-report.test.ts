import { expect } from 'chai';
import type { RunConfig } from '../config.js';
import { buildReport } from '../report/build.js';
import type { CheckResult } from '../report/types.js';

const config: RunConfig = {
  target: 'http://t/api/v3/onezone',
  insecure: false,
  allowWrites: false,
  profile: 'onezone-17.06',
  timeoutMs: 1000,
  embedded: false,
};

const result = (id: string, level: CheckResult['level'], status: CheckResult['status']): CheckResult => ({
  id,
  level,
  status,
  title: id,
  category: 'authentication',
  specRef: '#/x',
  message: '',
  durationMs: 1,
  exchanges: [],
});

const build = (results: CheckResult[], errors: Array<{ code: string; message: string }> = []) =>
  buildReport({
    config,
    targetUrl: config.target,
    profile: 'onezone-17.06',
    startedAt: new Date(0),
    finishedAt: new Date(5),
    results,
    errors,
    toolVersion: '1',
  });

describe('buildReport (outcomes → canonical document)', () => {
  it('is conformant (exit 0) when every MUST passes; SHOULD failures are warnings', () => {
    const r = build([result('a', 'MUST', 'passed'), result('b', 'SHOULD', 'failed'), result('c', 'MUST', 'skipped')]);
    expect(r.summary).to.deep.equal({ total: 3, passed: 1, failed: 0, warnings: 1, skipped: 1, errored: 0 });
    expect(r).to.include({ exitCode: 0, verdict: 'conformant', durationMs: 5 });
  });

  it('is non-conformant (exit 1) when a MUST fails, even if another check errored', () => {
    const r = build([result('a', 'MUST', 'failed'), result('b', 'MUST', 'errored')]);
    expect(r).to.include({ exitCode: 1, verdict: 'non-conformant' });
    expect(r.summary.failed).to.equal(1);
  });

  it('cannot judge (exit 2) when a check errored or the run had a harness error', () => {
    expect(build([result('a', 'MUST', 'errored')]).exitCode).to.equal(2);
    expect(build([], [{ code: 'E_CONNECT', message: 'refused' }])).to.include({ exitCode: 2, verdict: 'error' });
  });

  it('does not let a cleanup problem change the verdict', () => {
    expect(build([result('a', 'MUST', 'passed')], [{ code: 'E_CLEANUP', message: 'x' }]).exitCode).to.equal(0);
  });
});
