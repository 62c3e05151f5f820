/**
 * Pure renderers: an OpenAPI document in, Markdown in the upstream Onedata page format out (the format of
 * ../shared/onezone/upstream-list_client_tokens.md). No file system here, so the generator and the drift
 * check render exactly the same text.
 */
import type { OpenApiDocument, SpecVersion } from '../spec.js';
import { isObject } from '../objects.js';

export const GENERATED_HEADER = (source: string): string =>
  `<!-- generated from ${source} by \`npm run docs\`; do not edit -->`;

/**
 * Marks the next fenced block as an example of a schema of one spec version, so the docs check validates
 * it against exactly that schema (unmarked blocks are matched by their keys; see check.ts).
 */
export const exampleOf = (schema: string, version: SpecVersion): string => `<!-- example-of: ${schema}@${version} -->`;

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export interface OperationRef {
  readonly path: string;
  readonly method: string;
  readonly operation: Obj;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

/** Every operation of the document, in document order. */
export function operationsOf(doc: OpenApiDocument): OperationRef[] {
  const out: OperationRef[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (isObject(operation)) out.push({ path, method, operation });
    }
  }
  return out;
}

const refName = (ref: unknown): string | undefined =>
  typeof ref === 'string' ? /^#\/components\/[a-zA-Z]+\/([^/]+)$/.exec(ref)?.[1] : undefined;

/** A `$ref` to components.responses resolved; other values as they are. */
function resolveResponse(doc: OpenApiDocument, response: unknown): Obj {
  const name = isObject(response) ? refName(response['$ref']) : undefined;
  const target = name === undefined ? response : doc.components.responses?.[name];
  return isObject(target) ? target : {};
}

/** Prose as the text of one Markdown table cell: one line, `|` escaped. */
const tableText = (text: string): string =>
  text
    .trim()
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|');

const definitionLink = (name: string): string => `[${name}](../definitions/${name}.md#${name.toLowerCase()})`;

/**
 * How a schema reads in a table cell: a link for a named object schema (it has a definition page), the
 * inlined type for a named scalar such as SerializedToken, `< T > array` like upstream.
 */
function schemaCell(doc: OpenApiDocument, schema: unknown): string {
  if (!isObject(schema)) return 'No Content';
  const name = refName(schema['$ref']);
  if (name !== undefined) {
    const target = doc.components.schemas?.[name];
    return isObject(target) && target['type'] !== 'object' ? schemaCell(doc, target) : definitionLink(name);
  }
  if (schema['type'] === 'array') return `< ${schemaCell(doc, schema['items'])} > array`;
  const pattern = typeof schema['pattern'] === 'string' ? ` (pattern: \`${schema['pattern']}\`)` : '';
  return `${str(schema['type']) || 'object'}${pattern}`;
}

const jsonMedia = (response: Obj): Obj | undefined => {
  const content = response['content'];
  const media = isObject(content) ? content['application/json'] : undefined;
  return isObject(media) ? media : undefined;
};

/** The named examples of a media type: `example` as one unnamed entry, else `examples[*].value`. */
function examplesOf(media: Obj | undefined): [string, unknown][] {
  if (media === undefined) return [];
  if ('example' in media) return [['', media['example']]];
  const examples = media['examples'];
  if (!isObject(examples)) return [];
  return Object.entries(examples).map(([name, ex]) => [name, isObject(ex) ? ex['value'] : undefined]);
}

const jsonBlock = (value: unknown): string => ['```', 'json :', JSON.stringify(value, null, 2), '```'].join('\n');

function responsesTable(doc: OpenApiDocument, responses: Obj): string[] {
  const lines = ['|HTTP Code|Description|Schema|', '|---|---|---|'];
  for (const [status, raw] of Object.entries(responses)) {
    const response = resolveResponse(doc, raw);
    let description = tableText(str(response['description']));
    if (response['x-onezone-no-content-type'] === true)
      description += ' <br>*`x-onezone-no-content-type`: sent without a `content-type` header*';
    lines.push(`|**${status}**|${description}|${schemaCell(doc, jsonMedia(response)?.['schema'])}|`);
  }
  return lines;
}

function parametersSection(doc: OpenApiDocument, operation: Obj): string[] {
  const params = Array.isArray(operation['parameters']) ? operation['parameters'].filter(isObject) : [];
  const body = isObject(operation['requestBody']) ? operation['requestBody'] : undefined;
  if (params.length === 0 && body === undefined) return [];
  const lines = ['##### Parameters', '', '|Type|Name|Description|Schema|', '|---|---|---|---|'];
  for (const p of params) {
    const required = p['required'] === true ? '  <br>*required*' : '  <br>*optional*';
    lines.push(
      `|**${str(p['in'])}**|**${str(p['name'])}**${required}|${tableText(str(p['description']))}|${schemaCell(doc, p['schema'])}|`,
    );
  }
  if (body !== undefined) {
    const required = body['required'] === true ? '  <br>*required*' : '  <br>*optional*';
    lines.push(
      `|**body**|**body**${required}|${tableText(str(body['description']))}|${schemaCell(doc, jsonMedia(body)?.['schema'])}|`,
    );
  }
  return [...lines, '', ''];
}

function securitySection(doc: OpenApiDocument, operation: Obj): string[] {
  const requirements = Array.isArray(operation['security']) ? operation['security'] : doc['security'];
  if (!Array.isArray(requirements)) return [];
  const lines = ['##### Security', '', 'Any one of:', '', '|Type|Name|Description|', '|---|---|---|'];
  for (const req of requirements.filter(isObject)) {
    for (const name of Object.keys(req)) {
      const scheme = doc.components.securitySchemes?.[name];
      if (!isObject(scheme)) continue;
      const kind =
        scheme['type'] === 'http'
          ? `http ${str(scheme['scheme'])}`
          : `${str(scheme['type'])} (${str(scheme['in'])} \`${str(scheme['name'])}\`)`;
      lines.push(`|**${kind}**|**${name}**|${tableText(str(scheme['description']))}|`);
    }
  }
  return [...lines, '', ''];
}

/** The schema name of a response's JSON body, for the example-of marker. */
const bodySchemaName = (response: Obj): string | undefined => {
  const schema = jsonMedia(response)?.['schema'];
  return isObject(schema) ? refName(schema['$ref']) : undefined;
};

function exampleResponses(doc: OpenApiDocument, version: SpecVersion, responses: Obj): string[] {
  const lines = ['##### Example HTTP response', '', ''];
  for (const [status, raw] of Object.entries(responses)) {
    const response = resolveResponse(doc, raw);
    const schemaName = bodySchemaName(response);
    for (const [name, value] of examplesOf(jsonMedia(response))) {
      lines.push(`###### Response ${status}${name ? ` (${name})` : ''}`);
      if (schemaName !== undefined) lines.push(exampleOf(schemaName, version));
      lines.push(jsonBlock(value), '', '');
    }
  }
  return lines;
}

function exampleRequestPath(path: string, operation: Obj): string {
  const params = Array.isArray(operation['parameters']) ? operation['parameters'].filter(isObject) : [];
  return params.reduce<string>((p, param) => {
    const example = param['example'];
    return typeof example === 'string' ? p.replace(`{${str(param['name'])}}`, example) : p;
  }, path);
}

/** One operation page in the upstream format. */
export function renderOperation(doc: OpenApiDocument, version: SpecVersion, op: OperationRef, source: string): string {
  const { operation } = op;
  const responses = isObject(operation['responses']) ? operation['responses'] : {};
  const consumes = isObject(operation['requestBody'])
    ? Object.keys(isObject(operation['requestBody']['content']) ? operation['requestBody']['content'] : {})
    : [];
  const produces = [
    ...new Set(
      Object.values(responses).flatMap((r) =>
        Object.keys(isObject(resolveResponse(doc, r)['content']) ? (resolveResponse(doc, r)['content'] as Obj) : {}),
      ),
    ),
  ];
  const lines = [
    GENERATED_HEADER(source),
    '',
    `<a name="${str(operation['operationId'])}"></a>`,
    `#### ${str(operation['summary'])}`,
    '```',
    `${op.method.toUpperCase()} ${op.path}`,
    '```',
    '',
    '',
    ...(operation['deprecated'] === true ? ['**Deprecated.**', '', ''] : []),
    '##### Description',
    str(operation['description']).trim(),
    '',
    '',
    ...parametersSection(doc, operation),
    '##### Responses',
    '',
    ...responsesTable(doc, responses),
    '',
    '',
    ...(consumes.length > 0 ? ['##### Consumes', '', ...consumes.map((c) => `* \`${c}\``), '', ''] : []),
    '##### Produces',
    '',
    ...produces.map((p) => `* \`${p}\``),
    '',
    '',
    ...securitySection(doc, operation),
    '##### Example HTTP request',
    '',
    '###### Request path',
    jsonBlock(exampleRequestPath(op.path, operation)),
    '',
    '',
    ...exampleResponses(doc, version, responses),
  ];
  return (
    lines
      .join('\n')
      .replace(/\n{3,}$/, '\n')
      .trimEnd() + '\n'
  );
}

function propertyRows(doc: OpenApiDocument, schema: Obj): string[] {
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  const props = isObject(schema['properties']) ? schema['properties'] : {};
  return Object.entries(props).map(([name, prop]) => {
    // OpenAPI 3.0 ignores siblings of $ref, so a referenced property takes the target's description.
    const refTarget = isObject(prop) ? refName(prop['$ref']) : undefined;
    const target = refTarget === undefined ? prop : doc.components.schemas?.[refTarget];
    const p = isObject(target) ? target : {};
    const flag = required.includes(name) ? '*required*' : '*optional*';
    return `|**${name}**  <br>${flag}|${tableText(str(p['description']))}|${schemaCell(doc, prop)}|`;
  });
}

/** One definition page: description, property table, nested objects, example. */
export function renderDefinition(doc: OpenApiDocument, version: SpecVersion, name: string, source: string): string {
  const raw = doc.components.schemas?.[name];
  const schema = isObject(raw) ? raw : {};
  const lines = [
    GENERATED_HEADER(source),
    '',
    `<a name="${name.toLowerCase()}"></a>`,
    `### ${name}`,
    tableText(str(schema['description'])),
    '',
  ];
  if (isObject(schema['properties']))
    lines.push('|Name|Description|Schema|', '|---|---|---|', ...propertyRows(doc, schema), '');
  else lines.push(`Type: ${schemaCell(doc, schema)}`, '');
  if (schema['additionalProperties'] === false) lines.push('No other properties are allowed.', '');
  for (const [propName, prop] of Object.entries(isObject(schema['properties']) ? schema['properties'] : {})) {
    if (isObject(prop) && isObject(prop['properties']))
      lines.push(`**${propName}**`, '', '|Name|Description|Schema|', '|---|---|---|', ...propertyRows(doc, prop), '');
  }
  if ('example' in schema) lines.push('**Example**', exampleOf(name, version), jsonBlock(schema['example']), '');
  return lines.join('\n');
}

/** A JSON value as inline code in a Markdown table cell; `—` when absent. */
const jsonCell = (v: unknown): string => (v === undefined ? '—' : `\`${JSON.stringify(v)}\``);

/** The security scheme names an operation accepts (any one of them), per its own or the top-level list. */
function securityNames(doc: OpenApiDocument | undefined, op: OperationRef): string {
  const current = doc ? operationsOf(doc).find((o) => o.path === op.path && o.method === op.method) : undefined;
  const requirements = current?.operation['security'] ?? doc?.['security'];
  const names = Array.isArray(requirements) ? requirements.filter(isObject).flatMap((r) => Object.keys(r)) : [];
  return names.map((n) => `\`${n}\``).join(', ');
}

function statusesOf(doc: OpenApiDocument, op: OperationRef): string {
  const current = operationsOf(doc).find((o) => o.path === op.path && o.method === op.method);
  const responses = current && isObject(current.operation['responses']) ? current.operation['responses'] : {};
  const deprecated = current?.operation['deprecated'] === true ? ' (deprecated)' : '';
  return Object.keys(responses).join(', ') + deprecated;
}

/**
 * The version-differences page: one table per aspect with a column per version, built from the merged
 * documents (so it cannot disagree with them), plus the keys each merge patch touches.
 */
export function renderVersionDifferences(
  docs: ReadonlyMap<SpecVersion, OpenApiDocument>,
  patches: ReadonlyMap<SpecVersion, { file: string; pointers: readonly string[] }>,
  source: string,
): string {
  const versions = [...docs.keys()];
  const header = `|Aspect|${versions.join('|')}|`;
  const rule = `|---|${versions.map(() => '---').join('|')}|`;
  const expectations = versions.map((v) => {
    const block = docs.get(v)?.['x-onezone-expectations'];
    return isObject(block) ? block : {};
  });
  const keys = [...new Set(expectations.flatMap((e) => Object.keys(e)))];
  const base = docs.get(versions[0] ?? '17.06');
  const lines = [
    GENERATED_HEADER(source),
    '',
    '# Version differences',
    '',
    'Onezone serves `list_client_tokens` and its siblings from 17.06 to 21.02.7, the newest release',
    '(deprecated from 20.02). The spec describes 17.06; each later version is a JSON Merge Patch (RFC 7386)',
    'on the previous one. A column describes the newest release of its line that was studied (`info.version`,',
    'in brackets below). Answers that changed within a line name the first release that has them (`since`',
    'in the expectations): an older release of that line answers as the column before. 21.02 is not "20.02',
    'plus CORS": it adds a 500 body with a reference (21.02.1), `access-control-allow-origin: *`',
    '(21.02.5) and a 503 circuit breaker (21.02.6), and it has the authentication errors that arrived within',
    '20.02.x after 20.02.1; see errata.md E14-E16 and E20.',
    '',
    '## In short',
    '',
    ...versions.flatMap((v) => {
      const info = docs.get(v)?.info;
      return [`### ${v} (${info?.version ?? '?'})`, '', str(info?.description).trim(), ''];
    }),
    '## Expected behaviour (`x-onezone-expectations`)',
    '',
    header,
    rule,
    ...keys.map((k) => `|${k}|${expectations.map((e) => jsonCell(e[k])).join('|')}|`),
    '',
    '## Documented response statuses',
    '',
    header,
    rule,
    ...(base ? operationsOf(base) : []).map(
      (op) =>
        `|\`${str(op.operation['operationId'])}\`|${versions
          .map((v) => {
            const d = docs.get(v);
            return d ? statusesOf(d, op) : '—';
          })
          .join('|')}|`,
    ),
    '',
    '## Security schemes',
    '',
    header,
    rule,
    ...(base ? operationsOf(base) : []).map(
      (op) =>
        `|\`${str(op.operation['operationId'])}\`|${versions.map((v) => securityNames(docs.get(v), op)).join('|')}|`,
    ),
    '',
    '## Error body',
    '',
  ];
  for (const v of versions) {
    const doc = docs.get(v);
    const error = doc?.components.schemas?.['Error'];
    if (!doc || !isObject(error)) continue;
    lines.push(
      `### ${v}`,
      '',
      tableText(str(error['description'])),
      '',
      exampleOf('Error', v),
      '```json',
      JSON.stringify(error['example'], null, 2),
      '```',
      '',
    );
  }
  lines.push('## What each patch changes', '');
  for (const [v, patch] of patches) {
    lines.push(`### ${v} (\`${patch.file}\`)`, '', ...patch.pointers.map((p) => `- \`${p}\``), '');
  }
  return lines.join('\n');
}
