import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import MacaroonsBuilder from 'macaroons.js/lib/MacaroonsBuilder.js';
import MacaroonsVerifier from 'macaroons.js/lib/MacaroonsVerifier.js';
import { fromRoot } from '../paths.js';
import {
  addFirstPartyCaveat,
  checkWellFormed,
  escape62,
  mintToken,
  parseToken,
  serializeToken,
  TokenFormatError,
  unescape62,
  verifyToken,
} from '../token/index.js';

/** The upstream swagger excerpt, copied into the fixtures; the token is inside the POST description. */
function upstreamSwagger(): string {
  return readFileSync(
    fromRoot('conformance', 'test', 'fixtures', 'upstream', 'upstream-swagger-17.06.0-rc8-excerpt.json'),
    'utf8',
  );
}

function postDocToken(): string {
  const doc = JSON.parse(upstreamSwagger()) as { paths: Record<string, Record<string, { description?: string }>> };
  const description = doc.paths['/user/client_tokens']?.['post']?.description ?? '';
  const match = /"token": "([A-Za-z0-9]+)"/.exec(description);
  if (match?.[1] === undefined) throw new Error('no token in the upstream POST description');
  return match[1];
}

function listDocExample(): string {
  const doc = JSON.parse(upstreamSwagger()) as { definitions: { ClientTokens: { example: { tokens: string[] } } } };
  const first = doc.definitions.ClientTokens.example.tokens[0];
  if (first === undefined) throw new Error('no ClientTokens example');
  return first;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof TokenFormatError) return e.code;
    throw e;
  }
  return 'no error';
}

/** Independent libmacaroons chain straight on node:crypto, so the codec is not checked against itself. */
function referenceSignature(secret: string, identifier: string, caveats: string[]): Buffer {
  const generator = Buffer.concat([Buffer.from('macaroons-key-generator'), Buffer.alloc(32 - 23)]);
  const key = createHmac('sha256', generator).update(secret).digest();
  let sig = createHmac('sha256', key).update(identifier).digest();
  for (const c of caveats) sig = createHmac('sha256', sig).update(c).digest();
  return sig;
}

describe('token codec: base62 escaping', () => {
  it('escapes each of 0 _ - / + = and leaves other characters', () => {
    expect(escape62('a0_-/+=Z')).to.equal('a0001020304' + '05Z');
  });
  it('unescapes to the original for every escape', () => {
    const s = '0_-/+=abcXYZ9';
    expect(unescape62(escape62(s))).to.equal(s);
  });
  it('rejects an invalid escape and a trailing 0 with T_ESCAPE', () => {
    expect(codeOf(() => unescape62('ab09'))).to.equal('T_ESCAPE');
    expect(codeOf(() => unescape62('ab0'))).to.equal('T_ESCAPE');
  });
});

describe('token codec: the upstream POST doc example token', () => {
  // Read in a hook, not at load time: a missing fixture must fail these tests, not the whole mocha run.
  let token = '';
  before(() => {
    token = postDocToken();
  });

  it('decodes to location onezone, a 43-char identifier, one time caveat and a 32-byte signature', () => {
    const m = parseToken(token);
    expect(m.location).to.equal('onezone');
    expect(m.identifier).to.have.length(43);
    expect(m.identifier).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(m.caveats).to.have.length(1);
    expect(m.caveats[0]?.cid).to.match(/^time < \d+$/);
    expect(m.caveats[0]?.cid).to.equal('time < 1522358333');
    expect(m.signature).to.have.length(32);
  });

  it('re-serializes to the identical string', () => {
    expect(serializeToken(parseToken(token))).to.equal(token);
  });

  it('is well formed', () => {
    expect(checkWellFormed(token).ok).to.equal(true);
  });
});

describe('token codec: the upstream ClientTokens doc example (JKAx…)', () => {
  let token = '';
  before(() => {
    token = listDocExample();
  });

  it('is not well formed, and the reason names the charset and the broken packet header', () => {
    expect(token.startsWith('JKAx')).to.equal(true);
    const verdict = checkWellFormed(token);
    expect(verdict.ok).to.equal(false);
    if (verdict.ok) return;
    expect(verdict.reason).to.include('"-"').and.include('"_"');
    expect(verdict.reason).to.match(/header is not 4 hex digits \(bytes 24 a0 31/);
  });

  it('parseToken rejects it with T_CHARSET', () => {
    expect(codeOf(() => parseToken(token))).to.equal('T_CHARSET');
  });
});

/** A V1 packet written by hand (not by the codec): 4 hex digits of total length, key, space, value, newline. */
function packet(key: string, value: Buffer | string): Buffer {
  const body = Buffer.concat([Buffer.from(key + ' '), Buffer.from(value), Buffer.from('\n')]);
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}

const wire = (bytes: Buffer): string => escape62(bytes.toString('base64url'));

describe('token codec: malformed inputs get stable codes', () => {
  const good = serializeToken(mintToken({ location: 'onezone', identifier: 'id', secret: 's', caveats: ['time < 1'] }));
  const cases: [string, string, string][] = [
    ['empty', '', 'T_CHARSET'],
    ['a space', 'abc def', 'T_CHARSET'],
    ['an invalid escape', 'MDA09', 'T_ESCAPE'],
    ['a length no base64 has', 'MDAxN', 'T_BASE64'],
    ['a non-canonical last character', 'MDAxNX', 'T_BASE64'],
    ['bytes that are no packet', escape62(Buffer.from('hello world').toString('base64url')), 'T_PACKET'],
    [
      'a token cut short inside a packet',
      escape62(Buffer.from(unescape62(good), 'base64url').subarray(0, 45).toString('base64url')),
      'T_PACKET',
    ],
  ];
  for (const [name, input, code] of cases) {
    it(`${name} → ${code}`, () => expect(codeOf(() => parseToken(input))).to.equal(code));
  }

  it('a missing signature packet → T_FIELD', () => {
    const bytes = Buffer.concat([packet('location', 'onezone'), packet('identifier', 'x')]);
    expect(codeOf(() => parseToken(wire(bytes)))).to.equal('T_FIELD');
  });

  it('a 31-byte signature → T_SIGNATURE_LENGTH', () => {
    const bytes = Buffer.concat([
      packet('location', 'onezone'),
      packet('identifier', 'x'),
      packet('signature', randomBytes(31)),
    ]);
    expect(codeOf(() => parseToken(wire(bytes)))).to.equal('T_SIGNATURE_LENGTH');
  });

  it('an unknown packet key → T_FIELD', () => {
    const bytes = Buffer.concat([
      packet('location', 'onezone'),
      packet('identifier', 'x'),
      packet('bogus', 'y'),
      packet('signature', randomBytes(32)),
    ]);
    expect(codeOf(() => parseToken(wire(bytes)))).to.equal('T_FIELD');
  });

  it('a hand-written valid packet sequence parses (the codec reads what it did not write)', () => {
    const sig = randomBytes(32);
    const bytes = Buffer.concat([
      packet('location', 'onezone'),
      packet('identifier', 'x'),
      packet('cid', 'time < 5'),
      packet('signature', sig),
    ]);
    const m = parseToken(wire(bytes));
    expect(m).to.deep.include({ location: 'onezone', identifier: 'x' });
    expect(m.caveats).to.deep.equal([{ cid: 'time < 5' }]);
    expect(Buffer.from(m.signature).equals(sig)).to.equal(true);
  });
});

describe('token codec: minting, attenuation and verification', () => {
  const secret = randomBytes(32).toString('hex');
  const identifier = randomBytes(32).toString('base64url');
  const caveat = `time < ${Math.floor(Date.now() / 1000) + 31536000}`;

  it('mints the libmacaroons HMAC chain (checked against node:crypto directly)', () => {
    const m = mintToken({ location: 'onezone', identifier, secret, caveats: [caveat] });
    expect(Buffer.from(m.signature).equals(referenceSignature(secret, identifier, [caveat]))).to.equal(true);
  });

  it('round-trips a minted token through the wire form, which is base62 only', () => {
    const m = mintToken({ location: 'onezone', identifier, secret, caveats: [caveat] });
    const wire = serializeToken(m);
    expect(wire).to.match(/^MDAxNWxvY2F00aW9uIG9uZXpvbmUK[A-Za-z0-9]+$/);
    const back = parseToken(wire);
    expect(back.identifier).to.equal(identifier);
    expect(back.caveats).to.deep.equal([{ cid: caveat }]);
    expect(Buffer.from(back.signature).equals(Buffer.from(m.signature))).to.equal(true);
  });

  it('attenuates without the secret exactly as the chain with the secret would', () => {
    const m = addFirstPartyCaveat(
      mintToken({ location: 'onezone', identifier, secret, caveats: [caveat] }),
      'providerId = p1',
    );
    expect(
      Buffer.from(m.signature).equals(referenceSignature(secret, identifier, [caveat, 'providerId = p1'])),
    ).to.equal(true);
  });

  it('verifies with the right secret and satisfied caveats only', () => {
    const m = mintToken({ location: 'onezone', identifier, secret, caveats: [caveat] });
    expect(verifyToken(m, secret, () => true)).to.equal(true);
    expect(verifyToken(m, secret + '0', () => true)).to.equal(false);
    expect(verifyToken(m, secret, () => false)).to.equal(false);
    const tampered = { ...m, signature: Uint8Array.from(m.signature, (b, i) => (i === 0 ? b ^ 1 : b)) };
    expect(verifyToken(tampered, secret, () => true)).to.equal(false);
    const dropped = { ...m, caveats: [] };
    expect(verifyToken(dropped, secret, () => true)).to.equal(false);
  });
});

/**
 * ctool's compatibility fixtures (b0f0aa86 test/tokens_compatibility_tests.erl: "generated in version 20.02.20",
 * unchanged in 21.02.7), copied into fixtures/onezone-2102/ctool-tokens.json with their published secrets.
 */
interface CtoolToken {
  test: string;
  secret: string;
  location: string;
  identifier: string;
  caveatCount: number;
  token: string;
}

const CTOOL = (
  JSON.parse(
    readFileSync(fromRoot('conformance', 'test', 'fixtures', 'onezone-2102', 'ctool-tokens.json'), 'utf8'),
  ) as { tokens: CtoolToken[] }
).tokens;

/** The serialized caveats of ctool's ?ACCESS_TOKEN_CAVEATS (first eleven; the data.* ones follow). */
const CTOOL_ACCESS_CAVEATS = [
  'time < 8374891234',
  'ip = 172.98.11.23/32',
  'asn = 322',
  'geo.country = PL|FR',
  'geo.region = Asia|EU',
  'authorization = none',
  'service = ozw-onezone',
  'consumer = usr-user-id|grp-group-id',
  'interface = graphsync',
  'api = all/all/*.*.*:*',
  'data.readonly',
];

describe('token codec: ctool 20.02/21.02 compatibility fixtures', () => {
  for (const f of CTOOL) {
    it(`${f.test}: decodes, verifies with its secret, and re-serializes byte for byte`, () => {
      expect(f.token.startsWith('MDAy'), 'an 18-character domain gives MDAy').to.equal(true);
      const m = parseToken(f.token);
      expect(m.location).to.equal(f.location);
      expect(m.identifier).to.equal(f.identifier);
      expect(m.caveats).to.have.length(f.caveatCount);
      expect(verifyToken(m, f.secret, () => true)).to.equal(true);
      expect(verifyToken(m, f.secret + 'x', () => true)).to.equal(false);
      expect(serializeToken(m)).to.equal(f.token);
    });
  }

  it('access_token_test carries the caveats in ctool order', () => {
    const access = CTOOL.find((t) => t.test === 'access_token_test');
    expect(
      parseToken(access?.token ?? '')
        .caveats.map((c) => c.cid)
        .slice(0, 11),
    ).to.deep.equal(CTOOL_ACCESS_CAVEATS);
  });
});

/**
 * macaroons.js 0.3.9 as an independent oracle: it reads and writes libmacaroons V1 (base64url) and
 * computes the same HMAC chain. It is more lenient than the server, so it judges the codec's bytes and
 * signatures, never which tokens the server would refuse.
 */
describe('token codec against macaroons.js (independent V1 implementation)', () => {
  for (const f of CTOOL) {
    it(`${f.test}: macaroons.js reads the same fields and re-serializes the same bytes`, () => {
      const plain = unescape62(f.token);
      const theirs = MacaroonsBuilder.deserialize(plain);
      const ours = parseToken(f.token);
      expect(theirs.location).to.equal(ours.location);
      expect(theirs.identifier).to.equal(ours.identifier);
      expect(theirs.caveatPackets.map((c) => c.getValueAsText())).to.deep.equal(ours.caveats.map((c) => c.cid));
      expect(theirs.signature).to.equal(Buffer.from(ours.signature).toString('hex'));
      expect(theirs.serialize().replace(/=+$/, '')).to.equal(plain);
      const verifier = new MacaroonsVerifier(theirs).satisfyGeneral(() => true);
      expect(verifier.isValid(f.secret)).to.equal(true);
      expect(new MacaroonsVerifier(theirs).satisfyGeneral(() => true).isValid('wrong')).to.equal(false);
    });
  }

  it('a token minted and attenuated here is the one macaroons.js builds from the same inputs', () => {
    for (let i = 0; i < 20; i++) {
      const secret = randomBytes(32).toString('hex');
      const identifier = `2/nmd/usr-${randomBytes(16).toString('hex')}/act/${randomBytes(16).toString('hex')}ch${randomBytes(2).toString('hex')}`;
      const caveats = [`time < ${1_700_000_000 + i}`, 'interface = rest', 'service = ozw-onezone'].slice(
        0,
        (i % 3) + 1,
      );
      const location = i % 2 === 0 ? 'onezone.example.org' : 'zone.example';
      const [first, ...rest] = caveats;
      let m = mintToken({ location, identifier, secret, caveats: first === undefined ? [] : [first] });
      for (const c of rest) m = addFirstPartyCaveat(m, c);
      let builder = new MacaroonsBuilder(location, secret, identifier);
      for (const c of caveats) builder = builder.add_first_party_caveat(c);
      const theirs = builder.getMacaroon();
      expect(unescape62(serializeToken(m))).to.equal(theirs.serialize().replace(/=+$/, ''));
      expect(escape62(theirs.serialize().replace(/=+$/, ''))).to.equal(serializeToken(m));
    }
  });
});
