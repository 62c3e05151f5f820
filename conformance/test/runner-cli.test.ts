import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { ReportDocument } from '../report/types.js';
import { startStandin, type RunningStandin } from '../standin/server.js';
import { runCommandLine, type CommandResult } from './support/command.js';
import { httpServer, proxyTo, type HostileServer } from './support/hostile.js';
import { freePort } from './support/processes.js';
import { listOf } from '../standin/testkit.js';

/**
 * True subprocess runs of the CLI: exit codes, the last line, TLS options, and redaction over everything a
 * run writes (stdout, stderr and every report file).
 */

/** `onezone-conformance run …` with `env` added to a minimal environment. */
const runCli = (args: string[], env: Record<string, string> = {}): Promise<CommandResult> =>
  runCommandLine(['run', ...args], env);

const SUMMARY = /^\d+ passed, \d+ failed, \d+ skipped, \d+ errored$/;

describe('runner CLI (subprocess)', function () {
  this.timeout(30000);
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'oz-runner-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const userArgs = (s: RunningStandin): string[] => {
    const [u, o] = s.users;
    if (!u || !o) throw new Error('two users expected');
    return ['--user', `${u.name}:${u.password}`, '--other-user', `${o.name}:${o.password}`];
  };

  it('exits 2 with a clear message on bad arguments, the summary line last', async () => {
    const r = await runCli(['--target', 'http://127.0.0.1:1/api', '--timeout', 'soon']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--timeout/);
    expect(r.lastLine).to.equal('0 passed, 0 failed, 0 skipped, 0 errored');
  });

  it('prints the usage on --help and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('--target URL');
  });

  it('exits 2 with a hint when a target is given without any credential, before any request', async () => {
    // As a CI job whose ONEZONE_USER was never set: most checks would be skipped, the rest read "conformant".
    const server = await httpServer((_req, res) => res.writeHead(401).end());
    try {
      const target = `${server.url}/api/v3/onezone`;
      const r = await runCli(['--target', target]);
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr).to.match(/error E_USAGE: no credentials: give --user NAME:PASSWORD \(ONEZONE_USER\) or --token/);
      expect(r.lastLine).to.equal('0 passed, 0 failed, 0 skipped, 0 errored');
      expect(server.seen).to.deep.equal([]);
      // A token alone is a credential: the run goes on (and this server refuses it).
      const withToken = await runCli(['--target', target, '--depth', '0'], {
        ONEZONE_TOKEN: 'MDAxNWxvY2F00aW9uIG9uZXpvbmUK',
      });
      expect(withToken.stderr).not.to.match(/no credentials/);
      expect(server.seen).not.to.deep.equal([]);
    } finally {
      await server.close();
    }
  });

  it('exits 2 at once when the target refuses connections, with E_CONNECT in report.errors', async () => {
    const dir = tmp();
    const r = await runCli(['--target', `http://127.0.0.1:${await freePort()}/api/v3/onezone`, '--report-dir', dir], {
      ONEZONE_USER: 'alice:not-needed-here',
    });
    expect(r.code, r.stdout + r.stderr).to.equal(2);
    expect(r.lastLine).to.match(SUMMARY);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReportDocument;
    expect(report.errors.map((e) => e.code)).to.include('E_CONNECT');
    expect(report.verdict).to.equal('error');
  });

  it('runs the embedded main job without --target: stand-in, writes, two users; exit 0 and report.json', async () => {
    const dir = tmp();
    const r = await runCli(['--report-dir', dir]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^target: +http:\/\/127\.0\.0\.1:\d+\/api\/v3\/onezone \(embedded stand-in\)$/m);
    expect(r.lastLine).to.match(/^\d+ passed, 0 failed, \d+ skipped, 0 errored$/);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReportDocument;
    expect(report.target.embedded).to.equal(true);
    // Issue 12 item 3: the main job runs against the newest release, 21.02.7, with lived-in accounts.
    expect(report.target.detection?.profile).to.equal('onezone-21.02');
    expect(report.options).to.include({ allowWrites: true, otherUser: true });
  });

  it('skips exactly the generated checks at --depth 0, saying why, and exits 0 on the stand-in', async () => {
    const s = await startStandin({});
    try {
      const dir = tmp();
      const r = await runCli(['--target', s.url, '--allow-writes', '--depth', '0', '--report-dir', dir], {
        ONEZONE_USER: `${s.users[0]?.name ?? ''}:${s.users[0]?.password ?? ''}`,
        ONEZONE_OTHER_USER: `${s.users[1]?.name ?? ''}:${s.users[1]?.password ?? ''}`,
      });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReportDocument;
      const generated = [
        'attack-invalid-credentials-rejected',
        'attack-valid-credentials-own-list',
        'attack-credential-precedence',
        'lifecycle-model',
      ];
      const byDepth = report.checks.filter((c) => c.code === 'P_DEPTH');
      expect(byDepth.map((c) => c.id).sort()).to.deep.equal([...generated].sort());
      for (const c of byDepth)
        expect(c, c.id).to.include({ status: 'skipped', message: '--depth 0: no generated cases' });
      expect(report.generated).to.include({ depth: '0', cases: 0 });
    } finally {
      await s.close();
    }
  });

  it('exits 1 and names the check under a fault (list-wrong-shape)', async () => {
    const s = await startStandin({ faults: ['list-wrong-shape'] });
    try {
      const r = await runCli(['--target', s.url, ...userArgs(s), '--report-dir', tmp()]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('shape-list-schema');
      expect(r.lastLine).to.match(/^\d+ passed, [1-9]\d* failed, \d+ skipped, \d+ errored$/);
    } finally {
      await s.close();
    }
  });

  describe('over HTTPS', () => {
    let s: RunningStandin;
    before(async () => {
      s = await startStandin({ https: true });
    });
    after(async () => {
      await s.close();
    });

    it('fails TLS verification without --ca: exit 2, E_TLS', async () => {
      const dir = tmp();
      const r = await runCli(['--target', s.url, ...userArgs(s), '--report-dir', dir]);
      expect(r.code).to.equal(2);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReportDocument;
      expect(report.errors.map((e) => e.code)).to.include('E_TLS');
    });

    it('trusts the stand-in with --ca (exit 0) and with --insecure (exit 0)', async () => {
      const dir = tmp();
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, s.caPem ?? '');
      const withCa = await runCli(['--target', s.url, ...userArgs(s), '--ca', caFile, '--report-dir', dir]);
      expect(withCa.code, withCa.stdout).to.equal(0);
      const insecure = await runCli(['--target', s.url, ...userArgs(s), '--insecure', '--report-dir', tmp()]);
      expect(insecure.code, insecure.stdout).to.equal(0);
    });

    it('warns on the console that --insecure does not verify the certificate', async () => {
      const r = await runCli(['--target', s.url, ...userArgs(s), '--insecure', '--report-dir', tmp()]);
      expect(r.stderr).to.match(/^warning: --insecure: the TLS certificate of the target is not verified/m);
    });

    it('refuses an empty --ca file before the first request, naming the file (exit 2)', async () => {
      const dir = tmp();
      const caFile = join(dir, 'empty.pem');
      writeFileSync(caFile, '');
      const r = await runCli(['--target', s.url, ...userArgs(s), '--ca', caFile, '--report-dir', dir]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include(`--ca ${caFile} is empty`);
      expect(readdirSync(dir)).to.deep.equal(['empty.pem']);
    });
  });

  it('never prints or reports a password or a token (stdout, stderr, every report file)', async () => {
    // The secret-echo fault makes the target echo passwords, so there is something to redact.
    const s = await startStandin({ faults: ['secret-echo'] });
    const dir = tmp();
    try {
      const minted = s.users.flatMap((u) => s.mintTokens(u.name, 3));
      const r = await runCli(['--target', s.url, ...userArgs(s), '--allow-writes', '--report-dir', dir]);
      expect(r.code).to.equal(1);
      const outputs = [r.stdout, r.stderr, ...readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'))];
      const all = outputs.join('\n');
      expect(all).to.include('[REDACTED');
      for (const u of s.users) {
        expect(all, 'a password').not.to.include(u.password);
        expect(all, 'a Basic value').not.to.include(Buffer.from(`${u.name}:${u.password}`).toString('base64'));
      }
      for (const t of minted) expect(all, 'a token part').not.to.include(t.slice(-24));
      expect(all, 'an Onedata token').not.to.match(/MDAx[A-Za-z0-9]{20,}/);
    } finally {
      await s.close();
    }
  });

  it('ends a run at --deadline with exit 2 and E_DEADLINE, after removing what it created', async () => {
    const s = await startStandin({});
    let proxy: HostileServer | undefined;
    try {
      const before = await listOf(s, 0);
      let created = false;
      // After the POST, every request but the cleanup's DELETE is held: the run waits until its deadline.
      proxy = await proxyTo(s.url, (req) => {
        if (req.method === 'POST') {
          created = true;
          return undefined;
        }
        return created && req.method !== 'DELETE' ? 'hold' : undefined;
      });
      const dir = tmp();
      const started = Date.now();
      const r = await runCli(
        [
          ...['--target', proxy.url + new URL(s.url).pathname, '--allow-writes', '--report-dir', dir],
          ...['--timeout', '60000', '--deadline', '6000'],
        ],
        { ONEZONE_USER: `${s.users[0]!.name}:${s.users[0]!.password}` },
      );
      expect(Date.now() - started).to.be.below(20000);
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stdout).to.match(
        /^error E_DEADLINE: the run passed its --deadline of 6000 ms: .*1 created token removed/m,
      );
      expect(await listOf(s, 0)).to.deep.equal(before);
    } finally {
      await proxy?.close();
      await s.close();
    }
  });

  // Issue 13 item 12: the report directory is the person's, made and proved before the target is touched.
  it('refuses an unusable --report-dir before the first request (exit 2), naming it', async () => {
    const s = await startStandin({});
    let requests = 0;
    const proxy = await proxyTo(s.url, () => {
      requests++;
      return undefined;
    });
    try {
      const file = join(tmp(), 'a-file');
      writeFileSync(file, 'not a directory');
      const r = await runCli(
        ['--target', proxy.url + new URL(s.url).pathname, '--allow-writes', '--report-dir', file],
        {
          ONEZONE_USER: `${s.users[0]!.name}:${s.users[0]!.password}`,
        },
      );
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include(`the report directory ${file} cannot be used`);
      expect(r.lastLine).to.equal('0 passed, 0 failed, 0 skipped, 0 errored');
      expect(requests, 'requests sent to the target').to.equal(0);
    } finally {
      await proxy.close();
      await s.close();
    }
  });

  it('resolves a relative --report-dir from the directory the command was typed in (INIT_CWD under npm)', async () => {
    const typedIn = tmp();
    const r = await runCli(['--report-dir', 'out/zone'], { INIT_CWD: typedIn });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(readdirSync(join(typedIn, 'out', 'zone'))).to.include('report.json');
  });

  // Issue 12: without --profile the runner detects the version; a fixed 17.06 default failed later servers.
  for (const version of ['18.02', '19.02', '20.02', '21.02'] as const) {
    it(`judges a correct ${version} server as conformant without --profile (auto is the default)`, async () => {
      const s = await startStandin({ version });
      try {
        const [u, o] = s.users;
        const r = await runCli(['--target', s.url, '--allow-writes', '--report-dir', tmp()], {
          ONEZONE_USER: `${u!.name}:${u!.password}`,
          ONEZONE_OTHER_USER: `${o!.name}:${o!.password}`,
        });
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^profile: auto$/m);
        expect(r.stdout).to.match(new RegExp(`^detected: onezone-${version.replace('.', '\\.')} `, 'm'));
      } finally {
        await s.close();
      }
    });
  }
});
