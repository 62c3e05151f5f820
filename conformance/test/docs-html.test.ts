import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { buildDocsHtml, selfContainedPage } from '../tools/docs-html.js';
import { openOffline, type TestBrowser } from './support/chromium.js';

/**
 * `docs html` renders the spec into one self-contained page: prerendered (readable without scripts), Redoc
 * inlined, nothing loaded from elsewhere; in a browser with the network blocked, Redoc runs, search works and
 * the sidebar navigates.
 */

const PAGE = (head: string) =>
  `<!DOCTYPE html><html><head>${head}<script src="https://cdn.redocly.com/redoc/v2.5.3/bundles/redoc.standalone.js"></script></head><body></body></html>`;
const FONTS = '<link href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700" rel="stylesheet">';
const BUNDLE = 'var Redoc={};x="$&$1";y="</script>";z=/<!--/;i="https://cdn.redoc.ly/redoc/logo-mini.svg";';

describe('docs html: making the page self-contained', () => {
  it('inlines the bundle verbatim except for what would end the script, drops Google Fonts and the remote logo', () => {
    const page = selfContainedPage(PAGE(FONTS), BUNDLE, '2.5.3');
    expect(page).not.to.include('fonts.googleapis.com').and.not.to.include('cdn.redoc');
    expect(page).to.include('x="$&$1"'); // `$` sequences are not replacement patterns
    expect(page).to.include('y="\\x3C/script>"').and.to.include('z=/\\x3C!--/');
    expect(page).to.include("i=\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'");
    expect(page.match(/<\/script>/g)).to.have.length(1);
  });

  it('refuses a page prerendered for another Redoc version (hydration would not match)', () => {
    expect(() => selfContainedPage(PAGE(''), BUNDLE, '2.5.4')).to.throw(
      /built for Redoc 2\.5\.3.*installed redoc is 2\.5\.4/,
    );
  });

  it('refuses a page or bundle that no longer looks as expected, rather than leave a remote load in', () => {
    expect(() => selfContainedPage('<html></html>', BUNDLE, '2.5.3')).to.throw(/one Redoc CDN <script>/);
    expect(() => selfContainedPage(PAGE(''), 'var Redoc={};', '2.5.3')).to.throw(/logo/);
    const other = BUNDLE + 'fetch("https://cdn.redocly.com/x.js");';
    expect(() => selfContainedPage(PAGE(''), other, '2.5.3')).to.throw(/still refers to/);
  });
});

describe('docs html', function () {
  this.timeout(90_000);
  let out = '';
  let file = '';
  let html = '';
  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'docs-html-'));
    file = join(out, 'index.html');
    await buildDocsHtml(file);
    html = readFileSync(file, 'utf8');
  });
  after(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('writes one HTML page that already contains the operations (readable without scripts)', () => {
    expect(html).to.match(/^<!DOCTYPE html>/i);
    for (const text of ['List user access tokens', 'Generate user access token', 'Delete access token'])
      expect(html).to.include(text);
  });

  it('refers to no script, stylesheet or font elsewhere', () => {
    expect(html).not.to.match(/<script[^>]+src=/i);
    expect(html).not.to.match(/<link[^>]+stylesheet/i);
    expect(html).not.to.include('fonts.googleapis.com');
  });

  describe('in headless Chromium with the network blocked', () => {
    let browser: TestBrowser | undefined;
    let page: Page;
    let blocked: string[] = [];
    let problems: string[] = [];

    before(async function () {
      ({ browser, page, blocked, problems } = await openOffline(this, file));
    });
    after(async () => {
      await browser?.close();
    });

    it('runs Redoc', async () => {
      expect(await page.evaluate(() => typeof (globalThis as { Redoc?: unknown }).Redoc)).to.equal('object');
    });

    it('finds "delete" with the search box', async () => {
      await page.locator('input.search-input').fill('delete');
      const results = page.locator('[data-role="search:results"] [role="menuitem"]');
      await results.first().waitFor({ state: 'visible', timeout: 10_000 });
      expect(await results.allInnerTexts()).to.satisfy((texts: string[]) =>
        texts.some((t) => t.includes('Delete access token')),
      );
      await page.locator('input.search-input').fill('');
    });

    it('navigates from the sidebar to an operation', async () => {
      // The operations sit under their tag, collapsed until it is opened.
      const item = (id: string) => page.locator(`.menu-content li[data-item-id="${id}"] > label`);
      await item('tag/User').click();
      await item('tag/User/operation/create_client_token').click();
      // A string, evaluated in the page: the project compiles without the DOM library.
      await page.waitForFunction("location.hash.includes('create_client_token')", undefined, { timeout: 10_000 });
      const heading = page.locator('h2', { hasText: 'Generate user access token' }).first();
      expect(await heading.isVisible()).to.equal(true);
      const box = await heading.boundingBox();
      expect(box?.y ?? Infinity, 'the operation is scrolled into view').to.be.lessThan(400);
    });

    it('had no page errors and sent no request off the page', () => {
      expect(problems).to.deep.equal([]);
      expect(blocked, 'requests that would have left the page').to.deep.equal([]);
    });
  });
});
