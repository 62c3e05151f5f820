import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent } from 'undici';
import { HarnessError } from '../errors.js';
import { fromRoot } from '../paths.js';
import { binPath, mapLimit } from './measure.js';
import type { WrongPwRow } from './targets.js';

/**
 * The stand-in's answer rate to wrong passwords: a stand-in started as users start it
 * (`node bin/onezone-conformance.js standin`, its own process, so that its event loop is not the load
 * generator's), then N Basic requests at a fixed concurrency over keep-alive, timed from the first request to
 * the last answer. Rows: every password different (nothing to cache), one wrong password repeated, and the
 * right password for reference. The passwords are made here and never printed.
 */

export const WRONG_PW_REQUESTS = 2000;
export const WRONG_PW_CONCURRENCY = 32;

interface RunningChild {
  url: string;
  user: string;
  stop(): Promise<void>;
}

/** Starts the stand-in command and reads its URL and first user's name (not the password) from its banner. */
async function startStandinCommand(): Promise<RunningChild> {
  const child = spawn(process.execPath, [binPath(), 'standin'], {
    cwd: fromRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  let out = '';
  const ready = await new Promise<{ url: string; user: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new HarnessError('E_STANDIN', 'the stand-in did not print its URL within 20 s'));
    }, 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      reject(new HarnessError('E_STANDIN', `the stand-in ended before it was ready (exit ${String(code)})`));
    });
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const url = /^ {2}URL: (\S+)$/m.exec(out)?.[1];
      const user = /^ {4}(\S+) \/ /m.exec(out)?.[1];
      if (url !== undefined && user !== undefined) {
        clearTimeout(timer);
        resolve({ url, user });
      }
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    ...ready,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => {
        child.once('exit', () => {
          resolve();
        });
      });
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Sends `n` GETs of the list with the passwords `passwordOf(i)`, `concurrency` at a time. */
async function load(
  url: string,
  user: string,
  n: number,
  concurrency: number,
  passwordOf: (i: number) => string,
): Promise<{ wallMs: number; statuses: Record<string, number> }> {
  const base = new URL(url);
  const agent = new Agent({ connections: concurrency, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const statuses: Record<string, number> = {};
  const path = `${base.pathname.replace(/\/+$/, '')}/user/client_tokens`;
  const send = async (i: number): Promise<void> => {
    const basic = Buffer.from(`${user}:${passwordOf(i)}`).toString('base64');
    let key = 'error';
    try {
      const res = await agent.request({
        origin: base.origin,
        path,
        method: 'GET',
        headers: { authorization: `Basic ${basic}` },
      });
      await res.body.arrayBuffer();
      key = String(res.statusCode);
    } catch {
      key = 'error';
    }
    statuses[key] = (statuses[key] ?? 0) + 1;
  };
  const started = performance.now();
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    send,
  );
  const wallMs = performance.now() - started;
  await agent.close();
  return { wallMs, statuses };
}

export async function benchWrongPasswords(
  log: (l: string) => void,
  n = WRONG_PW_REQUESTS,
  concurrency = WRONG_PW_CONCURRENCY,
): Promise<WrongPwRow[]> {
  const s = await startStandinCommand();
  try {
    const right = await rightPassword(s.user);
    const salt = randomBytes(6).toString('hex');
    const repeated = `wrong-${salt}`;
    const kinds: Array<{ kind: WrongPwRow['kind']; label: string; passwordOf: (i: number) => string }> = [
      { kind: 'distinct', label: 'a different wrong password each time', passwordOf: (i) => `wrong-${salt}-${i}` },
      { kind: 'repeated', label: 'one wrong password repeated', passwordOf: () => repeated },
      ...(right !== undefined
        ? [{ kind: 'right' as const, label: 'the right password (reference, not judged)', passwordOf: () => right }]
        : []),
    ];
    // Warm-up: connections open and the stand-in's code hot, for every row alike.
    await load(s.url, s.user, Math.min(100, n), concurrency, (i) => `warm-${salt}-${i}`);
    const rows: WrongPwRow[] = [];
    for (const k of kinds) {
      const r = await load(s.url, s.user, n, concurrency, k.passwordOf);
      const row: WrongPwRow = {
        kind: k.kind,
        label: k.label,
        requests: n,
        concurrency,
        wallMs: Math.round(r.wallMs),
        perSecond: Math.round((n / r.wallMs) * 1000),
        statuses: r.statuses,
      };
      log(`  wrong passwords, ${k.label}: ${row.perSecond}/s (${JSON.stringify(row.statuses)})`);
      rows.push(row);
    }
    return rows;
  } finally {
    await s.stop();
  }
}

/** The seeded user's password, read from the project's seed file (public test values of the stand-in). */
async function rightPassword(user: string): Promise<string | undefined> {
  const { readFileSync } = await import('node:fs');
  const seed = JSON.parse(readFileSync(fromRoot('conformance', 'standin', 'seed.json'), 'utf8')) as {
    users?: Array<{ name: string; password: string }>;
  };
  return seed.users?.find((u) => u.name === user)?.password;
}
