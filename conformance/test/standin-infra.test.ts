import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Agent } from 'undici';
import { startStandin, type RunningStandin } from '../standin/server.js';
import { asUser, call, createToken, listOf } from '../standin/testkit.js';

describe('stand-in over HTTPS', () => {
  let s: RunningStandin;
  const agents: Agent[] = [];
  before(async () => {
    s = await startStandin({ https: true });
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await s.close();
  });

  it('serves https:// and hands out the CA to trust', () => {
    expect(s.url).to.match(/^https:\/\/127\.0\.0\.1:\d+\/api\/v3\/onezone$/);
    expect(s.caPem).to.include('BEGIN CERTIFICATE');
  });

  it('a client trusting caPem gets the list', async () => {
    const dispatcher = new Agent({ connect: { ca: s.caPem ?? '' } });
    agents.push(dispatcher);
    const a = await call(s, { headers: asUser(s), dispatcher });
    expect(a.status).to.equal(200);
  });

  it('a client without the CA fails TLS verification', async () => {
    const dispatcher = new Agent();
    agents.push(dispatcher);
    let code: string | undefined;
    try {
      await call(s, { headers: asUser(s), dispatcher });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).to.be.oneOf([
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    ]);
  });
});

describe('stand-in persistence (dataFile)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'standin-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a token minted before a restart still authenticates after it, and the list is kept', async () => {
    const dataFile = join(dir, 'state.json');
    const first = await startStandin({ dataFile });
    let token: string;
    let list: string[];
    try {
      token = await createToken(first);
      list = await listOf(first);
    } finally {
      await first.close();
    }
    const second = await startStandin({ dataFile });
    try {
      expect(await listOf(second)).to.deep.equal(list);
      expect((await call(second, { headers: { 'x-auth-token': token } })).status).to.equal(200);
    } finally {
      await second.close();
    }
  });

  it('a deletion before a restart stays deleted after it', async () => {
    const dataFile = join(dir, 'state-delete.json');
    const first = await startStandin({ dataFile });
    let token: string;
    try {
      token = await createToken(first);
      expect(
        (await call(first, { method: 'DELETE', path: `/user/client_tokens/${token}`, headers: asUser(first) })).status,
      ).to.equal(202);
    } finally {
      await first.close();
    }
    const second = await startStandin({ dataFile });
    try {
      expect(await listOf(second)).not.to.include(token);
      expect((await call(second, { headers: { 'x-auth-token': token } })).status).to.equal(401);
    } finally {
      await second.close();
    }
  });

  it('stores salted scrypt hashes, never the plaintext passwords', async () => {
    const dataFile = join(dir, 'state-hash.json');
    const s = await startStandin({ dataFile });
    await s.close();
    const text = readFileSync(dataFile, 'utf8');
    for (const u of s.users) expect(text).not.to.include(u.password);
    const state = JSON.parse(text) as { users: Array<{ password: { salt: string; hash: string } }> };
    const salts = state.users.map((u) => u.password.salt);
    expect(new Set(salts).size).to.equal(salts.length);
    for (const u of state.users) expect(u.password.hash).to.match(/^[0-9a-f]{64}$/);
  });

  it("in memory by default: a second start does not know the first one's tokens", async () => {
    const a = await startStandin();
    const token = await createToken(a);
    await a.close();
    const b = await startStandin();
    try {
      expect((await call(b, { headers: { 'x-auth-token': token } })).status).to.equal(401);
    } finally {
      await b.close();
    }
  });
});
