import type { RequestListener, ServerResponse } from 'node:http';
import { expect } from 'chai';
import { factKey, FactStore } from '../checks/context/facts.js';
import { NotSent } from '../checks/context/wire.js';
import type { Exchange } from '../report/types.js';
import { sessionAgainst } from './support/session.js';

/** The check context's memoised facts (issue 10 item 2): keyed by identity, evidence for every reader, forgotten by the ledger. */

const exchange = (n: number): Exchange => ({
  request: { method: 'GET', url: `http://x/${n}`, headers: {} },
  durationMs: 0,
});

describe('FactStore', () => {
  it('makes a fact once per key object, even for keys of the same name, and gives its evidence to every reader', async () => {
    const store = new FactStore();
    const a = factKey<number>('same-name');
    const b = factKey<number>('same-name');
    let made = 0;
    const make = (ev: Exchange[]): Promise<number> => {
      made++;
      ev.push(exchange(made));
      return Promise.resolve(made);
    };
    const r1: Exchange[] = [];
    const r2: Exchange[] = [];
    expect(await store.get(a, make, r1)).to.equal(1);
    expect(await store.get(a, make, r2)).to.equal(1);
    expect(await store.get(b, make, [])).to.equal(2);
    expect(r1).to.have.length(1);
    expect(r2).to.deep.equal(r1);
  });

  it('gives the evidence also when making the fact failed', async () => {
    const store = new FactStore();
    const k = factKey<number>('failing');
    const reader: Exchange[] = [];
    const failing = (ev: Exchange[]): Promise<number> => {
      ev.push(exchange(1));
      return Promise.reject(new Error('no'));
    };
    await store.get(k, failing, reader).catch(() => undefined);
    expect(reader).to.have.length(1);
  });

  it("forgets only the facts read from the changed user's list", async () => {
    const store = new FactStore();
    const mine = factKey<number>('mine', 'user');
    const theirs = factKey<number>('theirs', 'other');
    let n = 0;
    const make = (): Promise<number> => Promise.resolve(++n);
    await store.get(mine, make, []);
    await store.get(theirs, make, []);
    store.invalidateListOf('user');
    expect(await store.get(mine, make, [])).to.equal(3);
    expect(await store.get(theirs, make, [])).to.equal(2);
  });
});

describe('CheckSession: the ledger keeps the memoised lists true', () => {
  it("reads the user's list again after a check created a token, and the cleanup deletes it", async () => {
    const tokens: string[] = ['MDAxtokenoneaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'];
    let gets = 0;
    const deleted: string[] = [];
    const handler: RequestListener = (req, res) => {
      if (req.method === 'POST') {
        const t = `createdtoken${tokens.length}bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb`;
        tokens.unshift(t);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: t }));
      } else if (req.method === 'DELETE') {
        const t = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
        deleted.push(t);
        tokens.splice(tokens.indexOf(t), 1);
        res.writeHead(202).end();
      } else {
        gets++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens }));
      }
    };
    const { session, close } = await sessionAgainst(handler, { allowWrites: true });
    try {
      const ctx = session.contextFor(['basic', 'writes'], []);
      expect((await ctx.userList()).tokens).to.have.length(1);
      expect((await ctx.userList()).tokens).to.have.length(1);
      expect(gets).to.equal(1);
      const { token } = await ctx.ledger.create('user', { handOn: true });
      expect(ctx.ledger.created()).to.equal(token);
      // The memoised list had one token: seeing the new one means the ledger made the session read it again.
      expect((await ctx.userList()).tokens).to.include(token);
      expect(await session.cleanup()).to.deep.equal([]);
      expect(deleted).to.deep.equal([token]);
    } finally {
      await close();
    }
  });

  it('never takes into the cleanup a token the run did not create, whatever a check marks still present', async () => {
    const deletes: string[] = [];
    const { session, close } = await sessionAgainst(
      (req, res) => {
        if (req.method === 'DELETE') deletes.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"tokens":[]}');
      },
      { allowWrites: true },
    );
    try {
      const foreign = 'MDAxNWxvY2F00aW9uIG9uZXpvbmUKforeignforeignforeignforeignforeign';
      session.contextFor(['basic', 'writes'], []).ledger.markStillPresent(foreign);
      expect(session.ledger.pending.size).to.equal(0);
      expect(await session.cleanup()).to.deep.equal([]);
      expect(deletes).to.deep.equal([]);
    } finally {
      await close();
    }
  });

  it('does not count a POST the wire refused to send (the target had stopped answering) as one that may have created a token', async () => {
    let hang = false;
    const held: ServerResponse[] = [];
    const tokens: string[] = [];
    const { session, close } = await sessionAgainst(
      (req, res) => {
        if (hang) {
          held.push(res);
          return;
        }
        if (req.method === 'POST') {
          const t = `createdtoken${tokens.length}`.padEnd(60, 'c');
          tokens.push(t);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: t }));
        } else if (req.method === 'DELETE') {
          tokens.splice(tokens.indexOf(decodeURIComponent((req.url ?? '').split('/').pop() ?? '')), 1);
          res.writeHead(202).end();
        } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens }));
      },
      { allowWrites: true, timeoutMs: 300 },
    );
    try {
      const ctx = session.contextFor(['basic', 'writes'], []);
      await ctx.ledger.create('user');
      hang = true;
      // Times out: from now on the wire sends nothing but the cleanup.
      await ctx.get({ kind: 'none' }, { as: 'nobody' }).catch(() => undefined);
      hang = false;
      const refused = await ctx.ledger.create('user').catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(NotSent);
      // Nothing to report: the one token created is removed, and the refused POST cannot have made one.
      expect(await session.cleanup()).to.deep.equal([]);
      expect(tokens).to.deep.equal([]);
    } finally {
      for (const r of held) r.destroy();
      await close();
    }
  });
});
