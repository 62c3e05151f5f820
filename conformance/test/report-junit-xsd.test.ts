import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { formatJunit } from '../report/formatters/junit.js';
import type { ReportDocument } from '../report/types.js';

/**
 * junit.xml against the JUnit schema Jenkins' xUnit plugin validates with (written out in
 * conformance/report/xsd/jenkins-junit.xsd), checked by a real XSD validator: Debian's xmllint.
 */
const XSD = fromRoot('conformance', 'report', 'xsd', 'jenkins-junit.xsd');
const xmllintAvailable = spawnSync('xmllint', ['--version']).status === 0;

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

describe('junit.xml against a real JUnit consumer schema (xmllint --schema)', function () {
  let dir: string;

  before(function () {
    if (!xmllintAvailable) {
      // In CI a missing validator is a broken environment, not a reason to pass.
      if (process.env['CI'] === 'true') throw new Error('xmllint not found: install libxml2-utils (.ci/run does)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'report-junit-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function validate(xml: string): { ok: boolean; output: string } {
    const file = join(dir, `junit-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(file, xml);
    const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  }

  const variants: Array<[string, () => ReportDocument]> = [
    ['a non-conformant run (failure, warnings, skip)', () => fixture('report-fail.json')],
    ['a conformant run', () => fixture('report-pass.json')],
    [
      'a run with an errored check, a run error and hostile text',
      () => {
        const r = fixture('report-fail.json');
        const c = r.checks.find((x) => x.id === 'lifecycle-delete')!;
        Object.assign(c, { status: 'errored', code: 'E_TIMEOUT', message: 'timeout <&"\'> \u0001\u001b ]]>' });
        r.summary.passed -= 1;
        r.summary.errored += 1;
        r.errors.push({ code: 'E_CLEANUP', message: 'token <x> not deleted\nsecond line' });
        r.verdict = 'non-conformant';
        return r;
      },
    ],
  ];
  for (const [what, build] of variants) {
    it(`accepts ${what}`, () => {
      const r = validate(formatJunit(build()));
      expect(r.ok, r.output).to.equal(true);
    });
  }

  it('rejects documents that break the schema (so the check above can fail)', () => {
    const good = formatJunit(fixture('report-fail.json'));
    const broken = [
      good.replace(/<testsuites ([^>]*)>/, '<testsuites $1 skipped="1">'), // attribute Jenkins does not allow there
      good.replace(/<testcase classname="authentication" name="[^"]*"/, '<testcase classname="authentication"'), // name is required
      good.replace(/failures="1"/, 'failures="one"'), // counters are integers
      good.replace('<properties>', '<properties><unknown/>'), // unknown element
    ];
    for (const xml of broken) {
      expect(xml).not.to.equal(good);
      const r = validate(xml);
      expect(r.ok, 'xmllint accepted a broken document').to.equal(false);
      expect(r.output).to.match(/fails to validate|Schemas validity error/);
    }
  });

  it('rejects a document that is not well-formed XML', () => {
    expect(validate('<testsuites><testsuite name="x" tests="1" failures="0" errors="0">').ok).to.equal(false);
  });
});
