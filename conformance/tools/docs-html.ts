/**
 * `docs html`: one self-contained HTML page of the spec that works offline. Redocly CLI 1.34's build-docs
 * prerenders the page but has it load Redoc from a CDN and its fonts from Google (offline: "Redoc is not
 * defined", no search, no navigation), and has no option against either; this post-build step inlines the
 * installed `redoc` package's bundle and removes every remote reference.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { fromRoot } from '../paths.js';

export const DOCS_HTML_FILE = 'docs/html/index.html';

const require = createRequire(import.meta.url);

const CDN_SCRIPT =
  /<script src="https:\/\/cdn\.redocly\.com\/redoc\/v([^/"]+)\/bundles\/redoc\.standalone\.js"><\/script>/g;
const FONT_LINK = /<link\b[^>]*\bhref="https:\/\/fonts\.(?:googleapis|gstatic)\.com\/[^"]*"[^>]*>\s*/g;
// Redoc's sidebar footer shows this logo by loading it from Redocly's CDN; an empty image keeps the layout.
const LOGO_URL = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
/** Remote hosts the page must not mention as a place to load from once it is built. */
const REMOTE_LOADS = [/cdn\.redoc(?:ly)?\.(?:com|ly)/, /fonts\.(?:googleapis|gstatic)\.com/];

/**
 * The bundle made safe to sit inside <script>…</script>: `\x3C` is `<` in JS strings and regular expressions
 * alike (the only places these sequences occur), and keeps the HTML parser from ending or escaping the script.
 */
function scriptSafe(bundle: string): string {
  return bundle
    .replace(/^\/\/# sourceMappingURL=.*$/m, '')
    .replace(/<(\/?script|!--)/gi, (_m, rest: string) => `\\x3C${rest}`);
}

/**
 * The page Redocly built, with the Redoc bundle inlined (its version must be the one the page was prerendered
 * with, or hydration would not match), without Google Fonts and without the remote logo. Throws when the page
 * or the bundle no longer looks as expected, so an upgrade cannot silently bring a remote load back.
 */
export function selfContainedPage(html: string, bundle: string, redocVersion: string): string {
  const scripts = [...html.matchAll(CDN_SCRIPT)];
  if (scripts.length !== 1)
    throw new Error(`expected one Redoc CDN <script> in the built page, found ${scripts.length}`);
  const builtFor = scripts[0]?.[1];
  if (builtFor !== redocVersion)
    throw new Error(`the page was built for Redoc ${builtFor ?? '?'}, the installed redoc is ${redocVersion}`);
  if (bundle.split(LOGO_URL).length !== 2)
    throw new Error(`expected the Redoc bundle to load its logo from ${LOGO_URL} exactly once`);
  const script = `<script>${scriptSafe(bundle.replace(LOGO_URL, EMPTY_IMAGE))}</script>`;
  // Functions as replacements: the bundle is full of `$` sequences that a replacement string would expand.
  const page = html.replace(FONT_LINK, () => '').replace(CDN_SCRIPT, () => script);
  for (const re of REMOTE_LOADS)
    if (re.test(page)) throw new Error(`the built page still refers to ${re.source} after inlining`);
  return page;
}

function installedRedoc(): { bundle: string; version: string } {
  const bundleFile = require.resolve('redoc/bundles/redoc.standalone.js');
  const pkg = JSON.parse(readFileSync(fromRoot('node_modules', 'redoc', 'package.json'), 'utf8')) as {
    version: string;
  };
  return { bundle: readFileSync(bundleFile, 'utf8'), version: pkg.version };
}

/** Builds the page with Redocly CLI into `out`, then makes it self-contained in place. */
export async function buildDocsHtml(out: string = fromRoot(DOCS_HTML_FILE)): Promise<void> {
  mkdirSync(dirname(out), { recursive: true });
  await promisify(execFile)(
    fromRoot('node_modules', '.bin', 'redocly'),
    [
      'build-docs',
      fromRoot('spec', 'onezone.openapi.yaml'),
      '--output',
      out,
      // The download button is rendered differently on the server and in the browser, so hydration fails and
      // React re-renders the whole page with errors in the console (Redocly/redocly-cli#2113). The spec is
      // in spec/ for anyone who wants the file.
      '--theme.openapi.hideDownloadButton=true',
    ],
    // Telemetry and update checks would reach the network; the build itself must not need it.
    { cwd: fromRoot(), env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
  );
  const { bundle, version } = installedRedoc();
  writeFileSync(out, selfContainedPage(readFileSync(out, 'utf8'), bundle, version));
}
