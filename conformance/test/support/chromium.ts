import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { cannotRun } from './cannot-run.js';
import { fromRoot } from '../../paths.js';

/**
 * Headless Chromium for the browser tests, from npm alone: @sparticuz/chromium ships a self-contained build
 * (it needs only libc, libgcc and libexpat) that playwright-core drives. Nothing here looks for a system
 * browser, so the tests behave the same on a fresh machine and on one with Debian's chromium installed.
 */

// The project's own switches, not the package's `Chromium.args`: its --single-process makes the whole browser
// exit when a page closes, and its serverless tuning is not what a test wants.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(fromRoot('node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * The unpacked browser directory (binary, its GL libraries, fonts). The package unpacks into os.tmpdir()
 * itself, writing /tmp/chromium in place, so concurrent test runs could start a half-written binary: it is
 * unpacked into a private directory instead and renamed into place, which is atomic, once complete.
 */
async function unpacked(): Promise<string> {
  const dir = join(tmpdir(), `onezone-conformance-chromium-${packageVersion()}`);
  if (existsSync(join(dir, 'chromium'))) return dir;
  const staging = mkdtempSync(join(tmpdir(), 'onezone-conformance-chromium-unpack-'));
  const { default: Chromium } = await import('@sparticuz/chromium');
  const saved = process.env['TMPDIR'];
  process.env['TMPDIR'] = staging; // the package's only knob for where it unpacks
  try {
    await Chromium.executablePath();
  } finally {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
  }
  // The packaged fonts.conf names /tmp/fonts; this one names the fonts unpacked here and nothing from the
  // system, so a page renders the same on every machine.
  writeFileSync(
    join(staging, 'fonts.conf'),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
      `  <dir>${join(dir, 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
  );
  try {
    renameSync(staging, dir);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'chromium'))) throw e; // not another run having finished first
  }
  return dir;
}

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A browser on a fresh profile directory: nothing from a previous run or the user leaks in. */
export async function launchChromium(): Promise<TestBrowser> {
  const dir = await unpacked();
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'onezone-conformance-profile-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: join(dir, 'chromium'),
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ARGS,
      env: { ...process.env, FONTCONFIG_FILE: join(dir, 'fonts.conf') },
    });
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Lets the pages load only file: and data: URLs (and blob: URLs they create). Every other request is aborted
 * and its URL recorded, so a test both works offline and proves that nothing would have left the page.
 */
export async function blockNetwork(context: BrowserContext): Promise<string[]> {
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(file|data|blob):/.test(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (ws) => {
    blocked.push(ws.url());
    return ws.close();
  });
  return blocked;
}

export interface OfflinePage {
  readonly browser: TestBrowser;
  readonly page: Page;
  /** The requests that would have left the page (aborted). */
  readonly blocked: string[];
  /** Console errors and uncaught page errors (`console: …`, `page: …`). */
  readonly problems: string[];
  /** Every URL the page asked for. */
  readonly requests: string[];
}

/**
 * Opens `file` in headless Chromium with the network blocked, recording what went wrong and what was asked
 * for. A browser that does not start is a test that cannot run (a failure under CI).
 */
export async function openOffline(ctx: Mocha.Context, file: string): Promise<OfflinePage> {
  let browser: TestBrowser;
  try {
    browser = await launchChromium();
  } catch (e) {
    cannotRun(
      ctx,
      `headless Chromium from @sparticuz/chromium did not start: ${(e as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  const problems: string[] = [];
  const requests: string[] = [];
  const blocked = await blockNetwork(browser.context);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { browser, page, blocked, problems, requests };
}
