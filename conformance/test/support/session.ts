import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CheckSession } from '../../checks/context/session.js';
import { compileSchemas } from '../../checks/schemas.js';
import { HttpClient } from '../../http.js';
import { getProfile, type ProfileId } from '../../profiles.js';
import { Redactor } from '../../redact.js';

/**
 * The checks' unit tests judge one check against a tiny server that a test programs: this builds the check
 * session against it, as the user ALICE, and takes it all down again.
 */

/** The user of the unit tests' programmable servers (they check this Basic value themselves). */
export const ALICE = { name: 'alice', password: 'alice-unit-password' } as const;
export const ALICE_BASIC = 'Basic ' + Buffer.from(`${ALICE.name}:${ALICE.password}`).toString('base64');

export interface ProgrammedSession {
  readonly session: CheckSession;
  /** Closes the HTTP client and the server (the caller runs the session's cleanup first where it wants one). */
  readonly close: () => Promise<void>;
}

export async function sessionAgainst(
  handler: RequestListener,
  opts: { readonly profile?: ProfileId; readonly allowWrites?: boolean; readonly timeoutMs?: number } = {},
): Promise<ProgrammedSession> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const redactor = new Redactor();
  const http = new HttpClient({ timeoutMs: opts.timeoutMs ?? 2000, redactor });
  const profile = getProfile(opts.profile ?? 'onezone-17.06');
  const session = new CheckSession({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/onezone`,
    http,
    redactor,
    profile,
    schemas: compileSchemas(profile.specVersion),
    user: ALICE,
    allowWrites: opts.allowWrites ?? false,
  });
  return {
    session,
    close: async () => {
      await http.close();
      await new Promise((r) => server.close(r));
    },
  };
}
