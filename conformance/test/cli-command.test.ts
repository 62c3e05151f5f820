import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { COMMANDS, FLAGS, flagsOf, parseFlags, type FlagName } from '../cli/flags.js';
import { main } from '../cli/main.js';
import { parentGoneAtStart, type ProcStat } from '../cli/parent.js';
import { HarnessError } from '../errors.js';
import { fromRoot, toolVersion } from '../paths.js';
import { runConformance } from '../run.js';
import { startStandin } from '../standin/server.js';
import { listOf } from '../standin/testkit.js';
import { commandArgs, commandEnv } from './support/command.js';
import { cannotRun } from './support/cannot-run.js';
import { freePort } from './support/processes.js';

/** The one command: subcommands, --help and --version from one flag table, the bin, parent death, aborts. */

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function call(argv: string[], env: Record<string, string> = {}): Promise<Captured> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  const code = await main(argv, { out, err, env, cwd: process.cwd() });
  return { code, out: o, err: e };
}

const isListening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

describe('onezone-conformance (the one command)', function () {
  this.timeout(30000);

  it('--version prints the package version, at the top and after a command', async () => {
    const version = (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
    expect(toolVersion()).to.equal(version);
    for (const argv of [['--version'], ['-V'], ['gate', '--version']]) {
      const r = await call(argv);
      expect(r.code, argv.join(' ')).to.equal(0);
      expect(r.out).to.equal(version + '\n');
    }
  });

  it('--help lists every command; each command --help lists exactly its rows of the flag table', async () => {
    const top = await call(['--help']);
    expect(top.code).to.equal(0);
    for (const c of COMMANDS) expect(top.out).to.match(new RegExp(`^  ${c} `, 'm'));
    for (const c of COMMANDS) {
      const r = await call([c, '--help']);
      expect(r.code, c).to.equal(0);
      expect(r.out).to.include(`Usage: onezone-conformance ${c}`);
      const own = new Set<string>(flagsOf(c));
      for (const name of Object.keys(FLAGS) as FlagName[]) {
        const listed = new RegExp(`^ {2}(-\\w, )?--${name}(?![\\w-])`, 'm').test(r.out);
        expect(listed, `${c} --help lists --${name}`).to.equal(own.has(name));
      }
    }
    expect((await call(['run', '--help'])).out).to.include('--target URL');
    expect((await call(['run', '--help'])).out).to.include('[ONEZONE_USER]');
  });

  it('refuses an unknown command, a missing command and a flag of another command with exit 2', async () => {
    expect((await call([])).code).to.equal(2);
    expect((await call(['frobnicate'])).code).to.equal(2);
    const r = await call(['gate', '--target', 'http://h']);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("Unknown option '--target'");
  });

  it('does not echo a stray argument, which is often a password that lost its flag', async () => {
    const r = await call(['run', '--insecure', 'alice:s3cret-pw']);
    expect(r.code).to.equal(2);
    expect(r.err + r.out).not.to.include('s3cret-pw');
  });

  it('warns that a password or token given as a flag is visible in the process list, without the value', () => {
    const parsed = parseFlags('run', ['--target', 'http://h', '--user', 'alice:s3cret', '--token', 'tok3n'], {});
    if (parsed.kind !== 'flags') throw new Error('flags expected');
    const text = parsed.flags.warnings.join('\n');
    expect(text).to.match(/--user .*process list.*ONEZONE_USER/);
    expect(text).to.match(/--token .*ONEZONE_TOKEN/);
    expect(text).not.to.include('s3cret');
    expect(text).not.to.include('tok3n');
    const fromEnv = parseFlags('run', ['--target', 'http://h'], { ONEZONE_USER: 'alice:s3cret' });
    expect(fromEnv.kind === 'flags' && fromEnv.flags.warnings).to.deep.equal([]);
  });

  it('is the package bin, and the npm scripts call the built command without rebuilding', () => {
    const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    const bin = pkg.bin['onezone-conformance'];
    expect(bin).to.equal('bin/onezone-conformance.js');
    accessSync(fromRoot(bin!), constants.X_OK);
    expect(readFileSync(fromRoot(bin!), 'utf8')).to.match(/^#!\/usr\/bin\/env node\n/);
    const r = spawnSync(process.execPath, [fromRoot(bin!), '--version'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal(toolVersion());
    const commands: Record<string, string> = {
      start: 'run',
      conformance: 'run',
      standin: 'standin',
      mock: 'mock',
      gate: 'gate',
      docs: 'docs',
      'docs:check': 'docs check',
      'docs:html': 'docs html',
      dredd: 'dredd',
      bench: 'bench',
    };
    for (const [script, sub] of Object.entries(commands))
      expect(pkg.scripts[script], script).to.equal(`node bin/onezone-conformance.js ${sub}`);
  });

  /**
   * node (npm's part) → sh -c → the command: SIGKILL of the first leaves sh waiting, as npm's death does. The
   * server must stop listening on its own.
   */
  async function orphaned(args: string[], event: string, port?: number): Promise<void> {
    const line = ['node', ...commandArgs(...args)].map((a) => `'${a}'`).join(' ');
    const starter = spawn(
      process.execPath,
      [
        '-e',
        `require('node:child_process').spawn('sh', ['-c', process.argv[1] + '; exit $?'], { stdio: 'inherit' });`,
        line,
      ],
      { env: commandEnv({ npm_lifecycle_event: event }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    starter.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let p = port;
    if (p === undefined) {
      // The stand-in picks a free port and prints it.
      expect(await until(() => Promise.resolve(/URL: http:\/\/127\.0\.0\.1:\d+/.test(out)), 15000), out).to.equal(true);
      p = Number(/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    }
    const at = p;
    expect(await until(() => isListening(at), 20000), `nothing listening on ${at}: ${out}`).to.equal(true);
    starter.kill('SIGKILL');
    expect(await until(async () => !(await isListening(at)), 5000), 'the server is still listening').to.equal(true);
  }

  it('standin ends its server when the process that started it ends, also through an npm-like sh -c', async () => {
    await orphaned(['standin', '--port', '0'], 'standin');
  });

  it('mock ends Prism when the process that started it ends, also through an npm-like sh -c', async () => {
    const port = await freePort();
    await orphaned(['mock', '--port', String(port)], 'mock', port);
  });

  /** The session of a process, from /proc (undefined without it). */
  const sessionOf = (pid: number | 'self'): number | undefined =>
    existsSync(`/proc/${pid}/stat`)
      ? Number(
          readFileSync(`/proc/${pid}/stat`, 'utf8')
            .replace(/^.*\) /s, '')
            .split(' ')[3],
        )
      : undefined;

  /**
   * `sh -c 'command &'`: the shell forks the command and exits at once, before the command has read its
   * parent. The command must see that its starter is gone and stop, not run on under init.
   *
   * The shell leads a session of its own (`detached`), so the command is never in init's session, where init
   * may be the starter (a container's command) and the rule rightly lets it run. The tests themselves may well
   * run in init's session: CI starts them that way.
   */
  async function bornOrphan(ctx: Mocha.Context, args: string[]): Promise<string> {
    if (sessionOf('self') === undefined) cannotRun(ctx, 'no /proc: the parent watch reads only the direct parent here');
    const line = ['node', ...commandArgs(...args)].map((a) => `'${a}'`).join(' ');
    const sh = spawn('sh', ['-c', `${line} & echo "pid=$!"`], {
      env: commandEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sh.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // The pipes close when the last writer, the orphaned command, has exited.
    const closed = new Promise<void>((r) => sh.stdout.once('close', r));
    const ended = await Promise.race([closed.then(() => true), new Promise((r) => setTimeout(r, 15000, false))]);
    const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
    if (!ended && pid > 0) process.kill(pid, 'SIGTERM'); // it ends its own children (Prism) on SIGTERM
    expect(ended, `still running 15 s after its starter ended: ${out}`).to.equal(true);
    return out;
  }

  it('standin stops when the process that started it had already ended (sh -c "… &")', async function () {
    const out = await bornOrphan(this, ['standin', '--port', '0']);
    expect(out).to.include('stand-in stopped (its parent process ended)');
  });

  it('mock stops (and ends Prism) when the process that started it had already ended', async function () {
    await bornOrphan(this, ['mock', '--port', String(await freePort())]);
  });

  it('standin started with setsid runs on after its starter ended (detached on purpose)', async function () {
    if (spawnSync('setsid', ['--version']).status !== 0) cannotRun(this, 'no setsid on this machine');
    const line = ['node', ...commandArgs('standin', '--port', '0')].map((a) => `'${a}'`).join(' ');
    // setsid -f forks and its first process exits: the stand-in leads a new session, its starter gone.
    const sh = spawn('sh', ['-c', `setsid -f sh -c 'echo "pid=$$"; exec ${line.replaceAll("'", '')}'`], {
      env: commandEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect(await until(() => Promise.resolve(/URL: http:\/\/127\.0\.0\.1:\d+/.test(out)), 15000), out).to.equal(true);
    const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    try {
      // Several polls of the parent watch.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await isListening(port), out).to.equal(true);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
    expect(await until(async () => !(await isListening(port)), 5000)).to.equal(true);
  });

  it('the parent rule: an orphan at birth stops; a container command and a live parent run on', () => {
    const proc = (session: number): ProcStat => ({ comm: 'node', ppid: 1, pgrp: 500, session });
    const facts = { pid: 500, firstParent: 1, parentNow: 1, parentSession: 1 };
    // `sh -c 'cmd &'` from a terminal: adopted by init before it started, in the terminal's session.
    expect(parentGoneAtStart({ ...facts, self: proc(300) })).to.equal(true);
    // The same under a subreaper of another session (a container's init, `systemd --user`).
    expect(
      parentGoneAtStart({ ...facts, firstParent: 77, parentNow: 77, parentSession: 77, self: proc(300) }),
    ).to.equal(true);
    // Re-parented while it was starting.
    expect(parentGoneAtStart({ ...facts, firstParent: 42, self: proc(300) })).to.equal(true);
    // A container's command under tini or a shell as pid 1: in init's session, init is the starter.
    expect(parentGoneAtStart({ ...facts, self: proc(1) })).to.equal(false);
    // `nohup cmd &` from a shell, or any live starter: its parent is in its session.
    expect(
      parentGoneAtStart({ ...facts, firstParent: 42, parentNow: 42, parentSession: 300, self: proc(300) }),
    ).to.equal(false);
    // No /proc: only the direct parent is known, and it has not changed.
    expect(parentGoneAtStart({ ...facts, self: undefined, parentSession: undefined })).to.equal(false);
  });

  it('runConformance installs no signal handler and ends early on its AbortSignal, removing what it created', async () => {
    const s = await startStandin();
    try {
      const [user, other] = s.users;
      const before = await listOf(s, 0);
      const controller = new AbortController();
      const listeners = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((sig) => process.listenerCount(sig));
      let during: number[] = [];
      const report = await runConformance(
        {
          target: s.url,
          embedded: true,
          user: user!,
          otherUser: other!,
          insecure: false,
          allowWrites: true,
          profile: 'onezone-17.06',
          timeoutMs: 5000,
        },
        {
          signal: controller.signal,
          progress: {
            checkFinished: (r) => {
              during = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((sig) => process.listenerCount(sig));
              if (r.id === 'lifecycle-create') {
                controller.abort(new HarnessError('E_INTERRUPTED', 'interrupted by SIGINT'));
              }
            },
            finished: () => undefined,
          },
        },
      );
      expect(during).to.deep.equal(listeners);
      const interrupted = report.errors.find((e) => e.code === 'E_INTERRUPTED');
      expect(interrupted?.message).to.match(
        /^interrupted by SIGINT: \d+ of \d+ checks had finished.*1 created token removed$/,
      );
      expect(report.exitCode).to.equal(2);
      const notRun = report.checks.filter((c) => c.code === 'E_INTERRUPTED');
      expect(notRun.map((c) => c.id)).to.include('lifecycle-delete');
      expect(await listOf(s, 0)).to.deep.equal(before);
    } finally {
      await s.close();
    }
  });
});
