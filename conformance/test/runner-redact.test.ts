import { expect } from 'chai';
import { Redactor, redactHeaders } from '../redact.js';

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
});
