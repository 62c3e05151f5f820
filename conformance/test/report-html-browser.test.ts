import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { fromRoot } from '../paths.js';
import { formatHtml } from '../report/formatters/html.js';
import type { ReportDocument } from '../report/types.js';
import { openOffline, type TestBrowser } from './support/chromium.js';

/**
 * report.html in a real headless Chromium (from npm, see support/chromium.ts) with the network blocked: it
 * renders without console or page errors, asks for nothing but itself, the verdict and the failing check are
 * visible, and a screenshot is kept for people.
 */
const SCREENSHOT = fromRoot('reports', 'screenshots', 'report.png');

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

describe('report.html in headless Chromium', function () {
  this.timeout(60_000);
  let browser: TestBrowser | undefined;
  let pageDir: string | undefined;
  let page: Page;
  let problems: string[] = [];
  let requests: string[] = [];
  let blocked: string[] = [];

  before(async function () {
    pageDir = mkdtempSync(join(tmpdir(), 'report-html-'));
    const file = join(pageDir, 'report.html');
    writeFileSync(file, formatHtml(fixture('report-fail.json')));
    ({ browser, page, blocked, problems, requests } = await openOffline(this, file));
  });

  after(async () => {
    await browser?.close();
    if (pageDir) rmSync(pageDir, { recursive: true, force: true });
  });

  it('renders without console or page errors and loads nothing but itself', () => {
    expect(problems).to.deep.equal([]);
    expect(blocked, 'requests that would have left the page').to.deep.equal([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).to.deep.equal([]);
  });

  it('shows the verdict at a glance', async () => {
    const verdict = page.locator('#verdict');
    expect(await verdict.isVisible()).to.equal(true);
    expect(await verdict.textContent()).to.equal('Non-conformant');
    const box = await verdict.boundingBox();
    expect(box?.y ?? Infinity, 'verdict is above the fold').to.be.lessThan(200);
  });

  it("shows the failing check's row and its evidence", async () => {
    const row = page.locator('#row-auth-basic-wrong-password');
    expect(await row.isVisible()).to.equal(true);
    expect(await row.innerText()).to.match(/FAILED\s+MUST\s+auth-basic-wrong-password/);
    const evidence = page.locator('#check-auth-basic-wrong-password pre').first();
    expect(await evidence.isVisible()).to.equal(true);
    expect(await evidence.innerText()).to.include('authorization: Basic [REDACTED]');
    expect(await page.locator('#row-auth-none-401').innerText()).to.match(/warning\s+SHOULD\s+auth-none-401/);
  });

  it('takes a full-page screenshot to reports/screenshots/report.png', async () => {
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).to.be.greaterThan(10_000);
  });

  it('would notice a request leaving the page (the network block above is live)', async () => {
    const probe = await browser!.context.newPage();
    await probe.setContent('<img src="https://example.invalid/logo.png">', { waitUntil: 'load' });
    await probe.close();
    expect(blocked).to.deep.equal(['https://example.invalid/logo.png']);
  });
});
