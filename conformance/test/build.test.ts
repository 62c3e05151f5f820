import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { ValidateFunction } from 'ajv';
import {
  PRECOMPILED_RESPONSE_VALIDATORS,
  SCHEMA_NAMES,
  compileSchemas,
  responseValidator,
  schemaDigest,
} from '../checks/schemas.js';
import { fromRoot } from '../paths.js';
import { buildReportValidator } from '../report/build-validator.js';
import { jsonSchemaFor, loadSpec, SPEC_VERSIONS } from '../spec.js';
import { BUNDLE_DIR, buildResponseValidators, pruneOrphans } from '../tools/build.js';

/** What `npm run build` leaves beside tsc's output (conformance/tools/build.ts), and that it is used. */

const require = createRequire(import.meta.url);
const run = promisify(execFile);

describe('build: precompiled response validators', () => {
  const precompiled = (): Record<string, ValidateFunction> =>
    require(PRECOMPILED_RESPONSE_VALIDATORS) as Record<string, ValidateFunction>;

  it("serve every spec version's ClientTokens, ClientToken and Error without compiling", () => {
    const module = precompiled();
    for (const version of SPEC_VERSIONS) {
      const schemas = compileSchemas(version);
      for (const name of SCHEMA_NAMES) {
        const digest = schemaDigest(jsonSchemaFor(loadSpec(version), name));
        expect(module[digest], `${version} ${name}`).to.be.a('function');
        expect(schemas[name], `${version} ${name}`).to.equal(module[digest]);
      }
    }
  });

  it('are not used for a schema that changed since the build: that one is compiled from the spec as it is', () => {
    const schema = jsonSchemaFor(loadSpec('17.06'), 'ClientTokens');
    const stricter = { ...schema, properties: { tokens: { type: 'array', maxItems: 1 } } };
    const v = responseValidator(stricter);
    expect(Object.values(precompiled())).not.to.include(v);
    expect(v({ tokens: ['a', 'b'] })).to.equal(false);
    expect(compileSchemas('17.06').ClientTokens({ tokens: ['a', 'b'] })).to.equal(true);
  });

  it('are not rewritten when nothing changed (nor is the report validator)', () => {
    expect(buildResponseValidators()).to.equal(false);
    expect(buildReportValidator()).to.equal(false);
  });
});

describe('build: outputs without a source', () => {
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'build-prune-'));
    mkdirSync(join(root, 'conformance', 'test'), { recursive: true });
    mkdirSync(join(root, 'dist', 'conformance', 'test'), { recursive: true });
    writeFileSync(join(root, 'conformance', 'test', 'kept.test.ts'), '');
    for (const f of ['kept.test.js', 'kept.test.js.map', 'gone.test.js', 'gone.test.js.map', 'data.cjs'])
      writeFileSync(join(root, 'dist', 'conformance', 'test', f), '');
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('are removed (tsc leaves them, and mocha would run a deleted test); everything else stays', () => {
    expect(pruneOrphans(root).sort()).to.deep.equal([
      join('dist', 'conformance', 'test', 'gone.test.js'),
      join('dist', 'conformance', 'test', 'gone.test.js.map'),
    ]);
    expect(pruneOrphans(root)).to.deep.equal([]);
  });
});

describe('build: the bundled command', () => {
  it('starts and answers --help', async () => {
    const { stdout } = await run(process.execPath, [fromRoot(BUNDLE_DIR, 'onezone-conformance.js'), '--help']);
    expect(stdout).to.match(/^Usage: /);
  });

  it('leaves out what is loaded only when needed (ajv, the YAML parser)', () => {
    const stamp = JSON.parse(readFileSync(fromRoot(BUNDLE_DIR, 'inputs.json'), 'utf8')) as {
      inputs: Record<string, string>;
    };
    const inputs = Object.keys(stamp.inputs);
    expect(inputs).to.include('dist/conformance/run.js');
    expect(inputs.filter((f) => /node_modules\/(ajv|yaml)\//.test(f))).to.deep.equal([]);
  });

  it('takes of undici only the Agent and its request(), not fetch, WebSocket, caches or mocks', () => {
    const stamp = JSON.parse(readFileSync(fromRoot(BUNDLE_DIR, 'inputs.json'), 'utf8')) as {
      inputs: Record<string, string>;
    };
    const undici = Object.keys(stamp.inputs).filter((f) => f.startsWith('node_modules/undici/'));
    expect(undici).to.include.members([
      'node_modules/undici/lib/dispatcher/agent.js',
      'node_modules/undici/lib/api/api-request.js',
    ]);
    // client-h1 needs a few of fetch's helpers (body mixins, data URLs); fetch itself and the rest stay out.
    const unused =
      /^node_modules\/undici\/(index\.js|lib\/(mock|cache|interceptor|web\/(websocket|eventsource|cache|cookies))\/|lib\/web\/fetch\/index\.js)/;
    expect(undici.filter((f) => unused.test(f))).to.deep.equal([]);
  });
});

describe('npm run test:unit', () => {
  it('names only test files that exist, so a renamed test cannot drop out of it silently', () => {
    const { spec } = require(fromRoot('.mocharc.unit.cjs')) as { spec: string[] };
    expect(spec.length).to.be.greaterThan(10);
    const missing = spec.filter((f) => !existsSync(fromRoot(f.replace(/^dist\//, '').replace(/\.js$/, '.ts'))));
    expect(missing).to.deep.equal([]);
  });
});
