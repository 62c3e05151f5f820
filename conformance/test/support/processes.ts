import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'undici';
import { API_PREFIX, mockSpecFile } from '../../tools/spec-build.js';
import { fromRoot } from '../../paths.js';

/** A free loopback port: listen on 0, read it back, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

export interface RunningPrism {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT */
  readonly root: string;
  /** The root plus the API prefix: the URL form a real Onezone has. */
  readonly base: string;
  close(): void;
}

/**
 * Starts `prism mock` on a free port, as `npm run mock` does. The default spec is the generated Prism copy
 * (spec/mock/), whose paths carry the /api/v3/onezone prefix because Prism 5.14 ignores the base path of
 * `servers`. Polls until Prism answers: a starting child process offers no readiness event.
 */
export async function startPrism(specFile: string = mockSpecFile('17.06'), deadlineMs = 45_000): Promise<RunningPrism> {
  const port = await freePort();
  const child = spawn(
    fromRoot('node_modules', '.bin', 'prism'),
    ['mock', fromRoot(specFile), '--host', '127.0.0.1', '--port', String(port)],
    { stdio: 'ignore' },
  );
  const root = `http://127.0.0.1:${port}`;
  const close = (): void => {
    child.kill();
  };
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`prism exited with ${child.exitCode} for ${specFile}`);
    try {
      await request(`${root}/`).then((r) => r.body.dump());
      return { child, root, base: `${root}${API_PREFIX}`, close };
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  close();
  throw new Error(`prism did not answer within ${deadlineMs} ms for ${specFile}`);
}
