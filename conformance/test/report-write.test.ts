import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { RunConfig } from '../config.js';
import { HarnessError } from '../errors.js';
import { fromRoot } from '../paths.js';
import type { ReportDocument } from '../report/types.js';
import { findSecretSpellings, Redactor } from '../redact.js';
import { assertNoSecrets, prepareReportDir, scrubSecrets, writeReports } from '../report/write.js';
import type { RunningStandin } from '../standin/server.js';

const FILES = ['badge.svg', 'junit.xml', 'report.html', 'report.json', 'report.md'];

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

/** The stand-in's own test credentials (conformance/standin/seed.json), as the secrets a run would be given. */
const seedPasswords = (): string[] =>
  (
    JSON.parse(readFileSync(fromRoot('conformance', 'standin', 'seed.json'), 'utf8')) as {
      users: Array<{ password: string }>;
    }
  ).users.map((u) => u.password);

const readAll = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('writeReports', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'report-write-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes all five formats and returns their paths', async () => {
    const paths = await writeReports(join(dir, 'latest'), fixture('report-fail.json'));
    expect(paths.map((p) => p.slice(join(dir, 'latest').length + 1)).sort()).to.deep.equal(FILES);
    expect(JSON.parse(readFileSync(join(dir, 'latest', 'report.json'), 'utf8'))).to.deep.equal(
      fixture('report-fail.json'),
    );
  });

  it('refuses a document that does not match the schema (E_REPORT) and writes nothing', async () => {
    const bad = { ...fixture('report-fail.json'), verdict: 'maybe' } as unknown as ReportDocument;
    const e = await rejection(writeReports(join(dir, 'x'), bad));
    expect(e).to.be.instanceOf(HarnessError).with.property('code', 'E_REPORT');
    expect((e as Error).message).to.match(/\/verdict/);
    expect(existsSync(join(dir, 'x'))).to.equal(false);
  });

  it('never writes through a symlink planted in the report directory', async () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    const out = join(dir, 'out');
    await prepareReportDir(out);
    symlinkSync(victim, join(out, 'report.html'));
    symlinkSync(join(dir, 'nowhere'), join(out, 'badge.svg')); // a dangling one would create its target
    await writeReports(out, fixture('report-fail.json'));
    expect(readFileSync(victim, 'utf8')).to.equal('precious');
    expect(existsSync(join(dir, 'nowhere'))).to.equal(false);
    for (const name of FILES) expect(lstatSync(join(out, name)).isFile(), name).to.equal(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).to.match(/^<!DOCTYPE html>/);
    expect(readdirSync(out).sort()).to.deep.equal(FILES); // no temporary file left behind
  });

  describe('prepareReportDir (called before the first request)', () => {
    it('creates the directory, resolved from the given working directory, and returns its absolute path', async () => {
      expect(await prepareReportDir('a/b', dir)).to.equal(join(dir, 'a', 'b'));
      expect(lstatSync(join(dir, 'a', 'b')).isDirectory()).to.equal(true);
      expect(await prepareReportDir(join(dir, 'a', 'b'))).to.equal(join(dir, 'a', 'b'));
    });

    it('refuses an empty value (E_USAGE) and a path that is not a directory (E_REPORT)', async () => {
      for (const empty of ['', '  ']) {
        const e = await rejection(prepareReportDir(empty, dir));
        expect(e).to.be.instanceOf(HarnessError).with.property('code', 'E_USAGE');
      }
      writeFileSync(join(dir, 'file'), 'x');
      for (const bad of ['file', 'file/sub']) {
        const e = await rejection(prepareReportDir(bad, dir));
        expect(e, bad).to.be.instanceOf(HarnessError).with.property('code', 'E_REPORT');
        expect((e as Error).message).to.include(join(dir, 'file'));
      }
    });
  });

  describe('secret scrubber (defence in depth behind redaction)', () => {
    it('writes the reports with a password that slipped into the document masked; the verdict stands', async () => {
      const [password] = seedPasswords();
      const leaky = fixture('report-fail.json');
      leaky.checks[3]!.message = `server said: wrong password ${password!}`;
      const notes: string[] = [];
      await writeReports(dir, leaky, { secrets: ['unrelated', password!], onScrubbed: (n) => notes.push(n) });
      const files = readAll(dir);
      expect(Object.keys(files).sort()).to.deep.equal(FILES);
      for (const [name, text] of Object.entries(files)) {
        expect(findSecretSpellings(text, password!), name).to.deep.equal([]);
      }
      const written = JSON.parse(files['report.json']!) as ReportDocument;
      expect(written.checks[3]!.message).to.equal('server said: wrong password [REDACTED secret]');
      expect(written).to.include({ verdict: leaky.verdict, exitCode: leaky.exitCode });
      expect(notes).to.deep.equal([]);
    });

    it('never suppresses the reports: a listed "token" with a quote, an echo with an escaped quote', async () => {
      const token = 'tok"en-with-a-quote-0123456789';
      const password = 'pass"word-9';
      const report = fixture('report-fail.json');
      const x = report.checks[0]!.exchanges[0]!;
      x.response!.body = JSON.stringify({ tokens: [token], echo: `wrong password ${password}` });
      report.checks[1]!.message = `got ${JSON.stringify(JSON.stringify(password))}`;
      report.errors.push({ code: 'E_CLEANUP', message: `could not delete ${token.replace('"', '&quot;')}` });
      const notes: string[] = [];
      await writeReports(dir, report, { secrets: [password, token], onScrubbed: (n) => notes.push(n) });
      const files = readAll(dir);
      expect(Object.keys(files).sort()).to.deep.equal(FILES);
      for (const [name, text] of Object.entries(files)) {
        for (const s of [password, token]) expect(findSecretSpellings(text, s), name).to.deep.equal([]);
      }
      expect(JSON.parse(files['report.json']!)).to.include({ verdict: 'non-conformant', exitCode: 1 });
      expect(notes).to.deep.equal([]);
    });

    it("takes the redactor's own search: what it masks, the same way, and no half of a Basic value", async () => {
      const r = new Redactor();
      r.addCredentials('alice', 'alice-standin-pw');
      r.addDerivedPassword('Alic');
      const report = fixture('report-fail.json');
      const basic = Buffer.from('alice:alice-standin-pw').toString('base64');
      // A half of the Basic value (the base64 of "alice:alice-") is no secret: the redactor masks Basic values whole.
      report.checks[0]!.message = `echo ${basic.slice(0, 16)}; Alic3 is a word; "alice-standin-pw" was sent`;
      report.checks[1]!.message = 'server said: "Alic"';
      const notes: string[] = [];
      await writeReports(dir, report, { secrets: r.credentialSpellings(), onScrubbed: (n) => notes.push(n) });
      const written = JSON.parse(readAll(dir)['report.json']!) as ReportDocument;
      expect(written.checks[0]!.message).to.equal(
        `echo ${basic.slice(0, 16)}; Alic3 is a word; "[REDACTED secret]" was sent`,
      );
      expect(written.checks[1]!.message).to.equal('server said: "[REDACTED secret]"');
      expect(notes).to.deep.equal([]);
    });

    it('names what the last guard caught, masks it, and never prints the secret', () => {
      const r = scrubSecrets('report.md', 'a p\\u0061ss"word-9 b', ['x', 'pass"word-9']);
      expect(r.caught).to.deep.equal(['report.md contained secret #2 of the secrets list (json-escape, 1×); masked']);
      expect(r.text).to.equal('a [REDACTED secret] b');
    });

    it('finds a secret in its escaped spellings too (HTML, JSON, URL)', () => {
      const secret = 'p&ss"w<rd x/';
      expect(() => {
        assertNoSecrets('report.html', 'a p&amp;ss&quot;w&lt;rd x/ b', [secret]);
      }).to.throw(HarnessError);
      expect(() => {
        assertNoSecrets('report.json', 'a p&ss\\"w<rd x/ b', [secret]);
      }).to.throw(HarnessError);
      expect(() => {
        assertNoSecrets('report.md', 'a p%26ss%22w%3Crd%20x%2F b', [secret]);
      }).to.throw(HarnessError);
      expect(() => {
        assertNoSecrets('report.md', 'nothing here', [secret, '']);
      }).not.to.throw();
    });
  });

  describe('no password or token in any format after a real run against the stand-in', function () {
    this.timeout(60_000);
    let standin: RunningStandin | undefined;
    afterEach(async () => {
      await standin?.close();
      standin = undefined;
    });

    for (const faults of [[], ['secret-echo']] as const) {
      it(`with the stand-in's credentials${faults.length ? ' and a target that echoes the password' : ''}`, async () => {
        // Loaded here so that the unit tests above run even while the runner is being built.
        const { runConformance } = await import('../run.js');
        const { startStandin } = await import('../standin/server.js');
        const { listOf } = await import('../standin/testkit.js');
        standin = await startStandin({ faults: [...faults] });
        const [user, other] = standin.users;
        const tokensBefore = [...(await listOf(standin, 0)), ...(await listOf(standin, 1))];
        const config: RunConfig = {
          target: standin.url,
          user: { name: user!.name, password: user!.password },
          otherUser: { name: other!.name, password: other!.password },
          ...(standin.caPem !== undefined && { caPem: standin.caPem }),
          insecure: false,
          allowWrites: true,
          profile: 'onezone-17.06',
          timeoutMs: 10_000,
          embedded: true,
        };
        const report = await runConformance(config);
        const tokensAfter = [...(await listOf(standin, 0)), ...(await listOf(standin, 1))];
        const passwords = [user!.password, other!.password];
        expect(passwords.sort()).to.deep.equal(seedPasswords().sort());
        const basicValues = [user!, other!].map((u) => Buffer.from(`${u.name}:${u.password}`).toString('base64'));
        const secrets = [...passwords, ...basicValues, ...tokensBefore, ...tokensAfter];
        expect(tokensBefore.length).to.be.greaterThan(0);

        await writeReports(dir, report, { secrets });
        const files = readAll(dir);
        expect(Object.keys(files).sort()).to.deep.equal(FILES);
        for (const [name, text] of Object.entries(files)) {
          for (const s of secrets) expect(text.includes(s), `${name} contains a secret`).to.equal(false);
        }
        // The redacted evidence is still there: a report that hid everything would pass the loop above.
        expect(files['report.json']).to.include('Basic [REDACTED');
        if (faults.length) expect(report.checks.find((c) => c.id === 'secrets-no-password')?.status).to.equal('failed');
      });
    }
  });
});
