import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { fromRoot } from '../paths.js';
import { gate, parseExpiry, type AllowlistEntry } from '../report/gate.js';
import { gateCli } from '../report/gate-cli.js';
import { grade } from '../report/grade.js';
import { commandArgs } from './support/command.js';
import type { CheckResult, ReportDocument } from '../report/types.js';

const fixture = (name: string): ReportDocument =>
  JSON.parse(readFileSync(fromRoot('conformance', 'test', 'fixtures', name), 'utf8')) as ReportDocument;

const NOW = new Date('2026-11-28T10:00:00Z');
const allow = (id: string, expires: string, extra: Partial<AllowlistEntry> = {}): AllowlistEntry => ({
  id,
  reason: 'upstream oz-worker 17.06.2 defect, reported',
  expires,
  ...extra,
});

/** Sets a check's status and keeps summary and verdict consistent, as the runner would. */
function withStatus(
  report: ReportDocument,
  id: string,
  status: CheckResult['status'],
  message = `${id} broke`,
): ReportDocument {
  const r = structuredClone(report);
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  Object.assign(c, { status, message });
  return { ...r, ...grade(r.checks, r.errors) };
}

describe('release gate', () => {
  const pass = fixture('report-pass.json');
  const fail = fixture('report-fail.json');

  it('passes a conformant report', () => {
    const g = gate(pass, { now: NOW });
    expect(g).to.include({ ok: true, exitCode: 0 });
    expect(g.newFailures).to.deep.equal([]);
    expect(g.lines.at(-1)).to.match(/^gate: PASS · verdict conformant · onezone-17\.06/);
  });

  it('blocks a non-conformant report and names the failed MUST check; warnings do not block', () => {
    const g = gate(fail, { now: NOW });
    expect(g).to.include({ ok: false, exitCode: 1 });
    expect(g.newFailures).to.deep.equal(['auth-basic-wrong-password']);
    expect(g.lines).to.include.members([
      'FAILED     auth-basic-wrong-password [MUST] expected status 401 for Basic credentials with a wrong password, got 200: GET https://onezone.example.org/api/v3/onezone/user/client_tokens → 200, body \'{"tokens":["[REDACTED token #1e512c57]","[REDACTED token #2702f5c6]"]}\'',
    ]);
    expect(g.lines.filter((l) => l.startsWith('warning '))).to.have.length(2);
    // The same report without its MUST failure passes despite the two warnings.
    const onlyWarnings = gate(withStatus(fail, 'auth-basic-wrong-password', 'passed', ''), { now: NOW });
    expect(onlyWarnings).to.include({ ok: true, exitCode: 0 });
  });

  it('blocks a regression at any level: passed in the baseline, fails now', () => {
    const now = withStatus(pass, 'http-trailing-slash', 'failed', 'trailing slash answered 404');
    expect(now.verdict).to.equal('conformant');
    const g = gate(now, { baseline: pass, now: NOW });
    expect(g).to.include({ ok: false, exitCode: 1 });
    expect(g.regressions).to.deep.equal([
      {
        id: 'http-trailing-slash',
        level: 'SHOULD',
        was: 'passed',
        now: 'failed',
        message: 'trailing slash answered 404',
      },
    ]);
    expect(g.lines).to.include(
      'REGRESSION http-trailing-slash [SHOULD] passed in the baseline, failed now: trailing slash answered 404',
    );
    // Without the baseline the same report passes: the regression is what blocks.
    expect(gate(now, { now: NOW }).ok).to.equal(true);
  });

  it('reports fixes and checks that vanished from the baseline without blocking', () => {
    const baseline = withStatus(pass, 'http-trailing-slash', 'failed');
    baseline.checks.push({ ...structuredClone(baseline.checks[0]!), id: 'retired-check' });
    const g = gate(pass, { baseline, now: NOW });
    expect(g.ok).to.equal(true);
    expect(g.lines).to.include('fixed      http-trailing-slash failed in the baseline, passes now');
    expect(g.lines).to.include('note       retired-check is in the baseline but not in this report');
  });

  it('lets an allowlisted failing check through until the entry expires', () => {
    const g = gate(fail, { allowlist: [allow('auth-basic-wrong-password', '2027-01-31')], now: NOW });
    expect(g).to.include({ ok: true, exitCode: 0 });
    expect(g.allowed).to.deep.equal(['auth-basic-wrong-password']);
    expect(g.lines[0]).to.equal(
      'allowed    auth-basic-wrong-password [MUST] until 2027-01-31: upstream oz-worker 17.06.2 defect, reported',
    );
  });

  it('blocks on an expired allowlist entry and says so', () => {
    const entry = allow('auth-basic-wrong-password', '2026-11-28');
    const g = gate(fail, { allowlist: [entry], now: NOW });
    expect(g).to.include({ ok: false, exitCode: 1 });
    expect(g.expiredAllowlist).to.deep.equal([entry]);
    expect(g.newFailures).to.deep.equal(['auth-basic-wrong-password']);
    expect(g.lines.join('\n')).to.include('EXPIRED    allowlist entry auth-basic-wrong-password expired 2026-11-28');
    // One day earlier the same entry still allows.
    expect(gate(fail, { allowlist: [entry], now: new Date('2026-11-27T23:59:59Z') }).ok).to.equal(true);
  });

  it('blocks on a stale allowlist entry (the check passes now, or does not exist)', () => {
    const g = gate(pass, {
      allowlist: [allow('auth-basic-valid', '2027-01-31'), allow('auth-basic-typo', '2027-01-31')],
      now: NOW,
    });
    expect(g).to.include({ ok: false, exitCode: 1 });
    expect(g.staleAllowlist.map((e) => e.id)).to.deep.equal(['auth-basic-valid', 'auth-basic-typo']);
    expect(g.lines).to.include('STALE      allowlist entry auth-basic-valid: the check passes now; remove the entry');
    expect(g.lines).to.include(
      'STALE      allowlist entry auth-basic-typo: no such check in this report; remove the entry',
    );
  });

  it('applies a profile-bound entry only to reports of that profile', () => {
    const other = allow('auth-basic-wrong-password', '2027-01-31', { profile: 'onezone-20.02' });
    expect(gate(fail, { allowlist: [other], now: NOW })).to.include({ ok: false, exitCode: 1 });
    const same = allow('auth-basic-wrong-password', '2027-01-31', { profile: 'onezone-17.06' });
    expect(gate(fail, { allowlist: [same], now: NOW })).to.include({ ok: true, exitCode: 0 });
  });

  it('exits 2 when the report could not judge (an errored check)', () => {
    const errored = withStatus(pass, 'lifecycle-delete', 'errored', 'no answer within 10000 ms');
    const g = gate(errored, { now: NOW });
    expect(g).to.include({ ok: false, exitCode: 2 });
    expect(g.lines.some((l) => l.startsWith('ERROR      lifecycle-delete'))).to.equal(true);
  });

  it('refuses an impossible allowlist date instead of rolling it over (2099-02-30 is not 2 March)', () => {
    expect(parseExpiry('2099-02-30')).to.equal(undefined);
    expect(parseExpiry('2027-02-29')).to.equal(undefined);
    expect(parseExpiry('2027-13-01')).to.equal(undefined);
    expect(parseExpiry('2028-02-29')).to.equal(Date.UTC(2028, 1, 29));
    expect(parseExpiry('2099-02-28T12:00:00Z')).to.equal(Date.UTC(2099, 1, 28, 12));
    // Given to gate() directly, such an entry allows nothing.
    const g = gate(fail, { allowlist: [allow('auth-basic-wrong-password', '2099-02-30')], now: NOW });
    expect(g).to.include({ ok: false, exitCode: 1 });
  });

  it('cannot judge a report in which no MUST check was judged', () => {
    const r = structuredClone(pass);
    for (const c of r.checks) if (c.level === 'MUST') Object.assign(c, { status: 'skipped', message: 'needs --user' });
    const g = gate({ ...r, ...grade(r.checks, r.errors) }, { now: NOW });
    expect(g).to.include({ ok: false, exitCode: 2 });
    expect(g.lines).to.include(
      'UNJUDGED   no MUST check was judged: this report says nothing about the target’s conformance',
    );
  });

  it('blocks when the judged coverage dropped against the baseline (a check judged there is skipped now)', () => {
    const now = withStatus(pass, 'auth-basic-valid', 'skipped', 'needs --user NAME:PASSWORD');
    const g = gate(now, { baseline: pass, now: NOW });
    expect(g).to.include({ ok: false, exitCode: 1 });
    expect(g.coverageLost).to.deep.equal(['auth-basic-valid']);
    expect(g.lines).to.include(
      'COVERAGE   auth-basic-valid [MUST] passed in the baseline, skipped now: needs --user NAME:PASSWORD',
    );
    // A failing check that goes unjudged must not become a silent pass either.
    const failing = withStatus(fail, 'auth-basic-wrong-password', 'skipped', 'needs --user');
    expect(gate(failing, { baseline: fail, now: NOW }).coverageLost).to.deep.equal(['auth-basic-wrong-password']);
    // Without a baseline there is nothing to compare with.
    expect(gate(now, { now: NOW }).ok).to.equal(true);
  });

  it('blocks a report made against the embedded stand-in when the baseline came from a real target', () => {
    const real = structuredClone(pass);
    real.target = { ...real.target, url: 'https://zone.example.org/api/v3/onezone', embedded: false };
    const g = gate(pass, { baseline: real, now: NOW });
    expect(g).to.include({ ok: false, exitCode: 1 });
    expect(g.lines[0]).to.equal(
      'TARGET     this report was made against the embedded stand-in, the baseline against https://zone.example.org/api/v3/onezone: is ONEZONE_TARGET empty?',
    );
    expect(gate(real, { baseline: real, now: NOW }).ok).to.equal(true);
  });

  it('says in its output that the run did not verify TLS (--insecure), without blocking on it', () => {
    const r = structuredClone(pass);
    r.target = { ...r.target, url: 'https://zone.example.org/api/v3/onezone', tls: { verify: false } };
    const g = gate(r, { now: NOW });
    expect(g).to.include({ ok: true, exitCode: 0 });
    expect(g.lines).to.include(
      'INSECURE   the run did not verify the target’s TLS certificate (--insecure): anyone on the path could have answered',
    );
    expect(gate(pass, { now: NOW }).lines.join('\n')).not.to.include('INSECURE');
  });

  describe('npm run gate (gate-cli)', () => {
    let dir: string;
    const write = (name: string, value: unknown): string => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(value));
      return path;
    };
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'report-gate-'))));
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    function cli(argv: string[]): { code: number; out: string; err: string } {
      const out = new PassThrough();
      const err = new PassThrough();
      const code = gateCli(argv, { out, err, cwd: dir, now: NOW });
      return { code, out: String(out.read() ?? ''), err: String(err.read() ?? '') };
    }

    it('exits 0 for a conformant report, 1 for a regression against a baseline and prints the difference', () => {
      write('base.json', pass);
      write('ok.json', pass);
      write('regressed.json', withStatus(pass, 'auth-none-401', 'failed', 'got 404'));
      expect(cli(['--report', 'ok.json', '--baseline', 'base.json', '--no-allowlist']).code).to.equal(0);
      const r = cli(['--report', 'regressed.json', '--baseline', 'base.json', '--no-allowlist']);
      expect(r.code).to.equal(1);
      expect(r.out).to.include('REGRESSION auth-none-401 [SHOULD] passed in the baseline, failed now: got 404');
    });

    it('reads an allowlist file and blocks on its expired entry', () => {
      write('fail.json', fail);
      write('allow.json', { entries: [allow('auth-basic-wrong-password', '2026-01-01')] });
      const r = cli(['--report', 'fail.json', '--allowlist', 'allow.json']);
      expect(r.code).to.equal(1);
      expect(r.out).to.include('allowlist: ' + join(dir, 'allow.json') + ' (1 entry)');
      expect(r.out).to.include('EXPIRED    allowlist entry auth-basic-wrong-password expired 2026-01-01');
    });

    it('exits 2 on bad input: no --report, an invalid report, an allowlist entry without a reason', () => {
      expect(cli([]).code).to.equal(2);
      write('bad.json', { ...pass, verdict: 'fine' });
      const bad = cli(['--report', 'bad.json', '--no-allowlist']);
      expect(bad.code).to.equal(2);
      expect(bad.err).to.match(/^error E_REPORT: report .*bad\.json does not match report\.schema\.json: \/verdict/);
      write('ok.json', pass);
      write('allow.json', { entries: [{ id: 'x', expires: '2027-01-01' }] });
      const noReason = cli(['--report', 'ok.json', '--allowlist', 'allow.json']);
      expect(noReason.code).to.equal(2);
      expect(noReason.err).to.include("must have required property 'reason'");
      write('feb30.json', { entries: [allow('auth-basic-wrong-password', '2099-02-30')] });
      const feb30 = cli(['--report', 'ok.json', '--allowlist', 'feb30.json']);
      expect(feb30.code).to.equal(2);
      expect(feb30.err).to.include('expires is not a real date (YYYY-MM-DD) for auth-basic-wrong-password');
    });

    it('runs as a program and sets the exit code', () => {
      const report = write('fail.json', fail);
      const r = spawnSync(process.execPath, commandArgs('gate', '--report', report, '--no-allowlist'), {
        encoding: 'utf8',
        env: { ...process.env, INIT_CWD: dir },
      });
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stdout).to.match(/gate: BLOCKED · verdict non-conformant/);
    });
  });
});
