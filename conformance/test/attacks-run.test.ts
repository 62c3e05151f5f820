import { expect } from 'chai';
import type { RunConfig } from '../config.js';
import { formatHtml } from '../report/formatters/html.js';
import { formatJson } from '../report/formatters/json.js';
import { formatMarkdown } from '../report/formatters/markdown.js';
import type { ReportDocument } from '../report/types.js';
import { runConformance } from '../run.js';
import type { RunningStandin } from '../standin/server.js';
import { standinRunConfig, withStandin } from './support/run.js';

/**
 * The generated checks end to end: a generated failure is shrunk, replayed by its seed, and shown (redacted) in
 * every report format; faithful stand-ins pass a deeper run than the default.
 */

const configFor = (s: RunningStandin, over: Partial<RunConfig> = {}): RunConfig =>
  standinRunConfig(s, { timeoutMs: 3000, ...over });

const check = (r: ReportDocument, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no ${id}`);
  return c;
};

describe('generated attacks, end to end', function () {
  this.timeout(60000);

  it('shows the shrunk request, redacted, in report.json, report.md and report.html, and replays it by its seed', async () => {
    await withStandin({ faults: ['query-token-accepted'] }, async (s) => {
      const r = await runConformance(configFor(s, { seed: 424242 }));
      const c = check(r, 'attack-invalid-credentials-rejected');
      expect(c.status, c.message).to.equal('failed');
      expect(c.message).to.match(/^shrunk to: .*query-(access_)?token/);
      expect(c.message).to.include('--seed 424242');
      expect(r.generated).to.include({ seed: 424242, depth: 'default' });
      const shrunk = c.exchanges.at(-1);
      expect(shrunk?.request.url).to.match(/[?&](access_)?token=\[REDACTED/);
      const token = (await fetch(`${s.url}/user/client_tokens`, {
        headers: {
          authorization: 'Basic ' + Buffer.from(`${s.users[0]?.name}:${s.users[0]?.password}`).toString('base64'),
        },
      }).then((x) => x.json())) as { tokens: string[] };
      for (const [name, text] of [
        ['report.json', formatJson(r)],
        ['report.md', formatMarkdown(r)],
        ['report.html', formatHtml(r)],
      ] as const) {
        expect(text, name).to.include('shrunk to:');
        expect(text, name).to.match(/(access_)?token=\[REDACTED/);
        expect(text, name).to.include('--seed 424242');
        for (const t of token.tokens) expect(text, name).not.to.include(t);
      }
      // The same seed against the same target generates, and shrinks to, the same request.
      const again = await runConformance(configFor(s, { seed: 424242 }));
      const description = (m: string): string => m.split(': answered')[0] ?? m;
      expect(description(check(again, 'attack-invalid-credentials-rejected').message)).to.equal(description(c.message));
    });
  });

  for (const version of ['17.06', '20.02'] as const) {
    it(`finds nothing on the faithful ${version} stand-in at depth 300`, async () => {
      const profile = version === '17.06' ? 'onezone-17.06' : 'onezone-20.02';
      const r = await withStandin({ version, quirks: true }, (s) =>
        runConformance(configFor(s, { profile, depth: 300 })),
      );
      for (const id of [
        'attack-invalid-credentials-rejected',
        'attack-valid-credentials-own-list',
        'attack-credential-precedence',
      ])
        expect(check(r, id).status, `${id}: ${check(r, id).message}`).to.equal('passed');
      expect(r.generated?.cases).to.be.above(300);
    });
  }
});
