import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { formatBadge } from '../report/formatters/badge.js';
import { formatHtml } from '../report/formatters/html.js';
import { formatJson } from '../report/formatters/json.js';
import { formatJunit } from '../report/formatters/junit.js';
import { formatMarkdown } from '../report/formatters/markdown.js';
import type { CheckResult, ReportDocument } from '../report/types.js';

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

const checkOf = (r: ReportDocument, id: string): CheckResult => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`fixture has no check ${id}`);
  return c;
};

/** A report whose target answers with markup, quotes and control characters: every format must stay intact. */
function hostileReport(): ReportDocument {
  const r = fixture('report-fail.json');
  const c = checkOf(r, 'auth-basic-wrong-password');
  c.message = 'got <script>alert("x")</script> & \u001b[31mred\u0000 | `tick` ]]> \uD800';
  c.exchanges[0]!.response!.body = '<html><body onload="alert(1)">&nbsp;</body></html>\u0007';
  return r;
}

/** The text inside the <testcase> element whose name contains `id`. */
function junitCase(xml: string, id: string): string {
  const m = new RegExp(`<testcase [^>]*name="\\[[A-Z]+\\] ${id} [^"]*"[^>]*?(/>|>[\\s\\S]*?</testcase>)`).exec(xml);
  if (!m) throw new Error(`no testcase for ${id}`);
  return m[0];
}

describe('report formatters (pure functions of the canonical document)', () => {
  describe('json', () => {
    it('round-trips the document unchanged', () => {
      const r = fixture('report-fail.json');
      expect(JSON.parse(formatJson(r))).to.deep.equal(r);
    });
  });

  describe('junit', () => {
    const xml = formatJunit(fixture('report-fail.json'));

    it('has one testsuite with counts from the summary and the target, profile and verdict as properties', () => {
      expect(xml.match(/<testsuite /g)).to.have.length(1);
      expect(xml).to.match(/<testsuite [^>]*tests="37" failures="1" errors="0" skipped="1" time="0.814"/);
      expect(xml).to.include('<property name="target" value="https://onezone.example.org/api/v3/onezone"/>');
      expect(xml).to.include('<property name="profile" value="onezone-17.06"/>');
      expect(xml).to.include('<property name="verdict" value="non-conformant"/>');
      expect(xml.match(/<testcase /g)).to.have.length(37);
    });

    it('shows a run that could not judge as an errored testcase every JUnit view counts', () => {
      const r: ReportDocument = {
        ...fixture('report-fail.json'),
        checks: [],
        summary: { total: 0, passed: 0, failed: 0, warnings: 0, skipped: 0, errored: 0 },
        verdict: 'error',
        exitCode: 2,
        errors: [
          { code: 'E_CONNECT', message: 'preflight: connection refused' },
          { code: 'E_CLEANUP', message: 'not a reason the run could not judge' },
        ],
      };
      const out = formatJunit(r);
      expect(out).to.match(/<testsuites [^>]*tests="1" failures="0" errors="1"/);
      expect(out).to.match(/<testsuite [^>]*tests="1" failures="0" errors="1"/);
      expect(out).to.include(
        '<testcase classname="run" name="run: E_CONNECT — the run could not judge the target" time="0.000">\n      <error type="E_CONNECT" message="preflight: connection refused">preflight: connection refused</error>',
      );
      expect(out.match(/<testcase /g)).to.have.length(1);
    });

    it('names a testcase `[LEVEL] id — title` in the check category, with time in seconds', () => {
      expect(junitCase(xml, 'auth-basic-valid')).to.match(
        /^<testcase classname="authentication" name="\[MUST\] auth-basic-valid — serves the list with 200 and a ClientTokens body for valid Basic credentials" time="0.005"\/>$/,
      );
    });

    it('turns a failed MUST into <failure> carrying the reason and the redacted exchange', () => {
      const tc = junitCase(xml, 'auth-basic-wrong-password');
      expect(tc).to.match(/<failure type="MUST" message="expected status 401/);
      expect(tc).to.include('authorization: Basic [REDACTED]');
      expect(tc).to.include('← 200');
    });

    it('keeps a failed SHOULD a passing testcase with a "warning:" system-out, so CI views stay green', () => {
      const tc = junitCase(xml, 'auth-none-401');
      expect(tc).not.to.match(/<failure|<error|<skipped/);
      expect(tc).to.match(/<system-out>warning: \[SHOULD\] auth-none-401: expected status 401[\s\S]*← 404/);
    });

    it('marks a skipped check <skipped> with its reason and an errored one <error> with its code', () => {
      expect(junitCase(xml, 'auth-token-bearer')).to.include(
        '<skipped message="profile onezone-17.06: Bearer is not supported before 18.02"/>',
      );
      const r = fixture('report-pass.json');
      Object.assign(checkOf(r, 'lifecycle-delete'), {
        status: 'errored',
        code: 'E_TIMEOUT',
        message: 'no answer within 10000 ms',
      });
      expect(junitCase(formatJunit(r), 'lifecycle-delete')).to.match(
        /<error type="E_TIMEOUT" message="no answer within 10000 ms">/,
      );
    });

    it('escapes markup and makes control characters visible instead of emitting illegal XML', () => {
      const out = formatJunit(hostileReport());
      expect(out).not.to.include('<script>');
      expect(out).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; \\u001b[31mred\\u0000');
      expect(out).to.include('\\ud800');

      expect(out).not.to.match(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
      expect(out).not.to.include(']]>');
    });
  });

  describe('markdown', () => {
    const md = formatMarkdown(fixture('report-fail.json'));

    it('opens with the verdict and a summary table', () => {
      expect(md.split('\n')[0]).to.equal('## ❌ Onezone conformance: Non-conformant');
      expect(md).to.include('| 33 | 1 | 2 | 0 | 1 | 37 |');
    });

    it('lists the failure before the warnings, each with its evidence', () => {
      const failures = md.indexOf('### Failures (MUST)');
      const warnings = md.indexOf('### Warnings (SHOULD/MAY)');
      expect(failures).to.be.greaterThan(0);
      expect(warnings).to.be.greaterThan(failures);
      expect(md.slice(failures, warnings)).to.include('auth-basic-wrong-password').and.include('← 200');
      expect(md.slice(warnings)).to.include('auth-none-401').and.include('← 404').and.include('http-406-unacceptable');
    });

    it('says conformant for a clean run and has no failure section', () => {
      const ok = formatMarkdown(fixture('report-pass.json'));
      expect(ok.split('\n')[0]).to.equal('## ✅ Onezone conformance: Conformant');
      expect(ok).not.to.include('### Failures');
    });

    it('neutralises HTML and table pipes from the target', () => {
      const out = formatMarkdown(hostileReport());
      expect(out).not.to.include('<script>');
      expect(out).to.include('&lt;script&gt;');
    });
  });

  describe('html', () => {
    const html = formatHtml(fixture('report-fail.json'));

    it('is self-contained: inline CSS, no script, no external resource', () => {
      expect(html).to.match(/^<!DOCTYPE html>/);
      expect(html).to.include('<style>');
      expect(html).not.to.match(/<script|<link |src=|url\(http|@import/i);
    });

    it('shows the verdict, target, profile and a row per check with level, spec reference and time', () => {
      expect(html).to.include('id="verdict">Non-conformant</p>');
      expect(html).to.include('<code>https://onezone.example.org/api/v3/onezone</code>');
      expect(html).to.include('<code>onezone-17.06</code>');
      expect(html.match(/<tr class="row-/g)).to.have.length(37);
      expect(html).to.match(
        /<tr class="row-fail" id="row-auth-basic-wrong-password">.*MUST.*#\/<wbr>paths\/<wbr>~1user~1client_tokens\/<wbr>get\/<wbr>responses\/<wbr>401.*57 ms/,
      );
    });

    it('shows the redacted request and response of each failure and warning', () => {
      for (const id of ['auth-basic-wrong-password', 'auth-none-401', 'http-406-unacceptable']) {
        const start = html.indexOf(`<article class="evidence`, html.indexOf(`id="check-${id}"`) - 60);
        const article = html.slice(start, html.indexOf('</article>', start));
        expect(article, id).to.include(`id="check-${id}"`).and.include('<pre>GET https://onezone.example.org');
      }
      expect(html).to.include('authorization: Basic [REDACTED]');
    });

    it('escapes everything that comes from the target', () => {
      const out = formatHtml(hostileReport());
      expect(out).not.to.match(/<script|<html><body|onload="/);
      expect(out).to.include('&lt;html&gt;&lt;body onload=&quot;alert(1)&quot;&gt;&amp;nbsp;');
    });
  });

  describe('badge', () => {
    it('turns yellow for a conformant run with warnings and grey when the run could not judge', () => {
      const warned = fixture('report-fail.json');
      Object.assign(checkOf(warned, 'auth-basic-wrong-password'), { status: 'passed', message: '' });
      Object.assign(warned, { verdict: 'conformant', exitCode: 0 });
      Object.assign(warned.summary, { passed: 34, failed: 0 });
      expect(formatBadge(warned))
        .to.include('aria-label="onezone conformance: passing 34/36"')
        .and.include('fill="#dfb317"');
      const errored = fixture('report-pass.json');
      Object.assign(errored, { verdict: 'error', exitCode: 2 });
      expect(formatBadge(errored)).to.include('>error 36/36</text>').and.include('fill="#9f9f9f"');
    });

    it('says passing N/M over judged checks for a conformant run', () => {
      const svg = formatBadge(fixture('report-pass.json'));
      expect(svg).to.include('aria-label="onezone conformance: passing 36/36"');
      expect(svg).to.include('fill="#4c1"');
    });

    it('says failing N/M in red for a non-conformant run', () => {
      const svg = formatBadge(fixture('report-fail.json'));
      expect(svg).to.include('>failing 33/36</text>');
      expect(svg).to.include('fill="#e05d44"');
      expect(svg).to.match(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="20"/);
    });
  });

  describe('a run with --insecure', () => {
    const insecure = (): ReportDocument => {
      const r = fixture('report-pass.json');
      r.target = {
        ...r.target,
        url: 'https://zone.example.org/api/v3/onezone',
        embedded: false,
        tls: { verify: false },
      };
      return r;
    };
    const verified = (): ReportDocument => {
      const r = insecure();
      r.target.tls = { verify: true };
      return r;
    };

    it('says so in report.md, junit.xml (a property and the suite name), the badge and report.html', () => {
      expect(formatMarkdown(insecure())).to.include('**TLS not verified** (`--insecure`)');
      const xml = formatJunit(insecure());
      expect(xml).to.include('<property name="tls.verify" value="false"/>');
      expect(xml).to.match(/<testsuite name="onezone-client-tokens-conformance \(onezone-17\.06, TLS NOT verified\)"/);
      expect(formatBadge(insecure())).to.include('passing 36/36 (TLS not verified)');
      expect(formatHtml(insecure())).to.include('TLS not verified (--insecure)');
    });

    it('says nothing of it when TLS was verified', () => {
      expect(formatMarkdown(verified())).not.to.include('TLS not verified');
      expect(formatJunit(verified()))
        .to.include('<property name="tls.verify" value="true"/>')
        .and.not.include('NOT verified');
      expect(formatBadge(verified())).not.to.include('TLS');
    });
  });
});
