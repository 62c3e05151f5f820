import { Ajv } from 'ajv';
import { expect } from 'chai';
import { request } from 'undici';
import { API_PREFIX, mockSpecFile } from '../tools/spec-build.js';
import { jsonSchemaFor, loadSpec } from '../spec.js';
import { startPrism, type RunningPrism } from './support/processes.js';

/**
 * Prism 5.14 serving the spec: what `npm run mock` starts. Prism routes the raw request path against
 * `paths` and ignores the servers' base path, so the mock spec (generated into spec/mock/) carries the
 * `/api/v3/onezone` prefix in its paths; the second Prism, on the source spec, shows why that is needed.
 */

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

// The mock profile's password has no ':' (Prism splits Basic credentials on every ':', prism#2814).
const basic = `Basic ${Buffer.from('alice:mock-password').toString('base64')}`;

describe('Prism mock', function () {
  this.timeout(60000);
  let mock: RunningPrism | undefined;
  let plain: RunningPrism | undefined;

  before(async () => {
    [mock, plain] = await Promise.all([startPrism(mockSpecFile('17.06')), startPrism('spec/onezone.openapi.yaml')]);
  });
  after(() => {
    mock?.close();
    plain?.close();
  });

  const listUrl = (): string => `${mock!.root}${API_PREFIX}/user/client_tokens`;

  it('answers 401 to a request without credentials, under the real Onezone URL form', async () => {
    const res = await get(listUrl());
    expect(res.status).to.equal(401);
  });

  it('answers 200 with a valid ClientTokens body to Basic credentials', async () => {
    const res = await get(listUrl(), { authorization: basic });
    expect(res.status).to.equal(200);
    const validate = new Ajv().compile(jsonSchemaFor(loadSpec('17.06'), 'ClientTokens'));
    expect(validate(res.json), JSON.stringify(validate.errors)).to.equal(true);
  });

  it('answers 200 to an X-Auth-Token', async () => {
    const res = await get(listUrl(), { 'x-auth-token': 'MDAxNWxvY2F00aW9uIG9uZXpvbmUK' });
    expect(res.status).to.equal(200);
  });

  it('does not route the base path from `servers` (why spec/mock/ exists)', async () => {
    expect((await get(`${plain!.root}${API_PREFIX}/user/client_tokens`, { authorization: basic })).status).to.equal(
      404,
    );
    expect((await get(`${plain!.root}/user/client_tokens`, { authorization: basic })).status).to.equal(200);
  });
});
