import { expect } from 'chai';
import type { RunConfig } from '../config.js';
import type { ProfileId } from '../profiles.js';
import type { ReportDocument } from '../report/types.js';
import { runConformance } from '../run.js';
import { startStandin, type OnezoneVersion, type RunningStandin } from '../standin/server.js';
import type { AccountKind } from '../standin/types.js';
import { standinRunConfig } from './support/run.js';

/**
 * Version profiles (issue #7): each profile passes against the stand-in of its version, fails (exit 1) against
 * a version whose differences are normative, and `--profile auto` picks the right one.
 */

const VERSIONS: ReadonlyArray<[OnezoneVersion, ProfileId]> = [
  ['17.06', 'onezone-17.06'],
  ['18.02', 'onezone-18.02'],
  ['19.02', 'onezone-19.02'],
  ['20.02', 'onezone-20.02'],
  ['21.02', 'onezone-21.02'],
];

/** Releases of the 21.02 line whose answers differ (500 reference from .1, ACAO from .5, breaker from .6). */
const PATCH_LEVELS: readonly OnezoneVersion[] = ['21.02.0', '21.02.3', '21.02.5', '21.02.6'];

/** Lived-in accounts (expired, revoked and caveated tokens listed first) exist from 20.02. */
const accountsOf = (version: OnezoneVersion): AccountKind[] =>
  version.startsWith('17.') || version.startsWith('18.') || version.startsWith('19.')
    ? ['fresh']
    : ['fresh', 'lived-in'];

/**
 * Normative mismatches: [profile, stand-in version, the checks that must fail]. Not listed, because the
 * difference is only a SHOULD: the 19.02 profile against a 20.02 target (list order by name) is a warning.
 */
const MISMATCHES: ReadonlyArray<[ProfileId, OnezoneVersion, string[]]> = [
  ['onezone-17.06', '18.02', ['lifecycle-delete']], // 204, not 202
  ['onezone-18.02', '17.06', ['auth-token-bearer', 'lifecycle-delete']], // no Bearer; 202
  ['onezone-17.06', '19.02', ['auth-basic-wrong-password']], // Error is an object, not a string
  ['onezone-19.02', '18.02', ['auth-basic-wrong-password', 'shape-error-bodies']], // Error is a string, not an object
  ['onezone-20.02', '19.02', ['shape-error-bodies']], // 19.02's error objects lack the description 20.02 requires
];

const configFor = (s: RunningStandin, profile: RunConfig['profile'], allowWrites = true): RunConfig =>
  standinRunConfig(s, { profile, allowWrites });

async function runAgainst(
  version: OnezoneVersion,
  profile: RunConfig['profile'],
  quirks = false,
  opts: { account?: AccountKind; allowWrites?: boolean } = {},
): Promise<ReportDocument> {
  // The stand-in's default account: lived-in from 20.02, as real long-used accounts are.
  const s = await startStandin({ version, quirks, ...(opts.account && { account: opts.account }) });
  try {
    return await runConformance(configFor(s, profile, opts.allowWrites));
  } finally {
    await s.close();
  }
}

const notPassed = (r: ReportDocument): string =>
  r.checks
    .filter((c) => c.status === 'failed' || c.status === 'errored')
    .map((c) => `${c.id}: ${c.status} ${c.message}`)
    .join('\n') + JSON.stringify(r.errors);

describe('runner version profiles', function () {
  this.timeout(20000);

  for (const [version, profile] of VERSIONS) {
    it(`${profile} passes against the ${version} stand-in (exit 0)`, async () => {
      const r = await runAgainst(version, profile);
      expect(r.exitCode, notPassed(r)).to.equal(0);
    });

    it(`${profile} reports the ${version} stand-in's quirks as warnings only (exit 0)`, async () => {
      const r = await runAgainst(version, profile, true);
      expect(r.exitCode, notPassed(r)).to.equal(0);
    });

    it(`--profile auto detects ${profile} on the ${version} stand-in and says why`, async () => {
      const r = await runAgainst(version, 'auto');
      expect(r.target.detection?.profile, r.target.detection?.reason).to.equal(profile);
      expect(r.target.profile).to.equal(profile);
      expect(r.target.detection?.reason).to.be.a('string').and.not.equal('');
      expect(r.exitCode, notPassed(r)).to.equal(0);
    });
  }

  // Issue 12: right on the deployments that exist, whatever the account has lived through and with or without
  // writes. The faithful stand-in of every version, fresh and lived-in, never gets a non-conformant verdict.
  for (const [version, profile] of [...VERSIONS, ...PATCH_LEVELS.map((v) => [v, 'onezone-21.02'] as const)])
    for (const account of accountsOf(version))
      for (const allowWrites of [true, false])
        it(`${profile} passes against the ${account} ${version} stand-in ${allowWrites ? 'with' : 'without'} writes`, async () => {
          const r = await runAgainst(version, profile, false, { account, allowWrites });
          expect(r.exitCode, notPassed(r)).to.equal(0);
          const same = r.checks.find((c) => c.id === 'auth-token-same-user');
          expect(same?.status, `${same?.message ?? ''}\n${notPassed(r)}`).to.equal('passed');
        });

  it('names the token it authenticated with by fingerprint and says why, on a lived-in account', async () => {
    const r = await runAgainst('21.02', 'onezone-21.02', false, { account: 'lived-in', allowWrites: false });
    const x = r.checks.find((c) => c.id === 'auth-token-x-auth-token');
    expect(x?.status).to.equal('passed');
    // The first listed tokens are expired, revoked and restricted to oneclient: passed over, with the reason.
    expect(x?.message).to.match(/authenticated with token #[0-9a-f]{8}, listed #\d+ of \d+ \(passed over: .*2 expired/);
    expect(x?.message).to.match(/interface = oneclient/);
    const same = r.checks.find((c) => c.id === 'auth-token-same-user');
    expect(same?.message).to.match(/without a visible cause \(revoked\?\)/);
  });

  it('--profile auto reads the patch level: a 21.02.3 server is not expected to send what came in 21.02.5', async () => {
    const r = await runAgainst('21.02.3', 'auto');
    expect(r.target.detection?.profile).to.equal('onezone-21.02');
    expect(r.target.detection?.reason).to.match(/21\.02\.3/);
    expect(r.exitCode, notPassed(r)).to.equal(0);
  });

  it('onezone-19.02 accepts the 20.02 stand-in: their differences for this operation are not normative', async () => {
    const r = await runAgainst('20.02', 'onezone-19.02');
    expect(r.exitCode, notPassed(r)).to.equal(0);
  });

  for (const [profile, version, failing] of MISMATCHES) {
    it(`${profile} fails (exit 1) against the ${version} stand-in: ${failing.join(', ')}`, async () => {
      const r = await runAgainst(version, profile);
      expect(r.exitCode, notPassed(r)).to.equal(1);
      for (const id of failing)
        expect(r.checks.find((c) => c.id === id)?.status, `${id}\n${notPassed(r)}`).to.equal('failed');
    });
  }
});
