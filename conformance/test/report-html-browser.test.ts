import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { fromRoot } from '../paths.js';
import { formatHtml } from '../report/formatters/html.js';
import type { ReportDocument } from '../report/types.js';

/**
 * report.html in a real headless Chromium (Debian's, installed by .ci/run): it renders without console
 * or page errors, the verdict and the failing check are visible, and a screenshot is kept for people.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fromRoot('reports', 'screenshots', 'report.png');

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

describe('report.html in headless Chromium', function () {
  this.timeout(60_000);
  let browser: BrowserContext | undefined;
  let profileDir: string | undefined;
  let pageDir: string | undefined;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      // CI must prove the page renders: a missing browser fails there. Locally it may be skipped.
      if (process.env['CI'] === 'true')
        throw new Error(`${CHROMIUM} not found: install Debian's chromium (.ci/run does)`);
      this.skip();
    }
    profileDir = mkdtempSync(join(tmpdir(), 'report-chromium-'));
    // A persistent context on a fresh profile directory: nothing from a previous run or the user leaks in.
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 900 },
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    pageDir = mkdtempSync(join(tmpdir(), 'report-html-'));
    const file = join(pageDir, 'report.html');
    writeFileSync(file, formatHtml(fixture('report-fail.json')));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  });

  after(async () => {
    await browser?.close();
    for (const d of [profileDir, pageDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('renders without console or page errors and loads nothing but itself', () => {
    expect(problems).to.deep.equal([]);
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
});
