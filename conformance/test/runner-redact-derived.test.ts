import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { findSecretSpellings, SecretSpellings } from '../redact.js';
import { startStandin, type RunningStandin } from '../standin/server.js';
import { runCommandLine } from './support/command.js';
import { proxyTo, type HostileServer } from './support/hostile.js';

/**
 * The generated attacks send wrong passwords made from the real one (case changed, cut, truncated to 8, a
 * look-alike letter, a `:` inside). A server that echoes them shows most of the real password: no output of the
 * run (console, report.json, junit.xml, report.md, report.html, badge.svg) may hold one in any spelling.
 */

/** The password of a Basic Authorization value, if it is one. */
function basicPassword(req: IncomingMessage): string | undefined {
  const m = /^Basic\s+(\S*)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * A proxy to the stand-in that answers every rejected Basic request with the submitted password echoed in its
 * body and in a header (URL-encoded where a header cannot carry it raw), and records the passwords it saw.
 */
async function echoingProxy(target: string): Promise<{ url: string; passwords: Set<string>; proxy: HostileServer }> {
  const passwords = new Set<string>();
  const proxy = await proxyTo(target, (req, status) => {
    const password = basicPassword(req);
    if (password !== undefined) passwords.add(password);
    if (password === undefined || status !== 401) return undefined;
    const header = /^[\x20-\x7e]*$/.test(password) ? password : encodeURIComponent(password);
    return {
      status: 401,
      headers: { 'content-type': 'application/json', 'x-rejected-password': header },
      body: JSON.stringify({ error: 'invalid credentials', password, tried: `password ${password} rejected` }),
    };
  });
  return { url: `${proxy.url}/api/v3/onezone`, passwords, proxy };
}

describe('derived wrong passwords echoed by a server', function () {
  this.timeout(60000);
  let standin: RunningStandin;
  let dir: string;

  before(async () => {
    standin = await startStandin({});
    dir = mkdtempSync(join(tmpdir(), 'oz-derived-'));
  });
  after(async () => {
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reach no report and no console output in any spelling; the real password in none either', async () => {
    const [user, other] = standin.users;
    if (!user || !other) throw new Error('two users expected');
    const proxy = await echoingProxy(standin.url.replace(/\/api\/v3\/onezone$/, ''));
    let outputs: string[];
    try {
      const r = await runCommandLine(
        ['run', '--target', proxy.url, '--allow-writes', '--seed', '5', '--report-dir', dir],
        {
          ONEZONE_USER: `${user.name}:${user.password}`,
          ONEZONE_OTHER_USER: `${other.name}:${other.password}`,
        },
      );
      expect(r.code, r.stderr).to.be.oneOf([0, 1]);
      outputs = [r.stdout, r.stderr, ...readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'))];
    } finally {
      await proxy.proxy.close();
    }
    expect(readdirSync(dir).sort()).to.include.members([
      'badge.svg',
      'junit.xml',
      'report.html',
      'report.json',
      'report.md',
    ]);
    const all = outputs.join('\n');

    const real = user.password;
    const derived = [...proxy.passwords].filter((p) => p !== real && p !== other.password && !p.startsWith('MD'));
    // The fixed examples the attacks always send: the password with one letter in the other case, truncated to 8
    // characters, with a look-alike letter; the proxy must have echoed them for this test to mean anything.
    const caseChanged = derived.find((p) => p.length === real.length && p.toLowerCase() === real.toLowerCase());
    expect(caseChanged, 'a case-changed password was sent').to.be.a('string');
    expect(derived, 'the password truncated to 8 characters was sent').to.include(real.slice(0, 8));
    expect(
      derived.some((p) => p.length === real.length && /[^\x00-\x7f]/.test(p)),
      'a look-alike password was sent',
    ).to.equal(true);

    for (const secret of [real, other.password])
      expect(findSecretSpellings(all, secret), 'a real password').to.deep.equal([]);
    for (const p of derived) {
      if (p.length >= 8) {
        expect(findSecretSpellings(all, p), `derived password of ${p.length} characters`).to.deep.equal([]);
      } else if (p.length >= 4) {
        // From 4 to 7 characters a derived password is masked where it stands as a whole value.
        const whole = new SecretSpellings();
        whole.add(p, '', { partials: false, encodings: false, wholeValueOnly: true });
        expect(whole.find(all), `derived password of ${p.length} characters, as a whole value`).to.deep.equal([]);
      }
    }
    expect(all).to.include('[REDACTED password]');
  });
});
