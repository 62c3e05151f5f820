import { expect } from 'chai';
import { runConformance } from '../run.js';
import { startPrism, type RunningPrism } from './support/processes.js';

/** The mock profile passes against Prism serving spec/ (what `npm run mock` starts). */

describe('runner against Prism (mock profile)', function () {
  this.timeout(60000);
  let prism: RunningPrism | undefined;
  let base = '';

  before(async () => {
    // The same file and URL form as `npm run mock`: the API prefix, like a real Onezone.
    prism = await startPrism();
    base = prism.base;
  });

  after(() => {
    prism?.close();
  });

  it('passes with exit 0, judging the list shape and skipping what a mock cannot show', async () => {
    const r = await runConformance({
      target: base,
      user: { name: 'alice', password: 'mock-password' },
      insecure: false,
      allowWrites: false,
      profile: 'mock',
      timeoutMs: 5000,
      embedded: false,
    });
    const bad = r.checks
      .filter((c) => c.status === 'failed' || c.status === 'errored')
      .map((c) => `${c.id}: ${c.message}`);
    expect(bad, bad.join('\n')).to.have.length(0);
    expect(r.exitCode).to.equal(0);
    const passed = r.checks.filter((c) => c.status === 'passed').map((c) => c.id);
    expect(passed).to.include.members([
      'auth-none-rejected',
      'auth-basic-valid',
      'shape-list-schema',
      'shape-list-content-type',
      'tokens-well-formed',
    ]);
    for (const c of r.checks.filter((x) => x.category === 'lifecycle')) expect(c.status, c.id).to.equal('skipped');
  });

  it('--profile auto recognises Prism as a mock and says why', async () => {
    const r = await runConformance({
      target: base,
      user: { name: 'alice', password: 'mock-password' },
      insecure: false,
      allowWrites: false,
      profile: 'auto',
      timeoutMs: 5000,
      embedded: false,
    });
    expect(r.target.detection?.profile).to.equal('mock');
    expect(r.target.detection?.reason).to.match(/Prism/);
    expect(r.exitCode).to.equal(0);
  });
});
