import { expect } from 'chai';
import { startStandin, type RunningStandin } from '../standin/server.js';
import { listOf } from '../standin/testkit.js';
import { spawnWritingRun } from './support/command.js';
import { proxyTo, type HostileServer } from './support/hostile.js';

/**
 * The CLI removes what the run created on every signal an operator or a CI runner sends: SIGHUP (the terminal
 * closed), SIGTERM, a second Ctrl-C while the cleanup runs, and a Ctrl-C that lands while the POST is in flight
 * (the target created the token, the runner never heard of it).
 */

describe('runner interrupted by signals: cleanup', function () {
  this.timeout(40000);
  let s: RunningStandin;
  let proxy: HostileServer | undefined;
  afterEach(async () => {
    await proxy?.close();
    await s.close();
  });

  /** Runs the CLI through a proxy; `when` says at which request to send the signals (held, never answered). */
  async function interrupted(signals: readonly NodeJS.Signals[], holdPost: boolean): Promise<number | null> {
    s = await startStandin({});
    const before = await listOf(s);
    let created = false;
    let onHeld: () => void = () => undefined;
    const held = new Promise<void>((r) => (onHeld = r));
    proxy = await proxyTo(s.url, (req) => {
      if (req.method === 'POST' && holdPost) {
        onHeld();
        return 'hold'; // created on the target; its answer never arrives
      }
      if (req.method === 'POST') {
        created = true;
        return undefined;
      }
      if (created && req.method !== 'DELETE' && !/authorization/i.test(JSON.stringify(req.headers))) {
        onHeld();
        return 'hold'; // the run is stuck here when the signal comes
      }
      return undefined;
    });
    const url = proxy.url + new URL(s.url).pathname;
    const [u, o] = s.users;
    if (!u || !o) throw new Error('two users expected');
    const { child, exited } = spawnWritingRun(url, u);
    await held;
    for (const sig of signals) child.kill(sig);
    const code = await exited;
    expect(await listOf(s)).to.deep.equal(before);
    return code;
  }

  // The exit code is 128 + the signal's number, as for any process a signal ended (documented in run --help).
  it('SIGHUP: removes the created token and exits 129', async () => {
    expect(await interrupted(['SIGHUP'], false)).to.equal(129);
  });

  it('a second Ctrl-C does not cut the cleanup short', async () => {
    expect(await interrupted(['SIGINT', 'SIGINT'], false)).to.equal(130);
  });

  it('Ctrl-C while the POST is in flight: finds the token the target created and removes it', async () => {
    expect(await interrupted(['SIGINT'], true)).to.equal(130);
  });

  it('SIGTERM while the POST is in flight: exits 143', async () => {
    expect(await interrupted(['SIGTERM'], true)).to.equal(143);
  });
});
