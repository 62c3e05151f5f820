import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { closingLine, detectionLine, plural, runEpilogue, terminalSafe, useColour } from '../report/console.js';
import { formatHtml } from '../report/formatters/html.js';
import { formatMarkdown } from '../report/formatters/markdown.js';
import { gate } from '../report/gate.js';
import { gateCli } from '../report/gate-cli.js';
import { grade } from '../report/grade.js';
import { createProgress } from '../report/progress.js';
import type { ReportDocument } from '../report/types.js';

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

/** What a hostile target puts in its answers to steer the reader's terminal. */
const INJECTION = [
  '\u001b[2J\u001b[H', // clear the screen
  '\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007', // OSC 8 hyperlink
  '\u001b]0;pwned\u0007', // window title
  '\u009b31m', // C1 CSI
  'fake\rPASS', // carriage return overwrites the line
  '\u202eevil\u202c', // bidi override
].join(' ');
/** Any control character a terminal acts on (tab and newline excepted). */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

function hostile(): ReportDocument {
  const r = fixture('report-fail.json');
  const c = r.checks.find((x) => x.id === 'auth-basic-wrong-password')!;
  c.message = `expected 401, got 200: ${INJECTION}`;
  r.target.detection = { profile: 'onezone-17.06', reason: `server said ${INJECTION}` };
  r.errors.push({ code: 'E_CLEANUP', message: INJECTION });
  return r;
}

function capture(): { stream: PassThrough & { isTTY: boolean }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true });
  let out = '';
  stream.on('data', (b: Buffer) => (out += b.toString('utf8')));
  return { stream, text: () => out };
}

describe('console conventions', () => {
  describe('terminal injection', () => {
    it('terminalSafe makes every control sequence visible and keeps the text', () => {
      const out = terminalSafe(INJECTION);
      expect(out).not.to.match(CONTROL);
      expect(out).to.include('\\u001b[2J').and.include('\\u009b31m').and.include('fake\\u000dPASS');
      expect(terminalSafe('tab\tand\nnewline')).to.equal('tab\tand\nnewline');
    });

    it('the progress lines carry no control character from a check message', () => {
      const { stream, text } = capture();
      const progress = createProgress({ stream, interactive: true, color: false });
      const report = hostile();
      for (const c of report.checks) progress.checkFinished(c);
      progress.finished(report);
      expect(text()).not.to.match(CONTROL);
      expect(text()).to.include('expected 401, got 200: \\u001b[2J');
    });

    it('the detection line and the run epilogue carry none', () => {
      const r = hostile();
      expect(detectionLine(r.target.detection!)).not.to.match(CONTROL);
      expect(runEpilogue(r, '/tmp/x').join('\n')).not.to.match(CONTROL);
    });

    it("the gate's lines and its printed output carry none", () => {
      const r = hostile();
      expect(gate(r, { now: new Date() }).lines.join('\n')).not.to.match(CONTROL);
      const { stream, text } = capture();
      const dir = mkdtempSync(join(tmpdir(), 'report-console-'));
      try {
        writeFileSync(join(dir, 'hostile.json'), JSON.stringify(r));
        const code = gateCli(['--report', 'hostile.json', '--no-allowlist'], {
          out: stream,
          err: new PassThrough(),
          cwd: dir,
          now: new Date(),
        });
        expect(code).to.equal(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(text()).to.include('\\u001b[2J');
      expect(text()).not.to.match(CONTROL);
    });

    it('report.md carries none, and makes @mentions and autolinks from the target inert', () => {
      const r = hostile();
      const c = r.checks.find((x) => x.id === 'auth-basic-wrong-password')!;
      c.message = 'ping @octocat and @org/team, see https://evil.example/x, www.evil.example and <https://e.example>';
      const md = formatMarkdown(r);
      expect(md).not.to.match(CONTROL);
      const line = md.split('\n').find((l) => l.includes('ping'))!;
      expect(line).not.to.match(/@[\w]/);
      expect(line).not.to.match(/https?:\/\//);
      expect(line).not.to.match(/www\./);
      expect(line).not.to.include('<https');
    });
  });

  describe('colour, plurals, the closing line, inline code', () => {
    it('colours only a TTY, and never under NO_COLOR or TERM=dumb', () => {
      expect(useColour({ isTTY: true }, {})).to.equal(true);
      expect(useColour({ isTTY: false }, {})).to.equal(false);
      expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).to.equal(false);
      expect(useColour({ isTTY: true }, { TERM: 'dumb' })).to.equal(false);
      expect(useColour({ isTTY: true }, { NO_COLOR: '' })).to.equal(true);
      for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }]) {
        const { stream, text } = capture();
        const progress = createProgress({ stream, interactive: true, env });
        for (const c of fixture('report-fail.json').checks) progress.checkFinished(c);
        expect(text(), JSON.stringify(env)).not.to.include('\u001b[');
      }
    });

    it('agrees in number: 1 warning, 2 warnings, 1 entry', () => {
      expect([plural(1, 'warning'), plural(2, 'warning'), plural(0, 'warning')]).to.deep.equal([
        '1 warning',
        '2 warnings',
        '0 warnings',
      ]);
      const r = fixture('report-fail.json');
      const http406 = r.checks.find((c) => c.id === 'http-406-unacceptable')!;
      Object.assign(http406, { status: 'passed', message: '' });
      const one = { ...r, ...grade(r.checks, r.errors) };
      expect(one.summary.warnings).to.equal(1);
      expect(runEpilogue(one, 'd').join('\n')).to.include('1 warning, 0 errored');
      expect(gate(one, { now: new Date() }).lines.at(-1)).to.include('1 warning, 0 errored');
      const { stream, text } = capture();
      createProgress({ stream, interactive: false }).finished(one);
      expect(text()).to.include('warning: auth-none-401\n');
      expect(formatHtml(one)).to.include(' · 1 warning · ');
      const md = formatMarkdown(one);
      expect(md).to.match(/Evidence: 1 exchange<\/summary>/);
      expect(md).not.to.include('exchange(s)');
    });

    it('ends with `N passed, N failed, N skipped, N errored`, counting errored checks', () => {
      expect(closingLine({ passed: 36, failed: 0, skipped: 1, errored: 0 })).to.equal(
        '36 passed, 0 failed, 1 skipped, 0 errored',
      );
      const lines = runEpilogue(fixture('report-fail.json'), 'reports/latest');
      expect(lines.at(-1)).to.equal('33 passed, 1 failed, 1 skipped, 0 errored');
    });

    it('renders inline code in report.md as code, not as escaped backticks', () => {
      const r = fixture('report-fail.json');
      r.checks.find((c) => c.id === 'auth-basic-wrong-password')!.message =
        'expected the `WWW-Authenticate` header, got `a|b` and *stars*';
      const md = formatMarkdown(r);
      expect(md).to.include('expected the `WWW-Authenticate` header, got `a\\|b` and \\*stars\\*');
      expect(md).not.to.include('\\`');
    });
  });
});
