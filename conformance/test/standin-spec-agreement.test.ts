import { expect } from 'chai';
import { expectationsOf, loadSpec, SPEC_VERSIONS, type SpecVersion } from '../spec.js';
import { ONEZONE_VERSIONS, type OnezoneVersion } from '../standin/types.js';
import { VERSIONS, type VersionBehaviour } from '../standin/versions.js';

/**
 * The stand-in keeps its own model of each release (standin/versions.ts), written from the research
 * independently of the spec's x-onezone-expectations. Where both speak of the same fact they must agree;
 * a disagreement means one of them misreads the server.
 */

const lineOf = (v: OnezoneVersion): SpecVersion => VERSIONS[v].line;

function parsed(body: string): unknown {
  return body === '' ? undefined : JSON.parse(body);
}

/** What the stand-in's model says, in the vocabulary of x-onezone-expectations. */
function modelled(b: VersionBehaviour): Record<string, unknown> {
  const nobody = b.errors.nobody(true); // quirks: the release's own answer
  const badBasic = b.errors.auth({ kind: 'basic-bad' }, true);
  const malformedBasic = b.errors.auth({ kind: 'basic-malformed' }, true);
  const malformed = b.errors.malformedData();
  const bodyShape = typeof (parsed(badBasic.body) as { error: unknown }).error;
  return {
    server: `oz-worker ${b.release}`,
    noCredentials: {
      status: nobody.status,
      emptyBody: nobody.body === '',
      contentType: nobody.contentType ?? null,
    },
    authErrorContentType: badBasic.contentType ?? null,
    errorBody: bodyShape,
    bearer: b.tokenHeaders.includes('bearer'),
    macaroonHeader: b.tokenHeaders.includes('macaroon'),
    deleteStatus: b.deleteStatus,
    postWithoutBodyContentType: b.bodilessPostAnyType ? 'any' : 'application/json',
    listOrder: b.listOrder,
    malformedBasic: malformedBasic.status,
    authOrder: b.tokensFirst ? 'tokens-first' : 'basic-first',
    malformedData: {
      status: malformed.status,
      contentType: malformed.contentType ?? null,
      body: parsed(malformed.body),
    },
    unsupportedMediaType: { status: 415, contentType: b.unsupportedTypeContentType ?? null },
    deleteOtherUsersToken: b.deleteForeign === 'forbidden' ? 403 : 404,
  };
}

/** The spec's facts for the same fields (macaroonHeader: 'accepted' and 'deprecated' both mean it is served). */
function specified(e: Record<string, unknown>): Record<string, unknown> {
  const nc = e['noCredentials'] as Record<string, unknown>;
  const md = e['malformedData'] as Record<string, unknown>;
  return {
    server: e['server'],
    noCredentials: { status: nc['status'], emptyBody: nc['emptyBody'], contentType: nc['contentType'] },
    authErrorContentType: e['authErrorContentType'],
    errorBody: e['errorBody'],
    bearer: e['bearer'],
    macaroonHeader: e['macaroonHeader'] === 'accepted' || e['macaroonHeader'] === 'deprecated',
    deleteStatus: e['deleteStatus'],
    postWithoutBodyContentType: e['postWithoutBodyContentType'],
    listOrder: e['listOrder'],
    malformedBasic: e['malformedBasic'],
    authOrder: e['authOrder'],
    malformedData: { status: md['status'], contentType: md['contentType'], body: md['body'] },
    unsupportedMediaType: e['unsupportedMediaType'],
    deleteOtherUsersToken: e['deleteOtherUsersToken'],
  };
}

/** The first 21.02 patch level at which `has` holds, as `21.02.N`. */
function firstPatch(has: (b: VersionBehaviour) => boolean): string | undefined {
  return ONEZONE_VERSIONS.filter((v) => /^21\.02\.\d$/.test(v))
    .map((v) => VERSIONS[v])
    .find(has)?.release;
}

describe("the stand-in's version table agrees with the spec's x-onezone-expectations", () => {
  const modelledLines = ['17.06', '18.02', '19.02', '20.02', '21.02'] as const;

  it('models every spec version, and every stand-in line has a spec variant', () => {
    expect([...SPEC_VERSIONS]).to.include.members([...new Set(ONEZONE_VERSIONS.map(lineOf))]);
    expect(modelledLines).to.include.members([...SPEC_VERSIONS]);
  });

  for (const line of modelledLines) {
    if (!(SPEC_VERSIONS as readonly string[]).includes(line)) continue;
    it(`${line}: status, bodies and headers of the shared facts`, () => {
      const spec = specified(expectationsOf(loadSpec(line)));
      const model = modelled(VERSIONS[line]);
      for (const key of Object.keys(spec)) {
        if (spec[key] === undefined) continue; // the spec does not state this fact for the version
        expect(model[key], `${line} ${key}`).to.deep.equal(spec[key]);
      }
    });
  }

  it('21.02: the patch levels at which ACAO, the 500 reference and the 503 breaker arrive', function () {
    if (!(SPEC_VERSIONS as readonly string[]).includes('21.02')) this.skip();
    const e = expectationsOf(loadSpec('21.02'));
    const cors = e['corsAllowOrigin'] as { value: string; since: string };
    const reference = e['internalErrorReference'] as { since: string };
    const unavailable = e['unavailable'] as { status: number; errorId: string; contentType: string; since: string };
    expect(firstPatch((b) => b.acao)).to.equal(cors.since);
    expect(cors.value).to.equal('*');
    expect(firstPatch((b) => b.circuitBreaker)).to.equal(unavailable.since);
    const reply = VERSIONS['21.02'].errors.serviceUnavailable();
    expect([reply.status, reply.contentType, (parsed(reply.body) as { error: { id: string } }).error.id]).to.deep.equal(
      [unavailable.status, unavailable.contentType, unavailable.errorId],
    );
    const withReference = (b: VersionBehaviour): boolean =>
      (parsed(b.errors.internal().body) as { error: { details?: unknown } }).error.details !== undefined;
    expect(firstPatch(withReference)).to.equal(reference.since);
  });
});
