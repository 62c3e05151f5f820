import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { formatJunit } from '../report/formatters/junit.js';
import type { ReportDocument } from '../report/types.js';
import { cannotRun } from './support/cannot-run.js';

/**
 * junit.xml against the JUnit schema Jenkins' xUnit plugin validates with (written out in
 * conformance/report/xsd/jenkins-junit.xsd), checked by a real XSD validator: libxml2's xmllint, compiled to
 * WebAssembly (xmllint-wasm), so that npm alone brings it.
 */
const XSD = fromRoot('conformance', 'report', 'xsd', 'jenkins-junit.xsd');

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

type Xmllint = typeof import('xmllint-wasm');

describe('junit.xml against a real JUnit consumer schema (xmllint --schema)', function () {
  let xmllint: Xmllint;
  const schema = { fileName: 'jenkins-junit.xsd', contents: readFileSync(XSD, 'utf8') };

  before(async function () {
    try {
      xmllint = await import('xmllint-wasm');
    } catch (e) {
      cannotRun(this, `xmllint-wasm could not be loaded: ${(e as Error).message}`);
    }
  });

  async function validate(xml: string): Promise<{ ok: boolean; output: string }> {
    const r = await xmllint.validateXML({ xml: { fileName: 'junit.xml', contents: xml }, schema });
    return { ok: r.valid, output: r.rawOutput };
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
    [
      'a run that could not judge (preflight E_CONNECT, no check ran)',
      () => ({
        ...fixture('report-fail.json'),
        checks: [],
        summary: { total: 0, passed: 0, failed: 0, warnings: 0, skipped: 0, errored: 0 },
        verdict: 'error',
        exitCode: 2,
        errors: [{ code: 'E_CONNECT', message: 'preflight: connection refused <127.0.0.1:9>' }],
      }),
    ],
  ];
  for (const [what, build] of variants) {
    it(`accepts ${what}`, async () => {
      const r = await validate(formatJunit(build()));
      expect(r.ok, r.output).to.equal(true);
    });
  }

  it('rejects documents that break the schema (so the check above can fail)', async () => {
    const good = formatJunit(fixture('report-fail.json'));
    const broken = [
      good.replace(/<testsuites ([^>]*)>/, '<testsuites $1 skipped="1">'), // attribute Jenkins does not allow there
      good.replace(/<testcase classname="authentication" name="[^"]*"/, '<testcase classname="authentication"'), // name is required
      good.replace(/failures="1"/, 'failures="one"'), // counters are integers
      good.replace('<properties>', '<properties><unknown/>'), // unknown element
    ];
    for (const xml of broken) {
      expect(xml).not.to.equal(good);
      const r = await validate(xml);
      expect(r.ok, 'xmllint accepted a broken document').to.equal(false);
      expect(r.output).to.match(/fails to validate|Schemas validity error/);
    }
  });

  it('rejects a document that is not well-formed XML', async () => {
    expect((await validate('<testsuites><testsuite name="x" tests="1" failures="0" errors="0">')).ok).to.equal(false);
  });
});
