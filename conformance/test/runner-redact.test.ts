import { expect } from 'chai';
import { findSecretSpellings, Redactor, redactHeaders } from '../redact.js';

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
});
