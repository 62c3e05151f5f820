import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { request } from 'undici';
import { parseStandinArgs } from '../standin/cli.js';
import { spawnCommand } from './support/command.js';

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; got: ${out}`));
    }, timeoutMs);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${out}`));
    });
  });
}

describe('stand-in CLI', function () {
  this.timeout(15000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('parses its flags', () => {
    expect(
      parseStandinArgs([
        '--port',
        '0',
        '--https',
        '--quirks',
        '--fault',
        'slow',
        '--fault',
        'auth-bypass',
        '--data',
        'x.json',
        '--onezone-version',
        '19.02',
        '--domain',
        'zone.example',
        '--slow-ms',
        '50',
      ]),
    ).to.deep.equal({
      port: 0,
      https: true,
      quirks: true,
      faults: ['slow', 'auth-bypass'],
      dataFile: 'x.json',
      version: '19.02',
      domain: 'zone.example',
      slowMs: 50,
    });
  });

  it('rejects an unknown fault, a bad version and a bad port with S_USAGE', () => {
    for (const args of [
      ['--fault', 'nope'],
      ['--onezone-version', '16.04'],
      ['--port', 'x'],
    ]) {
      let code: string | undefined;
      try {
        parseStandinArgs(args);
      } catch (e) {
        code = (e as { code?: string }).code;
      }
      expect(code, args.join(' ')).to.equal('S_USAGE');
    }
  });

  it('runs in the foreground, prints its URL and the test users, serves them, and stops on SIGTERM', async () => {
    child = spawnCommand(['standin', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await waitForOutput(child, /Press Ctrl\+C/, 10000);
    const url = /URL: (\S+)/.exec(out)?.[1];
    const user = /^\s+(\S+) \/ (\S+)$/m.exec(out);
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3\/onezone$/);
    expect(user).to.not.equal(null);
    const res = await request(`${url ?? ''}/user/client_tokens`, {
      headers: { authorization: 'Basic ' + Buffer.from(`${user?.[1] ?? ''}:${user?.[2] ?? ''}`).toString('base64') },
    });
    expect(res.statusCode).to.equal(200);
    await res.body.text();
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});

describe('stand-in CLI: zone states and failures', function () {
  this.timeout(15000);

  it('parses the 21.02 flags: account, breaker, Basic off, blocked users, GUI session', () => {
    expect(
      parseStandinArgs([
        '--onezone-version',
        '21.02.6',
        '--account',
        'fresh',
        '--circuit-breaker-open',
        '--basic-auth-disabled',
        '--blocked-user',
        'alice',
        '--blocked-user',
        'bob',
        '--gui-session-cookie',
      ]),
    ).to.deep.equal({
      version: '21.02.6',
      account: 'fresh',
      breakerOpen: true,
      basicAuthDisabled: true,
      blockedUsers: ['alice', 'bob'],
      guiSession: true,
    });
    let code: string | undefined;
    try {
      parseStandinArgs(['--account', 'old']);
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).to.equal('S_USAGE');
  });

  it('a malformed --data file exits non-zero and leaves no server behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'standin-cli-'));
    try {
      const data = join(dir, 'state.json');
      writeFileSync(data, JSON.stringify({ format: 'onezone-standin-state/1', users: [null], auth: {} }));
      const child = spawnCommand(['standin', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(null);
        }, 10000);
        child.once('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(code, `stdout: ${out}\nstderr: ${err}`).to.equal(1);
      expect(out).not.to.include('URL:');
      expect(err).to.include('not a stand-in state file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
