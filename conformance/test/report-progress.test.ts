import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { createProgress } from '../report/progress.js';
import type { ReportDocument } from '../report/types.js';

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

/** Feeds every check of the fixture to a progress reporter and returns what it printed. */
function run(options: { interactive: boolean; color?: boolean; tty?: boolean }): string {
  const stream = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  let out = '';
  stream.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const report = fixture('report-fail.json');
  const progress = createProgress({
    stream,
    interactive: options.interactive,
    ...(options.color !== undefined && { color: options.color }),
  });
  for (const c of report.checks) progress.checkFinished(c);
  progress.finished(report);
  return out;
}

describe('console progress', () => {
  it('on a terminal prints a line per check as it completes: symbol, level, id, ms', () => {
    const lines = run({ interactive: true }).trimEnd().split('\n');
    expect(lines.slice(0, 37)).to.have.length(37);
    expect(lines[0]).to.equal('✔ pass  MUST   auth-none-rejected (6 ms)');
    expect(lines).to.include(
      '- skip  MUST   auth-token-bearer (0 ms) — profile onezone-17.06: Bearer is not supported before 18.02',
    );
    expect(lines.find((l) => l.includes('auth-basic-wrong-password'))).to.match(
      /^✖ FAIL  MUST   auth-basic-wrong-password \(57 ms\) — expected status 401/,
    );
    expect(lines.find((l) => l.includes('auth-none-401'))).to.match(/^⚠ warn  SHOULD auth-none-401 \(41 ms\)/);
  });

  it('in CI prints only failures, warnings and errors, then what needs attention', () => {
    const out = run({ interactive: false });
    expect(out.trimEnd().split('\n')).to.deep.equal([
      out.split('\n').find((l) => l.startsWith('⚠ warn  SHOULD auth-none-401')),
      out.split('\n').find((l) => l.startsWith('✖ FAIL  MUST   auth-basic-wrong-password')),
      out.split('\n').find((l) => l.startsWith('⚠ warn  SHOULD http-406-unacceptable')),
      'failed (MUST): auth-basic-wrong-password',
      'warnings: auth-none-401, http-406-unacceptable',
    ]);
    expect(out).not.to.include('auth-none-rejected');
  });

  it('does not print the runner\'s closing "N passed, N failed, N skipped" line', () => {
    expect(run({ interactive: true })).not.to.match(/\d+ passed, \d+ failed/);
  });

  it('uses colour only on a TTY', () => {
    const ansi = /\u001b\[/;
    expect(run({ interactive: true, tty: false })).not.to.match(ansi);
    expect(run({ interactive: false, tty: true })).not.to.match(ansi);
    expect(run({ interactive: true, tty: true, color: false })).not.to.match(ansi);
    expect(run({ interactive: true, tty: true, color: true })).to.match(ansi);
  });
});
