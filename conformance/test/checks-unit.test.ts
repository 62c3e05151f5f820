import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { checkById } from '../checks/index.js';
import { compileSchemas } from '../checks/schemas.js';
import type { ProfileId } from '../profiles.js';
import { findSecretSpellings } from '../redact.js';
import { mintToken, serializeToken } from '../token/index.js';
import { executeCheck, type CheckOutcome } from '../run.js';
import { ALICE, ALICE_BASIC, sessionAgainst } from './support/session.js';

/**
 * Single checks against tiny programmable servers: each rule shown failing on a response that breaks exactly
 * it, and passing on one that keeps it. Cheap, and independent of the stand-in.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const BASIC = ALICE_BASIC;
const TOKENS = [
  'MDAxNWxvY2F00aW9uIG9uZXpvbmUKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'MDAxNWxvY2F00aW9uIG9uZXpvbmUKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
];

/** A token of an 18–33-character domain: it starts `MDAy`, not `MDAx` (real-server-2102.md §1.4). */
const MDAY_TOKEN = serializeToken(
  mintToken({ location: 'onezone.example.org', identifier: 'unit-leaked-identifier', secret: 's' }),
);

/** A minimal 17.06-like answer to the list, for the parts a check does not look at. */
const faithful: Handler = (req, res) => {
  if (['PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')) {
    res.writeHead(405, { allow: 'GET, POST' }).end();
  } else if (req.headers.authorization === BASIC) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens: TOKENS }));
  } else if (req.headers.authorization) {
    res.writeHead(401).end('{"error":"Provided basic authorization credentials are not valid"}');
  } else {
    res.writeHead(404).end();
  }
};

/** Overrides one kind of answer of the faithful server. */
const breaking =
  (when: (req: IncomingMessage) => boolean, answer: Handler): Handler =>
  (req, res) => {
    if (when(req)) answer(req, res);
    else faithful(req, res);
  };

const noCreds = (req: IncomingMessage): boolean => req.headers.authorization === undefined && req.method === 'GET';
const wrongCreds = (req: IncomingMessage): boolean =>
  req.headers.authorization !== undefined && req.headers.authorization !== BASIC;
const validBasic = (req: IncomingMessage): boolean => req.headers.authorization === BASIC;
const collectionWrite = (req: IncomingMessage): boolean => ['PUT', 'PATCH', 'DELETE'].includes(req.method ?? '');
const listAs =
  (body: string, type = 'application/json'): Handler =>
  (_q, s) =>
    s.writeHead(200, { 'content-type': type }).end(body);
const GOOD_LIST = JSON.stringify({ tokens: TOKENS });

/** Servers whose 401 echoes the submitted password in another spelling; secrets-no-password must see each. */
function echoes<K extends string>(
  spellings: Record<K, (pw: string) => string>,
): Record<`wrong password: 401 echoing the password ${K}`, Handler> {
  return Object.fromEntries(
    Object.entries<(pw: string) => string>(spellings).map(([name, spell]) => [
      `wrong password: 401 echoing the password ${name}`,
      breaking(wrongCreds, (q, s) => {
        const pw =
          Buffer.from((q.headers.authorization ?? '').slice(6), 'base64')
            .toString()
            .split(':')[1] ?? '';
        s.writeHead(401).end(`{"error":"bad password ${spell(pw)}"}`);
      }),
    ]),
  ) as Record<`wrong password: 401 echoing the password ${K}`, Handler>;
}

/** The servers of the table: the faithful one, and each breaking exactly one rule. */
const SERVERS = {
  faithful,
  'no credentials: 404 with a body': breaking(noCreds, (_q, s) => s.writeHead(404).end('nope')),
  'no credentials: 200 with the list': breaking(noCreds, listAs(GOOD_LIST)),
  'no credentials: 404 naming an MDAy token': breaking(noCreds, (_q, s) =>
    s.writeHead(404).end(`no user for token ${MDAY_TOKEN}`),
  ),
  'wrong password: 401 naming an MDAy token': breaking(wrongCreds, (_q, s) =>
    s.writeHead(401).end(JSON.stringify({ error: `not valid, try ${MDAY_TOKEN}` })),
  ),
  'no credentials: 401': breaking(noCreds, (_q, s) => s.writeHead(401).end('{"error":"unauthorized"}')),
  'wrong password: 403': breaking(wrongCreds, (_q, s) => s.writeHead(403).end('{"error":"x"}')),
  'wrong password: 401 text/plain': breaking(wrongCreds, (_q, s) =>
    s.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized'),
  ),
  'wrong password: 401 of the wrong shape': breaking(wrongCreds, (_q, s) => s.writeHead(401).end('{"message":"x"}')),
  'wrong password: 401 echoing the password': breaking(wrongCreds, (q, s) => {
    const pw =
      Buffer.from((q.headers.authorization ?? '').slice(6), 'base64')
        .toString()
        .split(':')[1] ?? '';
    s.writeHead(401).end(JSON.stringify({ error: `bad password ${pw}` }));
  }),
  ...echoes({
    'as \\uXXXX escapes': (pw) =>
      Array.from(pw)
        .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .join(''),
    'URL-encoded': (pw) => encodeURIComponent(pw).replace(/-/g, '%2D'),
    'in base64': (pw) => Buffer.from(`x${pw}`).toString('base64'),
    'in hex': (pw) => Buffer.from(pw).toString('hex'),
    'as HTML entities': (pw) =>
      Array.from(pw)
        .map((c) => `&#${c.charCodeAt(0)};`)
        .join(''),
    'by its first half': (pw) => pw.slice(0, Math.ceil(pw.length / 2)),
  }),
  'list: 203': breaking(validBasic, (_q, s) =>
    s.writeHead(203, { 'content-type': 'application/json' }).end('{"tokens":[]}'),
  ),
  'list: cut short of its content-length': breaking(validBasic, (_q, s) => {
    s.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
    s.write('{"tokens":[');
    setImmediate(() => s.socket?.destroy());
  }),
  'list: text/plain': breaking(validBasic, listAs(GOOD_LIST, 'text/plain')),
  'list: a null item': breaking(validBasic, listAs(JSON.stringify({ tokens: [TOKENS[0], null] }))),
  'list: a duplicate item': breaking(validBasic, listAs(JSON.stringify({ tokens: [TOKENS[0], TOKENS[0]] }))),
  'list: not JSON': breaking(validBasic, listAs('tokens: a,b')),
  'PUT/PATCH/DELETE: 404': breaking(collectionWrite, (_q, s) => s.writeHead(404).end()),
  'PUT/PATCH/DELETE: 405 without Allow': breaking(collectionWrite, (_q, s) => s.writeHead(405).end()),
  'drops every connection': (_q, s) => {
    s.socket?.destroy();
  },
} satisfies Record<string, Handler>;

type ServerName = keyof typeof SERVERS;

interface Expected {
  readonly status: CheckOutcome['status'];
  readonly message?: RegExp;
  readonly code?: RegExp;
}
const passes: Expected = { status: 'passed' };
const fails: Expected = { status: 'failed' };

/**
 * [check, server, expected outcome, profile (default onezone-17.06)]: each rule shown failing on a server that
 * breaks exactly it, and passing on one that keeps it.
 */
const TABLE: ReadonlyArray<readonly [string, ServerName, Expected, ProfileId?]> = [
  ['auth-none-rejected', 'faithful', passes], // 17.06: 404 with an empty body
  ['auth-none-rejected', 'no credentials: 404 with a body', fails],
  ['auth-none-rejected', 'no credentials: 200 with the list', fails],
  ['auth-none-rejected', 'no credentials: 404 naming an MDAy token', fails], // found by decoding, not by MDAx
  ['auth-none-rejected', 'faithful', fails, 'onezone-19.02'], // 404 is not accepted from 19.02
  ['auth-none-401', 'faithful', { status: 'failed', message: /404/ }], // a SHOULD: a warning
  ['auth-none-401', 'no credentials: 401', passes],
  ['auth-none-401', 'drops every connection', { status: 'errored', code: /^E_/ }], // could not judge, not failed
  ['auth-basic-wrong-password', 'faithful', passes], // 401, Error JSON, no content-type
  ['auth-basic-wrong-password', 'wrong password: 403', fails],
  ['auth-basic-wrong-password', 'wrong password: 401 text/plain', fails],
  ['auth-basic-wrong-password', 'wrong password: 401 of the wrong shape', fails],
  ['auth-basic-valid', 'faithful', passes],
  ['auth-basic-valid', 'list: 203', fails],
  ['auth-basic-valid', 'list: cut short of its content-length', { status: 'failed', message: /truncated/ }],
  ['shape-list-content-type', 'faithful', passes],
  ['shape-list-content-type', 'list: text/plain', fails],
  ['shape-list-no-null', 'faithful', passes],
  ['shape-list-no-null', 'list: a null item', fails],
  ['shape-list-no-duplicates', 'faithful', passes],
  ['shape-list-no-duplicates', 'list: a duplicate item', fails],
  ['shape-list-schema', 'faithful', passes],
  ['shape-list-schema', 'list: not JSON', fails],
  ['http-405-not-allowed', 'faithful', passes],
  ['http-405-not-allowed', 'PUT/PATCH/DELETE: 404', fails],
  ['http-405-allow-header', 'faithful', passes],
  ['http-405-allow-header', 'PUT/PATCH/DELETE: 405 without Allow', fails],
  ['secrets-no-foreign-token', 'faithful', passes],
  ['secrets-no-foreign-token', 'wrong password: 401 naming an MDAy token', fails],
  ['secrets-no-password', 'faithful', passes],
  ['secrets-no-password', 'wrong password: 401 echoing the password', fails],
  ['secrets-no-password', 'wrong password: 401 echoing the password as \\uXXXX escapes', fails],
  ['secrets-no-password', 'wrong password: 401 echoing the password URL-encoded', fails],
  ['secrets-no-password', 'wrong password: 401 echoing the password in base64', fails],
  ['secrets-no-password', 'wrong password: 401 echoing the password in hex', fails],
  ['secrets-no-password', 'wrong password: 401 echoing the password as HTML entities', fails],
  ['secrets-no-password', 'wrong password: 401 echoing the password by its first half', fails],
];

describe('single checks against programmable servers', function () {
  async function judge(id: string, handler: Handler, profileId: ProfileId = 'onezone-17.06'): Promise<CheckOutcome> {
    const { session, close } = await sessionAgainst(handler, { profile: profileId });
    try {
      const check = checkById(id);
      if (!check) throw new Error(`no check ${id}`);
      // Checks that judge the run judge what earlier checks saw: run a request-making check first.
      const before = checkById('auth-basic-wrong-password');
      if (check.judgesTheRun && before) await executeCheck(before, session);
      return await executeCheck(check, session);
    } finally {
      await close();
    }
  }

  for (const [check, server, expected, profile] of TABLE) {
    const what = [expected.status, expected.message && `/${expected.message.source}/`].filter(Boolean).join(' ');
    it(`${check} on "${server}"${profile ? ` (${profile})` : ''}: ${what}`, async () => {
      const o = await judge(check, SERVERS[server], profile);
      expect(o.status, o.message).to.equal(expected.status);
      if (expected.message) expect(o.message).to.match(expected.message);
      if (expected.code) expect(o.code).to.match(expected.code);
    });
  }

  it('redacts the echoed password in the evidence of secrets-no-password', async () => {
    const o = await judge('secrets-no-password', SERVERS['wrong password: 401 echoing the password']);
    expect(o.status).to.equal('failed');
    expect(JSON.stringify(o)).not.to.include(ALICE.password);
  });

  it('redacts the echoed password in every spelling in the evidence of secrets-no-password', async () => {
    for (const name of Object.keys(SERVERS).filter((n) => n.startsWith('wrong password: 401 echoing'))) {
      const o = await judge('secrets-no-password', SERVERS[name as ServerName]);
      expect(findSecretSpellings(JSON.stringify(o), ALICE.password), name).to.deep.equal([]);
    }
  });

  it('shows every check of the table both passing and failing', () => {
    // A rule only ever shown failing (or passing) could be one that cannot do the other.
    for (const c of new Set(TABLE.map(([id]) => id))) {
      const statuses = TABLE.filter(([id]) => id === c).map(([, , e]) => e.status);
      expect(statuses, c).to.include('passed').and.to.include('failed');
    }
  });
});

describe('a target that stops answering mid-run', function () {
  this.timeout(10000);
  let server: Server | undefined;
  after(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('ends the run with exit 2 within about twice the timeout, not one timeout per check', async () => {
    // Answers the preflight (no credentials), then never answers anything with credentials.
    server = createServer((req, res) => {
      if (req.headers.authorization === undefined && req.headers['x-auth-token'] === undefined)
        res.writeHead(404).end();
    });
    await new Promise<void>((r) => {
      server?.listen(0, '127.0.0.1', r);
    });
    const { runConformance } = await import('../run.js');
    compileSchemas('17.06'); // warm: the bound is about the network, not the one-time spec parse
    const timeoutMs = 300;
    const r = await runConformance({
      target: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/onezone`,
      user: ALICE,
      insecure: false,
      allowWrites: false,
      profile: 'onezone-17.06',
      timeoutMs,
      embedded: false,
    });
    expect(r.exitCode).to.equal(2);
    expect(r.durationMs).to.be.below(2 * timeoutMs + 500); // margin: a loaded CI machine
    expect(r.checks.filter((c) => c.status === 'errored').map((c) => c.code)).to.include('E_TIMEOUT');
  });
});
