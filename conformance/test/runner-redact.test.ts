import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { findSecretSpellings, fingerprint, Redactor, redactHeaders, SecretSpellings } from '../redact.js';
import { scrubSecrets } from '../report/write.js';

const TOKEN =
  'MDAxNWxvY2F00aW9uIG9uZXpvbmUKMDAzYmlkZW500aWZpZXIgOEhmSEFSSGdrbHFCa1pWSTRsNk1CVHZTU3Z0OThwcHA2OTQ4czhRN1NPawo';

describe('runner redaction', () => {
  it('masks registered passwords, Basic values and tokens, keeping no part of them', () => {
    const r = new Redactor();
    r.addCredentials('alice', 's3cret-pass');
    r.addToken('abcdefghij-registered-token');
    const basic = Buffer.from('alice:s3cret-pass').toString('base64');
    const out = r.redact(`pw=s3cret-pass basic=${basic} t=abcdefghij-registered-token`);
    expect(out).not.to.include('s3cret');
    expect(out).not.to.include(basic);
    expect(out).not.to.include('registered-token');
    expect(out).to.include('[REDACTED password]');
  });

  it('masks unregistered Onedata tokens and long base64url runs by pattern', () => {
    const r = new Redactor();
    const out = r.redact(`{"tokens":["${TOKEN}","${'a-b_c'.repeat(10)}"]}`);
    expect(out).not.to.include(TOKEN.slice(0, 24));
    expect(out).not.to.include('a-b_ca-b_c');
    expect(out).to.match(/\[REDACTED token #[0-9a-f]{8}\]/);
  });

  it('masks unregistered tokens of longer domains too (MDAy…), not only the MDAx form', () => {
    // The start of a token of `domain.example.com` (18 characters), as the ctool 20.02.20 fixtures begin:
    // shorter than the long-run backstop, so only the Onedata pattern can catch it.
    const start = 'MDAyMGxvY2F00aW9uIGRvbWFpbi5leGFtcGxl';
    const out = new Redactor().redact(`{"error":"${start}"}`);
    expect(out).not.to.include(start.slice(0, 12));
    expect(out).to.match(/\[REDACTED token #[0-9a-f]{8}\]/);
  });

  it('gives the same token the same fingerprint, and different tokens different ones', () => {
    const r = new Redactor();
    const a = r.redact(TOKEN);
    expect(r.redact(TOKEN)).to.equal(a);
    expect(r.redact(TOKEN + 'x')).not.to.equal(a);
  });

  it('masks credential headers whatever they hold, keeping the Authorization scheme', () => {
    const h = redactHeaders(
      { Authorization: 'Basic YWxpY2U6cA==', 'X-Auth-Token': 'short', Macaroon: 'm', Accept: 'application/json' },
      new Redactor(),
    );
    expect(h).to.deep.equal({
      authorization: 'Basic [REDACTED]',
      'x-auth-token': '[REDACTED]',
      macaroon: '[REDACTED]',
      accept: 'application/json',
    });
  });

  describe('secrets in other spellings', () => {
    const PW = 'pässwörd-Geh31m"x';
    const uAll = (s: string): string =>
      Array.from(s)
        .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .join('');
    const spellings: Array<[string, string, string]> = [
      ['raw', `{"echo":"${PW}"}`, 'raw'],
      ['JSON escapes (\\u00e4, escaped quote)', JSON.stringify({ echo: PW }).replace('ä', '\\u00e4'), 'json-escape'],
      ['all-\\uXXXX', `{"echo":"${uAll(PW)}"}`, 'json-escape'],
      ['JSON inside JSON', JSON.stringify(JSON.stringify({ echo: PW })), 'json-escape'],
      ['URL-encoded', `?p=${encodeURIComponent(PW)}`, 'url-encoded'],
      [
        'HTML entities',
        Array.from(PW)
          .map((c) => `&#${c.codePointAt(0)};`)
          .join(''),
        'html-entity',
      ],
      ['HTML-escaped quote', PW.replace('"', '&quot;'), 'html-entity'],
      ['base64 inside a larger value', Buffer.from(`user:${PW}`).toString('base64'), 'base64'],
      ['base64url', Buffer.from(`x${PW}`).toString('base64url'), 'base64'],
      ['hex', Buffer.from(PW).toString('hex').toUpperCase(), 'hex'],
      ['its first half', `… ${PW.slice(0, 9)} …`, 'partial'],
      ['its last half', `… ${PW.slice(-9)} …`, 'partial'],
    ];
    for (const [name, text, kind] of spellings) {
      it(`finds and masks the password ${name}`, () => {
        expect(findSecretSpellings(text, PW).map((h) => h.kind)).to.deep.equal([kind]);
        const r = new Redactor();
        r.addPassword(PW);
        const out = r.redact(text);
        expect(out).to.include('[REDACTED password]');
        expect(findSecretSpellings(out, PW)).to.deep.equal([]);
      });
    }

    it('does not take a shorter prefix, or text without the secret, for it', () => {
      expect(findSecretSpellings(`… ${PW.slice(0, 8)} …`, PW)).to.deep.equal([]);
      expect(
        findSecretSpellings('{"error":"Provided basic authorization credentials are not valid"}', PW),
      ).to.deep.equal([]);
    });

    it('masks a password of any length where it stands as a whole value, not inside words', () => {
      const r = new Redactor();
      r.addCredentials('bob', 'abc');
      expect(r.redact('{"password":"abc","q":"x=abc&y=1"}')).to.equal(
        '{"password":"[REDACTED password]","q":"x=[REDACTED password]&y=1"}',
      );
      expect(r.redact('{"password":"\\u0061bc"}')).to.equal('{"password":"[REDACTED password]"}');
      expect(r.redact('the abc of a fabcd')).to.equal('the abc of a fabcd');
    });

    it('masks a registered or Onedata token whose characters are escaped', () => {
      const r = new Redactor();
      r.addToken('abcdefghij-registered-token');
      const escaped = (s: string): string =>
        Array.from(s)
          .map((c, i) => (i % 2 ? c : `\\u00${c.charCodeAt(0).toString(16)}`))
          .join('');
      expect(r.redact(`{"t":"${escaped('abcdefghij-registered-token')}"}`)).to.equal(
        `{"t":"${r.redact('abcdefghij-registered-token')}"}`,
      );
      const out = r.redact(`t=${TOKEN.slice(0, 10)}%${TOKEN.charCodeAt(10).toString(16)}${TOKEN.slice(11)}&x=1`);
      expect(out).to.match(/^t=\[REDACTED token #[0-9a-f]{8}\]&x=1$/);
    });
  });

  describe('one search for every secret', () => {
    /** One character of a secret in one of the spellings findSecretSpellings documents. */
    const spellChar = (c: string, how: number): string => {
      const cp = c.codePointAt(0) ?? 0;
      const bytes = [...Buffer.from(c, 'utf8')];
      switch (how) {
        case 1:
          return Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(
            '',
          );
        case 2:
          return bytes.map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
        case 3:
          return `&#${cp};`;
        case 4:
          return `&amp;#x${cp.toString(16)};`;
        case 5:
          return bytes.map((b) => `\\\\x${b.toString(16).padStart(2, '0')}`).join('');
        case 6:
          return /^[!-/:-@[-`{-~]$/.test(c) ? `\\${c}` : c;
        default:
          return c;
      }
    };
    const secretArb = fc.oneof(
      fc.string({ minLength: 8, maxLength: 24 }),
      fc.constantFrom('alice-standin-pw', 'nothing-to-see-1', '4142-hex-start', 'u0041-and-more', 'Ünïcødé-pässwörd'),
    );

    it('finds and masks a secret however its characters are spelled, also after a stray escape', () => {
      // A stray `%4`, `\\u00` or `&#6` just before the secret must not hide it: the search reads the text's escapes
      // one way to choose which secrets to look for exactly, and an escape may swallow the first characters.
      const stray = fc.constantFrom('', ' ', '%4', '%', '\\u00', '\\', '&#6', '&amp;#', '\\x4', 'x');
      fc.assert(
        fc.property(secretArb, stray, fc.array(fc.nat(6)), (secret, before, hows) => {
          const spelled = Array.from(secret)
            .map((c, i) => spellChar(c, hows.length ? (hows[i % hows.length] ?? 0) : 0))
            .join('');
          const text = `{"echo":"${before}${spelled}"}`;
          expect(findSecretSpellings(text, secret), text).not.to.deep.equal([]);
          const r = new Redactor();
          r.addPassword(secret);
          expect(findSecretSpellings(r.redact(text), secret), text).to.deep.equal([]);
        }),
        { seed: 3, numRuns: 150 },
      );
    });

    it('names each secret it finds by its position, whatever the number of secrets', () => {
      const many = Array.from({ length: 300 }, (_, i) =>
        createHash('sha256').update(String(i)).digest('base64url').slice(0, 14),
      );
      const set = new SecretSpellings(many);
      const text = `a ${JSON.stringify(many[17])} b ${encodeURIComponent(many[250] ?? '')} c ${Buffer.from(many[299] ?? '').toString('base64')}`;
      expect([...new Set(set.find(text).map((h) => h.secret))].sort((a, b) => a - b)).to.deep.equal([17, 250, 299]);
      // The base64 characters that also hold bits of what follows the secret stay.
      expect(set.mask(text)).to.match(
        /^a "\[REDACTED secret\]" b \[REDACTED secret\] c \[REDACTED secret\][A-Za-z0-9+/]?=*$/,
      );
    });

    it('finds each of hundreds of secrets sharing their first characters as it finds one alone', () => {
      // The wrong passwords made from one password share a prefix: one bucket of the index holds them all.
      const tail = fc.string({ minLength: 0, maxLength: 6, unit: fc.constantFrom('a', 'b', 'A', '-', ':', '1') });
      fc.assert(
        fc.property(
          fc.uniqueArray(tail, { minLength: 20, maxLength: 60 }),
          fc.array(fc.nat(80), { maxLength: 12 }),
          (tails, picks) => {
            const secrets = tails.map((t) => `alice-standin${t}`);
            const text = picks.map((p) => secrets[p % secrets.length] ?? '').join(p2s(picks));
            const set = new SecretSpellings(secrets);
            const found = set.find(text);
            secrets.forEach((secret, i) => {
              const alone = findSecretSpellings(text, secret).map((h) => [h.index, h.length, h.kind]);
              const together = found.filter((h) => h.secret === i).map((h) => [h.index, h.length, h.kind]);
              expect(together, secret).to.deep.equal(alone);
            });
          },
        ),
        { seed: 5, numRuns: 50 },
      );
      function p2s(picks: readonly number[]): string {
        return picks.length % 2 ? ' ' : '"alice-';
      }
    });

    it('masks registered tokens among 100,000 by lookup, and the passwords beside them', () => {
      const r = new Redactor();
      const tokens = Array.from({ length: 100_000 }, (_, i) => `tok${i.toString(36).padStart(8, '0')}-abcdefghij`);
      for (const t of tokens) r.addToken(t);
      for (let i = 0; i < 200; i++) r.addDerivedPassword(`alice-standin-pw-${i}`);
      const out = r.redact(`{"tokens":["${tokens[0] ?? ''}","${tokens[99_999] ?? ''}"],"echo":"alice-standin-pw-150"}`);
      expect(out).to.match(
        /^\{"tokens":\["\[REDACTED token #[0-9a-f]{8}\]","\[REDACTED token #[0-9a-f]{8}\]"\],"echo":"\[REDACTED password\]"\}$/,
      );
    });
  });

  describe('wrong passwords made from the real one', () => {
    const REAL = 'alice-standin-pw';

    it('are masked in every spelling, and the real password wholly beside them', () => {
      const r = new Redactor();
      r.addCredentials('alice', REAL);
      const derived = [
        'Alice-standin-pw',
        'alice-st',
        '\u0430lice-standin-pw',
        'al:ice-standin-pw',
        'alice-standin-pw!x',
      ];
      for (const d of derived) r.addDerivedPassword(d);
      for (const d of derived) {
        for (const text of [
          `{"echo":"${d}"}`,
          JSON.stringify(JSON.stringify({ echo: d })).replace(
            /[^\x00-\x7f]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
          ),
          `x-echo: ${encodeURIComponent(d)}`,
          `basic ${Buffer.from(`alice:${d}`).toString('base64')}`,
          `${d} and ${REAL} overlapping: ${d.slice(0, 5)}${REAL}`,
        ]) {
          const out = r.redact(text);
          expect(findSecretSpellings(out, d), `${d} in ${text}`).to.deep.equal([]);
          expect(findSecretSpellings(out, REAL), `${REAL} in ${text}`).to.deep.equal([]);
        }
      }
    });

    it('from 4 to 7 characters only where they stand as a whole value; shorter ones not at all', () => {
      const r = new Redactor();
      r.addDerivedPassword('alice-s');
      r.addDerivedPassword('ali');
      expect(r.redact('{"password":"alice-s","user":"alice-smith"}')).to.equal(
        '{"password":"[REDACTED password]","user":"alice-smith"}',
      );
      expect(r.redact('{"password":"ali","note":"alias"}')).to.equal('{"password":"ali","note":"alias"}');
      expect(r.credentials()).to.deep.equal([{ value: 'alice-s', wholeValueOnly: true }]);
    });

    it('are searched by the report scrubber as the redactor masks them: a short one inside a word is no catch', () => {
      // At --depth thorough the scrubber searched 4-7-character ones everywhere and "caught" them inside words.
      const r = new Redactor();
      r.addCredentials('alice', REAL);
      r.addDerivedPassword('Alic');
      const harmless = r.redact('{"user":"Alice","note":"Alice-standin logs in as Alic3"}');
      expect(scrubSecrets('report.html', harmless, r.credentials()).caught).to.deep.equal([]);
      const leaked = scrubSecrets('report.json', '{"password":"Alic"}', r.credentials());
      expect(leaked.caught).to.deep.equal(['report.json contained secret #3 of the secrets list (raw, 1×); masked']);
      expect(leaked.text).to.equal('{"password":"[REDACTED secret]"}');
    });

    it('a short made-up token is masked as a whole value only, below 4 characters not at all', () => {
      // At --depth thorough the garbage token `valu` masked every "value", and `4` was "found" in report.html's counts.
      const r = new Redactor();
      r.addToken('valu');
      r.addToken('4');
      expect(r.redact('{"token":"valu","note":"a Basic value","n":4}')).to.equal(
        `{"token":"[REDACTED token #${fingerprint('valu')}]","note":"a Basic value","n":4}`,
      );
      expect(
        scrubSecrets('report.html', '<span class="n">4</span> a Basic value', r.credentials()).caught,
      ).to.deep.equal([]);
    });

    it('keep the mask of a token used as a wrong password', () => {
      const r = new Redactor();
      r.addToken(TOKEN);
      r.addDerivedPassword(TOKEN);
      expect(r.redact(TOKEN)).to.match(/^\[REDACTED token #[0-9a-f]{8}\]$/);
      expect(r.credentials()).to.deep.equal([]);
    });
  });
});
