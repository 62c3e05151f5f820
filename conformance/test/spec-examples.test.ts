import { Ajv } from 'ajv';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  COMPILED_SPEC_FILE,
  SPEC_VERSIONS,
  buildSpecsFromYaml,
  jsonSchemaFor,
  loadSpec,
  loadSpecsFrom,
  mergePatch,
  onezoneExpectationsOf,
  releaseAtLeast,
  responseObject,
  responseSchema,
  toJsonSchema,
  type OpenApiDocument,
} from '../spec.js';
import { fromRoot } from '../paths.js';
import { isObject } from '../objects.js';
import { VERSIONS } from '../standin/versions.js';
import { checkWellFormed } from '../token/index.js';

/** Every example in every version of the spec validates against its schema, and tokens look real. */

interface FoundExample {
  readonly pointer: string;
  readonly schema: unknown;
  readonly value: unknown;
}

type Obj = Record<string, unknown>;

/**
 * Walks the document and pairs every `example` / `examples[*].value` with the schema it illustrates: the
 * sibling `schema` of a media type or parameter, or the schema object itself.
 */
function collectExamples(node: unknown, pointer: string, out: FoundExample[]): FoundExample[] {
  if (Array.isArray(node)) node.forEach((n, i) => collectExamples(n, `${pointer}/${i}`, out));
  if (!isObject(node)) return out;
  const schema = 'schema' in node ? node['schema'] : node;
  if ('example' in node) out.push({ pointer: `${pointer}/example`, schema, value: node['example'] });
  if (isObject(node['examples']) && 'schema' in node)
    for (const [name, ex] of Object.entries(node['examples']))
      if (isObject(ex)) out.push({ pointer: `${pointer}/examples/${name}`, schema, value: ex['value'] });
  for (const [k, v] of Object.entries(node))
    if (k !== 'example' && k !== 'examples') collectExamples(v, `${pointer}/${k}`, out);
  return out;
}

/** Media types may reference shared responses, so resolve components.responses before walking. */
function examplesOf(doc: OpenApiDocument): FoundExample[] {
  return collectExamples({ paths: doc.paths, components: doc.components }, '#', []);
}

/** Every token-like run (`MD…`, base62) in any string of the document: examples, descriptions, curl prose. */
function tokensAnywhere(node: unknown, pointer = '#', out: { pointer: string; token: string }[] = []) {
  if (typeof node === 'string')
    for (const m of node.matchAll(/MD[AB][A-Za-z0-9]{20,}/g)) out.push({ pointer, token: m[0] });
  else if (Array.isArray(node)) node.forEach((n, i) => tokensAnywhere(n, `${pointer}/${i}`, out));
  else if (isObject(node)) for (const [k, v] of Object.entries(node)) tokensAnywhere(v, `${pointer}/${k}`, out);
  return out;
}

describe('spec examples', () => {
  for (const version of SPEC_VERSIONS) {
    describe(`Onezone ${version}`, () => {
      const doc = loadSpec(version);
      const examples = examplesOf(doc);

      it('has examples for ClientTokens, ClientToken and Error', () => {
        const pointers = examples.map((e) => e.pointer);
        for (const name of ['ClientTokens', 'ClientToken', 'Error'])
          expect(pointers).to.include(`#/components/schemas/${name}/example`);
        expect(examples.length).to.be.greaterThan(8);
      });

      for (const { pointer, schema, value } of examples) {
        it(`${pointer} validates against its schema`, () => {
          const ajv = new Ajv({ allErrors: true });
          const validate = ajv.compile(toJsonSchema(doc, schema) as object);
          expect(validate(value), JSON.stringify(validate.errors)).to.equal(true);
        });
      }

      // Each version's examples show the tokens that release serves, as the stand-in mints them: 17.06 and 18.02
      // located at `onezone`, from 19.02 at the zone's domain (onezone.example.com: 19 characters, so `MDAy…`),
      // from 20.02 with a named token's identifier (real-server-behaviour.md §4, real-server-2102.md §1.4).
      const form = VERSIONS[version];
      it(`shows only tokens of the form ${version} serves, in examples and prose alike`, () => {
        const tokens = tokensAnywhere(doc);
        expect(tokens.length).to.be.greaterThan(3);
        for (const { pointer, token } of tokens) {
          const verdict = checkWellFormed(token);
          expect(verdict.ok, `${pointer}: ${verdict.ok ? '' : verdict.reason}`).to.equal(true);
          if (!verdict.ok) continue;
          const { location, identifier, caveats } = verdict.macaroon;
          expect(location, pointer).to.equal(form.locationIsDomain ? 'onezone.example.com' : 'onezone');
          if (form.namedTokenIdentifiers)
            expect(identifier, pointer).to.match(/^2\/nmd\/usr-[0-9a-f]{32}\/act\/[0-9a-f]{32}ch[0-9a-f]{4}$/);
          else expect(identifier, pointer).to.match(/^[A-Za-z0-9_-]{43}$/);
          expect(
            caveats.map((c) => c.cid),
            pointer,
          ).to.satisfy((cids: string[]) => cids.length === 1 && /^time < \d+$/.test(cids[0] ?? ''));
        }
      });
    });
  }

  it('rejects the upstream fake tokens (the pattern is not decorative)', () => {
    const validate = new Ajv().compile(jsonSchemaFor(loadSpec(), 'ClientTokens'));
    expect(validate({ tokens: ['JKAxNWxvY2F0aW9uIG9uZXpvbmUK-dw-fvrZ3XP_J0HjCN0taT3_WungK'] })).to.equal(false);
    expect(validate({ tokens: [] })).to.equal(true);
    expect(validate({ tokens: [], extra: 1 })).to.equal(false);
    expect(validate({})).to.equal(false);
  });
});

describe('spec versions', () => {
  const statuses = (doc: OpenApiDocument, path: string, method: string): string[] =>
    Object.keys(((doc.paths[path] as Obj)[method] as Obj)['responses'] as Obj);

  it('applies the merge patches in order: DELETE 202 in 17.06, 204 from 18.02', () => {
    expect(statuses(loadSpec('17.06'), '/user/client_tokens/{tid}', 'delete'))
      .to.include('202')
      .and.not.include('204');
    for (const v of ['18.02', '19.02', '20.02', '21.02'] as const)
      expect(statuses(loadSpec(v), '/user/client_tokens/{tid}', 'delete'))
        .to.include('204')
        .and.not.include('202');
  });

  it('documents 404 without credentials up to 18.02 and drops it from GET in 19.02+', () => {
    expect(statuses(loadSpec('17.06'), '/user/client_tokens', 'get'))
      .to.include('404')
      .and.not.include.members(['400', '403']);
    expect(statuses(loadSpec('19.02'), '/user/client_tokens', 'get')).to.not.include('404');
  });

  it('adds Bearer from 18.02 and deprecates the operations in 20.02', () => {
    expect(loadSpec('17.06').components.securitySchemes).to.not.have.property('bearer');
    expect(loadSpec('18.02').components.securitySchemes).to.have.property('bearer');
    const schemes = (v: (typeof SPEC_VERSIONS)[number], path: string, method: string): string[] =>
      (((loadSpec(v).paths[path] as Obj)[method] as Obj)['security'] as Obj[]).flatMap((r) => Object.keys(r));
    for (const [path, method] of [
      ['/user/client_tokens', 'get'],
      ['/user/client_tokens', 'post'],
      ['/user/client_tokens/{tid}', 'delete'],
    ] as const) {
      expect(schemes('17.06', path, method)).to.deep.equal(['basic', 'api_key', 'macaroon']);
      expect(schemes('18.02', path, method)).to.deep.equal(['basic', 'api_key', 'bearer', 'macaroon']);
    }
    const get = (v: '19.02' | '20.02'): Obj => (loadSpec(v).paths['/user/client_tokens'] as Obj)['get'] as Obj;
    expect(get('19.02')['deprecated']).to.equal(undefined);
    expect(get('20.02')['deprecated']).to.equal(true);
  });

  it('has Error as a string in 17.06/18.02 and an object from 19.02 (description required from 20.02)', () => {
    const ajv = new Ajv();
    const v = (version: (typeof SPEC_VERSIONS)[number]) => ajv.compile(jsonSchemaFor(loadSpec(version), 'Error'));
    expect(v('17.06')({ error: 'x' })).to.equal(true);
    expect(v('18.02')({ error: { id: 'x' } })).to.equal(false);
    expect(v('19.02')({ error: { id: 'unauthorized' } })).to.equal(true);
    expect(v('19.02')({ error: 'x' })).to.equal(false);
    expect(v('20.02')({ error: { id: 'unauthorized' } })).to.equal(false);
    expect(v('20.02')({ error: { id: 'unauthorized', description: 'd' } })).to.equal(true);
  });

  it('marks the 401 responses as sent without a content-type in every version', () => {
    for (const v of SPEC_VERSIONS)
      for (const [path, method] of [
        ['/user/client_tokens', 'get'],
        ['/user/client_tokens', 'post'],
        ['/user/client_tokens/{tid}', 'delete'],
      ] as const)
        expect(
          responseObject(loadSpec(v), path, method, '401')?.['x-onezone-no-content-type'],
          `${v} ${method}`,
        ).to.equal(true);
  });

  it('gives response schemas for JSON bodies and undefined for empty ones', () => {
    const doc = loadSpec();
    expect(responseSchema(doc, '/user/client_tokens', 'get', '200'))
      .to.have.property('required')
      .that.deep.equals(['tokens']);
    expect(responseSchema(doc, '/user/client_tokens', 'GET', '401')).to.have.nested.property(
      'properties.error.type',
      'string',
    );
    expect(responseSchema(doc, '/user/client_tokens', 'get', '404')).to.equal(undefined);
    expect(responseSchema(doc, '/user/client_tokens', 'get', '418')).to.equal(undefined);
  });

  it('exposes per-version expectations for the runner', () => {
    const exp = (v: (typeof SPEC_VERSIONS)[number]): Obj => loadSpec(v)['x-onezone-expectations'] as Obj;
    expect(exp('17.06')).to.include({ version: '17.06', deleteStatus: 202, bearer: false, errorBody: 'string' });
    expect(exp('18.02')).to.include({ deleteStatus: 204, bearer: true, postWithoutBodyContentType: 'any' });
    expect(exp('19.02')).to.deep.include({
      noCredentials: { status: 401, emptyBody: false, contentType: 'application/json' },
    });
    expect(exp('20.02')).to.include({ listOrder: 'by-name', version: '20.02' });
    expect(exp('21.02')).to.include({ listOrder: 'by-name', version: '21.02', server: 'oz-worker 21.02.7' });
  });

  it("types every version's expectations; the 21.02 answers carry the release that brought them", () => {
    for (const v of SPEC_VERSIONS) expect(onezoneExpectationsOf(loadSpec(v)).version).to.equal(v);
    const e2102 = onezoneExpectationsOf(loadSpec('21.02'));
    expect(e2102.corsAllowOrigin).to.deep.equal({ value: '*', since: '21.02.5' });
    expect(e2102.internalErrorReference).to.deep.equal({ since: '21.02.1' });
    expect(e2102.unavailable).to.deep.equal({
      status: 503,
      errorId: 'serviceUnavailable',
      contentType: 'application/json',
      since: '21.02.6',
    });
    for (const v of ['17.06', '18.02', '19.02', '20.02'] as const) {
      const e = onezoneExpectationsOf(loadSpec(v));
      expect([e.corsAllowOrigin, e.internalErrorReference, e.unavailable], v).to.deep.equal([
        undefined,
        undefined,
        undefined,
      ]);
    }
    expect(loadSpec('21.02').info.version).to.equal('21.02.7');
  });

  it('rejects an expectations block with a missing, mistyped or out-of-line field (E_SPEC)', () => {
    const withExpectations = (patch: Record<string, unknown>): OpenApiDocument =>
      mergePatch(
        loadSpec('21.02') as never,
        { 'x-onezone-expectations': patch } as never,
      ) as unknown as OpenApiDocument;
    expect(() => onezoneExpectationsOf(withExpectations({ bearer: 'yes' }))).to.throw(/bearer must be a boolean/);
    expect(() => onezoneExpectationsOf(withExpectations({ listOrder: null }))).to.throw(/listOrder/);
    expect(() => onezoneExpectationsOf(withExpectations({ corsAllowOrigin: { since: null } }))).to.throw(
      /corsAllowOrigin/,
    );
    expect(() => onezoneExpectationsOf(withExpectations({ unavailable: { since: '22.02.1' } }))).to.throw(
      /unavailable/,
    );
    expect(() => onezoneExpectationsOf(withExpectations({ malformedData: { body: 'not an object' } }))).to.throw(
      /malformedData/,
    );
    expect(() => onezoneExpectationsOf(withExpectations({ deleteOtherUsersToken: 401 }))).to.throw(
      /deleteOtherUsersToken/,
    );
    expect(() => onezoneExpectationsOf(withExpectations({ internalErrorReference: { since: '21.2' } }))).to.throw(
      /internalErrorReference/,
    );
  });

  it('documents POST 400 malformedData in every version, its example being the expected body', () => {
    const ajv = new Ajv();
    const bodies = SPEC_VERSIONS.map((v) => {
      const doc = loadSpec(v);
      const expected = onezoneExpectationsOf(doc).malformedData;
      expect(expected, v).to.include({ status: 400, contentType: 'application/json', alsoWithoutCredentials: true });
      const response = responseObject(doc, '/user/client_tokens', 'post', '400');
      const example = ((response?.['content'] as Obj)['application/json'] as Obj)['example'] ?? null;
      expect(example, v).to.deep.equal(expected.body);
      const validate = ajv.compile(jsonSchemaFor(doc, 'Error'));
      expect(validate(expected.body), `${v} ${JSON.stringify(validate.errors)}`).to.equal(true);
      return JSON.stringify(expected.body);
    });
    expect(bodies).to.deep.equal([
      '{"error":"Provided data could not be understood by the server"}',
      '{"error":"Provided data could not be understood by the server"}',
      '{"error":{"id":"malformedData","description":"Provided data could not be understood by the server"}}',
      '{"error":{"id":"malformedData","description":"Provided data could not be understood by the server."}}',
      '{"error":{"id":"malformedData","description":"Provided data could not be understood by the server."}}',
    ]);
    for (const v of SPEC_VERSIONS) expect(statuses(loadSpec(v), '/user/client_tokens', 'get'), v).to.not.include('400');
  });

  it("documents DELETE 403 for another user's token from 20.02 only", () => {
    const delete403 = SPEC_VERSIONS.map((v) =>
      statuses(loadSpec(v), '/user/client_tokens/{tid}', 'delete').includes('403'),
    );
    expect(delete403).to.deep.equal([false, false, false, true, true]);
    expect(SPEC_VERSIONS.map((v) => onezoneExpectationsOf(loadSpec(v)).deleteOtherUsersToken)).to.deep.equal([
      404, 404, 404, 403, 403,
    ]);
    expect(responseSchema(loadSpec('20.02'), '/user/client_tokens/{tid}', 'delete', '403')).to.not.equal(undefined);
  });

  it('settles the content-type of the 404 without credentials (17.06/18.02) and of the 415: application/json', () => {
    for (const v of ['17.06', '18.02'] as const)
      expect(onezoneExpectationsOf(loadSpec(v)).noCredentials, v).to.deep.equal({
        status: 404,
        emptyBody: true,
        contentType: 'application/json',
      });
    for (const v of SPEC_VERSIONS)
      expect(onezoneExpectationsOf(loadSpec(v)).unsupportedMediaType, v).to.deep.equal({
        status: 415,
        contentType: 'application/json',
      });
    const get404 = responseObject(loadSpec('17.06'), '/user/client_tokens', 'get', '404');
    expect(get404?.['description']).to.include('`content-type: application/json`').and.include('--quirks');
  });

  it('shows the 401s of a lived-in account from 20.02, and the ones that arrived within 20.02.x in 21.02', () => {
    const innerIds = (v: (typeof SPEC_VERSIONS)[number]): string[] => {
      const media = (responseObject(loadSpec(v), '/user/client_tokens', 'get', '401')?.['content'] as Obj)[
        'application/json'
      ] as Obj;
      return Object.values(media['examples'] as Obj).flatMap((ex) => {
        const error = ((ex as Obj)['value'] as Obj)['error'];
        const auth = ((error as Obj)['details'] as Obj | undefined)?.['authError'] as Obj | undefined;
        return typeof auth?.['id'] === 'string' ? [auth['id']] : [];
      });
    };
    const livedIn = ['tokenCaveatUnverified', 'tokenRevoked', 'tokenInvalid'];
    expect(innerIds('20.02')).to.include.members(livedIn).and.not.include.members(['userBlocked']);
    expect(innerIds('20.02')).to.not.include('tokenSessionInvalid');
    expect(innerIds('21.02')).to.include.members([...livedIn, 'userBlocked', 'tokenSessionInvalid']);
  });

  it('compares releases numerically (21.02.10 is after 21.02.9)', () => {
    expect(releaseAtLeast('21.02.5', '21.02.5')).to.equal(true);
    expect(releaseAtLeast('21.02.4', '21.02.5')).to.equal(false);
    expect(releaseAtLeast('21.02.10', '21.02.9')).to.equal(true);
    expect(releaseAtLeast('20.02.20', '21.02.1')).to.equal(false);
    expect(() => releaseAtLeast('21.02', '21.02.1')).to.throw(/not a full Onezone release: 21.02/);
  });

  it('documents 503 serviceUnavailable and a JSON 500 with a reference in 21.02 only', () => {
    for (const [path, method] of [
      ['/user/client_tokens', 'get'],
      ['/user/client_tokens', 'post'],
      ['/user/client_tokens/{tid}', 'delete'],
    ] as const) {
      expect(statuses(loadSpec('20.02'), path, method)).to.not.include('503');
      expect(responseSchema(loadSpec('21.02'), path, method, '503'), `${method} 503`).to.not.equal(undefined);
      expect(responseSchema(loadSpec('20.02'), path, method, '500'), `${method} 500`).to.equal(undefined);
      expect(responseSchema(loadSpec('21.02'), path, method, '500'), `${method} 500`).to.not.equal(undefined);
      expect(responseObject(loadSpec('21.02'), path, method, '401')?.['headers']).to.have.property(
        'access-control-allow-origin',
      );
      expect(responseObject(loadSpec('20.02'), path, method, '401')?.['headers']).to.equal(undefined);
    }
  });

  it('serves the compiled JSON copy only while it matches the YAML byte for byte', () => {
    const root = mkdtempSync(join(tmpdir(), 'spec-compiled-'));
    try {
      cpSync(fromRoot('spec'), join(root, 'spec'), { recursive: true });
      const title = (docs: Map<string, OpenApiDocument>): string | undefined => docs.get('20.02')?.info.title;
      // A compiled copy that differs from the YAML shows which one was read.
      const compiledPath = join(root, COMPILED_SPEC_FILE);
      writeFileSync(
        compiledPath,
        readFileSync(compiledPath, 'utf8').replaceAll('"Onezone user access tokens"', '"from the copy"'),
      );
      expect(title(loadSpecsFrom(root))).to.equal('from the copy');
      const yamlPath = join(root, 'spec/onezone.openapi.yaml');
      writeFileSync(
        yamlPath,
        readFileSync(yamlPath, 'utf8').replace('title: Onezone user access tokens', 'title: edited YAML'),
      );
      expect(title(loadSpecsFrom(root))).to.equal('edited YAML');
      expect(title(buildSpecsFromYaml(root))).to.equal('edited YAML');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('has a compiled copy equal to what the YAML builds', () => {
    const fromYaml = buildSpecsFromYaml(fromRoot());
    const loaded = loadSpecsFrom(fromRoot());
    for (const v of SPEC_VERSIONS) expect(loaded.get(v), v).to.deep.equal(fromYaml.get(v));
  });

  // What the compiled copy saves (the YAML parser's ~200 ms of a cold start) is measured by the bench; here, in a
  // fresh process, that it is what a start uses.
  it('loads all five versions from the compiled copy, without loading the YAML parser', async () => {
    const code = `
      import { createRequire } from 'node:module';
      const { loadSpecsFrom } = await import(${JSON.stringify(new URL('../spec.js', import.meta.url).href)});
      const docs = loadSpecsFrom(${JSON.stringify(fromRoot())});
      const cache = createRequire(import.meta.url).cache;
      console.log(JSON.stringify({ versions: docs.size, yaml: Object.keys(cache).some((k) => /[\\/]node_modules[\\/]yaml[\\/]/.test(k)) }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code]);
    expect(JSON.parse(stdout)).to.deep.equal({ versions: SPEC_VERSIONS.length, yaml: false });
  });
});

describe('mergePatch (RFC 7386 appendix A)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases)
    it(`${JSON.stringify(target)} + ${JSON.stringify(patch)} = ${JSON.stringify(result)}`, () => {
      expect(mergePatch(target as never, patch as never)).to.deep.equal(result);
    });
});
