import { expect } from 'chai';
import {
  dateSeconds,
  POST_TOKEN_TTL_SECONDS,
  postMintedAt,
  runSpan,
  type ListSnapshot,
} from '../checks/context/provenance.js';
import { mintToken, serializeToken } from '../token/index.js';

/**
 * What the cleanup may take from a list after a POST of unknown outcome (issue 13 item 8, the lying-list gap):
 * only a token that shows, by the one caveat a POST gives it, that it was minted while the run was creating,
 * dated by Date headers that agree with the run's own clock.
 */

const token = (caveats: string[]): string =>
  serializeToken(mintToken({ location: 'onezone', identifier: 'id-'.padEnd(43, 'x'), secret: 'k', caveats }));

const snapshot = (serverSeconds: number | undefined, sentAtMs: number, receivedAtMs = sentAtMs): ListSnapshot => ({
  tokens: new Set(),
  serverSeconds,
  sentAtMs,
  receivedAtMs,
});

describe('cleanup provenance: whose a listed token is', () => {
  it('dates a token of POST form (one `time <` caveat) by its minting second', () => {
    expect(postMintedAt(token([`time < ${1_700_000_000 + POST_TOKEN_TTL_SECONDS}`]))).to.equal(1_700_000_000);
  });

  it('does not date a token with other or more caveats, or anything that is not a token', () => {
    expect(postMintedAt(token(['interface = rest']))).to.equal(undefined);
    expect(postMintedAt(token(['time < 1800000000', 'interface = rest']))).to.equal(undefined);
    expect(postMintedAt(token([]))).to.equal(undefined);
    expect(postMintedAt('not-a-token')).to.equal(undefined);
  });

  it('spans the run by the server clock, with a second of slack each side', () => {
    expect(runSpan(snapshot(1000, 0), snapshot(1005, 5000, 5200))).to.deep.equal({ from: 999, to: 1006 });
  });

  it('believes no span without both Date headers', () => {
    expect(runSpan(snapshot(undefined, 0), snapshot(1005, 5000))).to.equal(undefined);
    expect(runSpan(snapshot(1000, 0), snapshot(undefined, 5000))).to.equal(undefined);
  });

  it('believes no span longer than the run measured (a backdated Date would take in older tokens)', () => {
    // Five seconds passed locally; the target claims a day.
    expect(runSpan(snapshot(1000 - 86_400, 0), snapshot(1005, 5000))).to.equal(undefined);
    // Nor a clock that runs backwards.
    expect(runSpan(snapshot(1005, 0), snapshot(1000, 5000))).to.equal(undefined);
  });

  it('reads an HTTP Date header, and nothing from a header that is not a date', () => {
    expect(dateSeconds('Thu, 03 Dec 2026 06:43:17 GMT')).to.equal(Date.UTC(2026, 11, 3, 6, 43, 17) / 1000);
    expect(dateSeconds('yesterday')).to.equal(undefined);
    expect(dateSeconds(undefined)).to.equal(undefined);
  });
});
