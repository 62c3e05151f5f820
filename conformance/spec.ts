/**
 * Loads spec/onezone.openapi.yaml (the single source of truth, Onezone 17.06) and its version variants, and
 * turns its schemas into plain JSON Schema for ajv. The variants are JSON Merge Patches (RFC 7386), each on
 * top of the previous version, so a later version only states what changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HarnessError } from './errors.js';
import { isObject } from './objects.js';
import { fromRoot } from './paths.js';

export type SpecVersion = '17.06' | '18.02' | '19.02' | '20.02' | '21.02';

/** Oldest first: each version is the previous one with its merge patch applied. */
export const SPEC_VERSIONS: readonly SpecVersion[] = ['17.06', '18.02', '19.02', '20.02', '21.02'];

export const BASE_SPEC_FILE = 'spec/onezone.openapi.yaml';

/** The repo-relative file of a version's merge patch, or undefined for the base. */
export function variantFile(version: SpecVersion): string | undefined {
  return version === '17.06' ? undefined : `spec/variants/onezone-${version}.merge-patch.yaml`;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string; [k: string]: unknown };
  paths: Record<string, unknown>;
  components: {
    schemas?: Record<string, unknown>;
    responses?: Record<string, unknown>;
    securitySchemes?: Record<string, unknown>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** RFC 7386 MergePatch: a non-object patch replaces the target; null members delete keys. Pure. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(result, key);
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

/**
 * The merged versions as JSON, written by `npm run spec:build` and drift-checked by `npm run docs:check`. It is
 * only a cache: it is used when its digest matches the YAML sources byte for byte, else the YAML is parsed.
 * Importing and running the `yaml` parser costs ~200 ms on a cold start; JSON.parse of the copy ~1 ms.
 */
export const COMPILED_SPEC_FILE = 'spec/compiled/onezone.versions.json';

export interface CompiledSpecs {
  readonly 'x-generated': string;
  /** sha256 over the YAML sources (see sourceDigest). */
  readonly sourceDigest: string;
  readonly versions: Record<SpecVersion, OpenApiDocument>;
}

const sourceFiles = (): string[] => [
  BASE_SPEC_FILE,
  ...SPEC_VERSIONS.map(variantFile).filter((f): f is string => f !== undefined),
];

function readSource(root: string, file: string): string {
  try {
    return readFileSync(`${root}/${file}`, 'utf8');
  } catch (e) {
    throw new HarnessError('E_SPEC', `${file} could not be read: ${(e as Error).message}`, { cause: e });
  }
}

/** A digest of the YAML sources' names and bytes: the compiled copy is valid only for exactly these. */
export function sourceDigest(root: string): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles()) hash.update(`${file}\0${readSource(root, file)}\0`);
  return hash.digest('hex');
}

// Loaded on first use only, so a run served from the compiled copy never pays for the YAML parser.
const requireYaml = createRequire(import.meta.url);

function readYaml(root: string, file: string): Json {
  const { parse } = requireYaml('yaml') as typeof import('yaml');
  try {
    return parse(readSource(root, file)) as Json;
  } catch (e) {
    throw new HarnessError('E_SPEC', `${file} could not be parsed: ${(e as Error).message}`, { cause: e });
  }
}

function asDocument(value: Json, label: string): OpenApiDocument {
  if (!isObject(value) || typeof value['openapi'] !== 'string' || !isObject(value['paths']))
    throw new HarnessError('E_SPEC', `${label} is not an OpenAPI 3 document`);
  return value as unknown as OpenApiDocument;
}

/**
 * Builds every version from the spec files under `root` (a repository root). Not cached: the docs check
 * calls it on temporary copies of the tree.
 */
export function loadSpecsFrom(root: string): Map<SpecVersion, OpenApiDocument> {
  return readCompiled(root) ?? buildSpecsFromYaml(root);
}

function readCompiled(root: string): Map<SpecVersion, OpenApiDocument> | undefined {
  const path = `${root}/${COMPILED_SPEC_FILE}`;
  if (!existsSync(path)) return undefined;
  let compiled: CompiledSpecs;
  try {
    compiled = JSON.parse(readFileSync(path, 'utf8')) as CompiledSpecs;
  } catch {
    return undefined; // a damaged cache is no reason to fail: the YAML is the source
  }
  if (compiled.sourceDigest !== sourceDigest(root)) return undefined;
  return new Map(SPEC_VERSIONS.map((v) => [v, deepFreeze(asDocument(compiled.versions[v] as unknown as Json, path))]));
}

/** The compiled copy's content for the current YAML sources (written by `npm run spec:build`). */
export function compileSpecs(root: string): CompiledSpecs {
  const docs = buildSpecsFromYaml(root);
  const versions = Object.fromEntries(SPEC_VERSIONS.map((v) => [v, docs.get(v)])) as Record<
    SpecVersion,
    OpenApiDocument
  >;
  return {
    'x-generated': 'from spec/*.yaml by npm run spec:build; do not edit',
    sourceDigest: sourceDigest(root),
    versions,
  };
}

/** Parses the YAML sources and applies the merge patches (never the compiled copy). */
export function buildSpecsFromYaml(root: string): Map<SpecVersion, OpenApiDocument> {
  const docs = new Map<SpecVersion, OpenApiDocument>();
  let current = readYaml(root, BASE_SPEC_FILE);
  for (const version of SPEC_VERSIONS) {
    const file = variantFile(version);
    if (file !== undefined) current = mergePatch(current, readYaml(root, file));
    docs.set(version, deepFreeze(asDocument(current, file ?? BASE_SPEC_FILE)));
  }
  return docs;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// The spec files do not change while a process runs; parsing them once keeps the runner's start cheap.
let cache: Map<SpecVersion, OpenApiDocument> | undefined;

/** Base spec (17.06) with the version's JSON Merge Patches (RFC 7386) applied; parsed once and cached. */
export function loadSpec(version: SpecVersion = '17.06'): OpenApiDocument {
  cache ??= loadSpecsFrom(fromRoot());
  const doc = cache.get(version);
  if (doc === undefined) throw new HarnessError('E_SPEC', `unknown spec version ${version}`);
  return doc;
}

/** Keywords that are OpenAPI-only (or annotations ajv's strict mode rejects); dropped from JSON Schema. */
const OPENAPI_ONLY = new Set(['example', 'nullable', 'discriminator', 'xml', 'externalDocs']);
const SCHEMA_REF = /^#\/components\/schemas\/([^/]+)$/;

/**
 * Converts an OpenAPI 3.0 schema object to JSON Schema (draft-07) that ajv compiles in strict mode:
 * drops `example` and `x-*`, turns `nullable` into a type union, and inlines `#/components/schemas/*`
 * references (the spec has no recursive schemas, so inlining terminates; a cycle is reported).
 */
export function toJsonSchema(doc: OpenApiDocument, schema: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(doc, s, seen));
  if (!isObject(schema)) return schema;
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const name = SCHEMA_REF.exec(ref)?.[1];
    if (name === undefined) throw new HarnessError('E_SPEC', `unsupported $ref ${ref}`);
    if (seen.includes(name)) throw new HarnessError('E_SPEC', `recursive schema ${[...seen, name].join(' → ')}`);
    return toJsonSchema(doc, namedSchema(doc, name), [...seen, name]);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (OPENAPI_ONLY.has(key) || key.startsWith('x-')) continue;
    // `properties` maps names to schemas; its keys are data, not keywords, so they are never filtered.
    out[key] =
      key === 'properties' && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(doc, v, seen)]))
        : toJsonSchema(doc, value, seen);
  }
  if (schema['nullable'] === true && typeof schema['type'] === 'string') out['type'] = [schema['type'], 'null'];
  return out;
}

function namedSchema(doc: OpenApiDocument, name: string): unknown {
  const schema = doc.components.schemas?.[name];
  if (schema === undefined) throw new HarnessError('E_SPEC', `components.schemas.${name} is missing`);
  return schema;
}

/** components.schemas[name] as a plain JSON Schema that ajv 8 compiles in strict mode. */
export function jsonSchemaFor(
  doc: OpenApiDocument,
  name: 'ClientTokens' | 'ClientToken' | 'Error',
): Record<string, unknown> {
  return toJsonSchema(doc, namedSchema(doc, name), [name]) as Record<string, unknown>;
}

/** Follows a `#/components/responses/*` reference (the spec shares 401 and 500 between operations). */
function resolveResponse(doc: OpenApiDocument, response: unknown): unknown {
  if (!isObject(response) || typeof response['$ref'] !== 'string') return response;
  const name = /^#\/components\/responses\/([^/]+)$/.exec(response['$ref'])?.[1];
  return name === undefined ? undefined : doc.components.responses?.[name];
}

/** The response object at paths[path][method].responses[status], with a components reference resolved. */
export function responseObject(
  doc: OpenApiDocument,
  path: string,
  method: string,
  status: string,
): Record<string, unknown> | undefined {
  const operation = doc.paths[path];
  const op = isObject(operation) ? operation[method.toLowerCase()] : undefined;
  const responses = isObject(op) ? op['responses'] : undefined;
  const response = resolveResponse(doc, isObject(responses) ? responses[status] : undefined);
  return isObject(response) ? response : undefined;
}

/** The JSON Schema of paths[path][method].responses[status].content['application/json'], or undefined. */
export function responseSchema(
  doc: OpenApiDocument,
  path: string,
  method: string,
  status: string,
): Record<string, unknown> | undefined {
  const content = responseObject(doc, path, method, status)?.['content'];
  const media = isObject(content) ? content['application/json'] : undefined;
  const schema = isObject(media) ? media['schema'] : undefined;
  return schema === undefined ? undefined : (toJsonSchema(doc, schema) as Record<string, unknown>);
}

/** The `x-onezone-expectations` block of a version (facts the runner can read); see docs/README.md. */
export function expectationsOf(doc: OpenApiDocument): Record<string, unknown> {
  const block = doc['x-onezone-expectations'];
  return isObject(block) ? block : {};
}

/**
 * A full Onezone release, e.g. `21.02.5`. A spec version describes the newest release of its line; an answer
 * that arrived within the line carries the first release that has it (`since`), so a server of an older
 * release of the same line answers as the previous version does.
 */
export type Release = string;

/** Answers that arrived within a release line (a `since` release); absent: not sent by this version. */
export interface SinceRelease {
  readonly since: Release;
}

/**
 * The typed `x-onezone-expectations` block (field meanings: docs/README.md). Fields marked optional are
 * present only from the version that introduced them; absent means "not sent by this version".
 */
export interface OnezoneExpectations {
  readonly version: SpecVersion;
  readonly server: string;
  readonly noCredentials: { readonly status: number; readonly emptyBody: boolean; readonly contentType: string | null };
  readonly authErrorContentType: string | null;
  readonly wwwAuthenticate: boolean;
  readonly errorBody: 'string' | 'object';
  readonly bearer: boolean;
  readonly macaroonHeader: 'accepted' | 'deprecated';
  readonly createStatus: number;
  readonly deleteStatus: 202 | 204;
  readonly postWithoutBodyContentType: 'application/json' | 'any';
  readonly listOrder: 'newest-first' | 'by-name';
  readonly unroutedMethods: Readonly<Record<string, number>>;
  readonly allowHeader: string;
  readonly unacceptableAccept: number;
  readonly malformedBasic: number;
  readonly trailingSlash: 'same-as-without';
  readonly authOrder: 'basic-first' | 'tokens-first';
  /**
   * POST with a body that is not JSON: `status` with exactly `body` (a string error up to 18.02, `malformedData`
   * from 19.02). `alsoWithoutCredentials`: the body is read before the caller is judged, so a request without
   * credentials gets it too (rejected credentials still get 401).
   */
  readonly malformedData: {
    readonly status: number;
    readonly contentType: string;
    readonly body: unknown;
    readonly alsoWithoutCredentials: boolean;
  };
  /** POST with a body whose content-type is not exactly application/json: empty body, this content-type. */
  readonly unsupportedMediaType: { readonly status: number; readonly contentType: string | null };
  /** DELETE of another user's token: 404 while `exists` is list membership (to 19.02), 403 from 20.02. */
  readonly deleteOtherUsersToken: 403 | 404;
  /** `access-control-allow-origin: <value>` on every reply of the REST handler (21.02.5+). */
  readonly corsAllowOrigin?: SinceRelease & { readonly value: string };
  /** A 500 from inside the operation has a JSON body with `details.reference` (21.02.1+). */
  readonly internalErrorReference?: SinceRelease;
  /** An open circuit breaker answers every request that passes authentication, also nobody's (21.02.6+). */
  readonly unavailable?: SinceRelease & {
    readonly status: number;
    readonly errorId: string;
    readonly contentType: string;
  };
}

const RELEASE = /^\d{2}\.\d{2}\.\d+$/;

/** `release` is `since` or later (`21.02.10` is after `21.02.9`); both must be full releases. */
export function releaseAtLeast(release: Release, since: Release): boolean {
  if (!RELEASE.test(release) || !RELEASE.test(since))
    throw new HarnessError('E_SPEC', `not a full Onezone release: ${RELEASE.test(release) ? since : release}`);
  const a = release.split('.').map(Number);
  const b = since.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/**
 * The expectations block checked against OnezoneExpectations: every field a version must state, with its
 * type, and the optional `since` fields well-formed and inside the version's line. Unknown fields pass (the
 * docs may carry more). Throws E_SPEC naming the field, so a bad variant is a harness error, not a verdict.
 */
export function onezoneExpectationsOf(doc: OpenApiDocument): OnezoneExpectations {
  const e = expectationsOf(doc);
  const label = `${doc.info.version} x-onezone-expectations`;
  const fail = (field: string, want: string): never => {
    throw new HarnessError('E_SPEC', `${label}.${field} must be ${want}`);
  };
  const oneOf = (field: string, allowed: readonly unknown[]): void => {
    if (!allowed.includes(e[field])) fail(field, allowed.map((a) => JSON.stringify(a)).join(' | '));
  };
  const typed = (field: string, type: 'string' | 'number' | 'boolean'): void => {
    if (typeof e[field] !== type) fail(field, `a ${type}`);
  };
  oneOf('version', SPEC_VERSIONS);
  typed('server', 'string');
  const nc = e['noCredentials'];
  if (
    !isObject(nc) ||
    typeof nc['status'] !== 'number' ||
    typeof nc['emptyBody'] !== 'boolean' ||
    !(nc['contentType'] === null || typeof nc['contentType'] === 'string')
  )
    fail('noCredentials', '{status: number, emptyBody: boolean, contentType: string | null}');
  if (!(e['authErrorContentType'] === null || typeof e['authErrorContentType'] === 'string'))
    fail('authErrorContentType', 'a string or null');
  typed('wwwAuthenticate', 'boolean');
  oneOf('errorBody', ['string', 'object']);
  typed('bearer', 'boolean');
  oneOf('macaroonHeader', ['accepted', 'deprecated']);
  typed('createStatus', 'number');
  oneOf('deleteStatus', [202, 204]);
  oneOf('postWithoutBodyContentType', ['application/json', 'any']);
  oneOf('listOrder', ['newest-first', 'by-name']);
  const unrouted = e['unroutedMethods'];
  if (!isObject(unrouted) || !Object.values(unrouted).every((s) => typeof s === 'number'))
    fail('unroutedMethods', 'a map from method to status');
  typed('allowHeader', 'string');
  typed('unacceptableAccept', 'number');
  typed('malformedBasic', 'number');
  oneOf('trailingSlash', ['same-as-without']);
  oneOf('authOrder', ['basic-first', 'tokens-first']);
  const md = e['malformedData'];
  if (
    !isObject(md) ||
    typeof md['status'] !== 'number' ||
    typeof md['contentType'] !== 'string' ||
    !isObject(md['body']) ||
    typeof md['alsoWithoutCredentials'] !== 'boolean'
  )
    fail('malformedData', '{status: number, contentType: string, body: object, alsoWithoutCredentials: boolean}');
  const umt = e['unsupportedMediaType'];
  if (
    !isObject(umt) ||
    typeof umt['status'] !== 'number' ||
    !(umt['contentType'] === null || typeof umt['contentType'] === 'string')
  )
    fail('unsupportedMediaType', '{status: number, contentType: string | null}');
  oneOf('deleteOtherUsersToken', [403, 404]);
  const since = (field: string, extra: Record<string, 'string' | 'number'>): void => {
    const v = e[field];
    if (v === undefined) return;
    const want = `{since: a release up to ${String(e['version'])}.x${Object.entries(extra)
      .map(([k, t]) => `, ${k}: ${t}`)
      .join('')}}`;
    if (!isObject(v) || typeof v['since'] !== 'string' || !RELEASE.test(v['since'])) return fail(field, want);
    // A later version inherits the field unchanged, so `since` may name an older line, never a newer one.
    if (v['since'].slice(0, 5) > String(e['version'])) fail(field, want);
    for (const [k, t] of Object.entries(extra)) if (typeof v[k] !== t) fail(field, want);
  };
  since('corsAllowOrigin', { value: 'string' });
  since('internalErrorReference', {});
  since('unavailable', { status: 'number', errorId: 'string', contentType: 'string' });
  return e as unknown as OnezoneExpectations;
}
