import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startStandin, type RunningStandin } from '../standin/server.js';
import { listOf } from '../standin/testkit.js';
import { spawnWritingRun } from './support/command.js';

/**
 * The runner removes what it created also when it is interrupted: a proxy in front of the stand-in lets the
 * POST of lifecycle-create through, then holds every later request except DELETE; the test sends SIGINT to the
 * CLI while it waits and checks that the created token is gone.
 */

function forward(target: URL, req: IncomingMessage, res: ServerResponse): void {
  const up = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    },
  );
  req.pipe(up);
}

describe('runner interrupted (SIGINT)', function () {
  this.timeout(30000);
  let s: RunningStandin;
  let proxy: Server;
  const held: ServerResponse[] = [];

  after(async () => {
    for (const r of held) r.destroy();
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    await s.close();
  });

  it('deletes the token it created before exiting with 130', async () => {
    s = await startStandin({});
    const before = await listOf(s);
    const target = new URL(s.url);
    let created = false;
    let onCreated: () => void = () => undefined;
    const createdSeen = new Promise<void>((r) => (onCreated = r));
    proxy = createServer((req, res) => {
      const isCreate = req.method === 'POST';
      if (created && req.method !== 'DELETE') {
        held.push(res); // never answered: the run is stuck here when the interrupt comes
        return;
      }
      if (isCreate) {
        created = true;
        res.on('finish', onCreated);
      }
      forward(target, req, res);
    });
    await new Promise<void>((r) => {
      proxy.listen(0, '127.0.0.1', r);
    });
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${target.pathname}`;
    const [u, o] = s.users;
    if (!u || !o) throw new Error('two users expected');
    const { child, exited } = spawnWritingRun(url, u);
    await createdSeen;
    expect((await listOf(s)).length).to.equal(before.length + 1);
    child.kill('SIGINT');
    expect(await exited).to.equal(130);
    expect(await listOf(s)).to.deep.equal(before);
  });
});
