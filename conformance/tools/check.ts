/**
 * `npm run docs:check`: fails when a generated file (docs/, docs/checks.md, the spec artefacts in spec/mock and
 * spec/compiled) and its source drift in either direction, and when a JSON example anywhere in docs/ does not
 * parse or does not fit its schema. A function of a repository root, so tests can run it on temporary copies.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { schemaErrors } from '../checks/schemas.js';
import { SPEC_VERSIONS, jsonSchemaFor, loadSpecsFrom, type SpecVersion } from '../spec.js';
import { unifiedDiff } from './diff.js';
import { CATALOGUE_FILE, generateAll, listGeneratedDirs } from './generate.js';

export type DocsProblemKind = 'drift' | 'missing' | 'extra' | 'json-parse' | 'json-schema';

export interface DocsProblem {
  readonly kind: DocsProblemKind;
  /** Repository-relative path, with `:line` for JSON blocks. */
  readonly where: string;
  readonly message: string;
}

const SCHEMA_NAMES = ['ClientTokens', 'ClientToken', 'Error'] as const;
type SchemaName = (typeof SCHEMA_NAMES)[number];

/** The command that regenerates a file. */
const regenerate = (file: string): string => (file.startsWith('spec/') ? 'npm run spec:build' : 'npm run docs');

/** What a generated file is generated from, for the messages. */
const sourceOf = (file: string): string => (file === CATALOGUE_FILE ? 'the check registry' : 'spec/');

/** Compares every generated file with the file on disk; the diff reads "committed → what its source generates". */
export function checkDrift(root: string): DocsProblem[] {
  const expected = generateAll(root);
  const problems: DocsProblem[] = [];
  for (const [file, content] of expected) {
    const path = join(root, file);
    if (!existsSync(path)) {
      problems.push({ kind: 'missing', where: file, message: `${file} is missing; run \`${regenerate(file)}\`` });
      continue;
    }
    const from = sourceOf(file);
    const diff = unifiedDiff(
      readFileSync(path, 'utf8'),
      content,
      `${file} (on disk)`,
      `${file} (generated from ${from})`,
    );
    if (diff !== '')
      problems.push({
        kind: 'drift',
        where: file,
        message:
          `${file} differs from what ${from} generates ` +
          `(hand edit, or ${from} changed without \`${regenerate(file)}\`):\n${diff}`,
      });
  }
  for (const file of listGeneratedDirs(root).filter((f) => !expected.has(f)))
    problems.push({
      kind: 'extra',
      where: file,
      message: `${file} is not generated from spec/; remove it or run \`${regenerate(file)}\``,
    });
  return problems;
}

export interface JsonBlock {
  readonly line: number;
  readonly text: string;
  /** From an `<!-- example-of: Name@version -->` marker on the line before the block. */
  readonly exampleOf?: { schema: string; version: string };
}

const MARKER = /^<!--\s*example-of:\s*(\w+)@([\d.]+)\s*-->\s*$/;

/**
 * The JSON blocks of a Markdown text: ```json fences and the upstream format's plain fences whose first
 * line is `json :`.
 */
export function jsonBlocks(markdown: string): JsonBlock[] {
  const lines = markdown.split('\n');
  const blocks: JsonBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,})\s*(\S*)\s*$/.exec(lines[i] ?? '');
    if (!fence) continue;
    const [, indent = '', ticks = '```', info = ''] = fence;
    let end = i + 1;
    while (end < lines.length && lines[end]?.trim() !== ticks) end++;
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
    const upstreamStyle = info === '' && body[0]?.trim() === 'json :';
    if (info.toLowerCase() === 'json' || upstreamStyle) {
      const marker = MARKER.exec(lines[i - 1]?.trim() ?? '');
      const text = (upstreamStyle ? body.slice(1) : body).join('\n');
      blocks.push(
        marker
          ? { line: i + 1, text, exampleOf: { schema: marker[1] ?? '', version: marker[2] ?? '' } }
          : { line: i + 1, text },
      );
    }
    i = end;
  }
  return blocks;
}

/** Which schema an unmarked example is, by its keys; undefined for other JSON (a request path, a schema). */
export function guessSchema(value: unknown): SchemaName | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.includes('tokens')) return 'ClientTokens';
  if (keys.includes('token')) return 'ClientToken';
  if (keys.includes('error')) return 'Error';
  return undefined;
}

type Validators = Map<string, ValidateFunction>; // key `${schema}@${version}`

function compileValidators(root: string): Validators {
  const ajv = new Ajv({ allErrors: true });
  const out: Validators = new Map();
  for (const [version, doc] of loadSpecsFrom(root))
    for (const name of SCHEMA_NAMES) out.set(`${name}@${version}`, ajv.compile(jsonSchemaFor(doc, name)));
  return out;
}

function checkBlock(file: string, block: JsonBlock, validators: Validators): DocsProblem | undefined {
  const where = `${file}:${block.line}`;
  let value: unknown;
  try {
    value = JSON.parse(block.text);
  } catch (e) {
    return { kind: 'json-parse', where, message: `${where}: JSON example does not parse: ${(e as Error).message}` };
  }
  if (block.exampleOf) {
    const key = `${block.exampleOf.schema}@${block.exampleOf.version}`;
    const validate = validators.get(key);
    if (!validate)
      return { kind: 'json-schema', where, message: `${where}: example-of marker names unknown schema ${key}` };
    return validate(value)
      ? undefined
      : { kind: 'json-schema', where, message: `${where}: not a valid ${key}: ${schemaErrors(validate)}` };
  }
  // Unmarked hand-written examples may show any version: they must fit the schema of at least one.
  const name = guessSchema(value);
  if (name === undefined) return undefined;
  const fits = SPEC_VERSIONS.some((v: SpecVersion) => validators.get(`${name}@${v}`)?.(value) === true);
  if (fits) return undefined;
  const base = validators.get(`${name}@17.06`);
  return {
    kind: 'json-schema',
    where,
    message: `${where}: not a valid ${name} of any version (17.06: ${base ? schemaErrors(base) : '?'})`,
  };
}

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'html' ? [] : markdownFiles(path); // docs/html is rendered output
    return e.name.endsWith('.md') ? [path] : [];
  });
}

/** Every JSON block of every Markdown file under docs/ parses, and every example fits its schema. */
export function checkJsonExamples(root: string): DocsProblem[] {
  const validators = compileValidators(root);
  return markdownFiles(join(root, 'docs')).flatMap((path) => {
    const file = relative(root, path);
    return jsonBlocks(readFileSync(path, 'utf8'))
      .map((b) => checkBlock(file, b, validators))
      .filter((p): p is DocsProblem => p !== undefined);
  });
}

export function checkDocs(root: string): DocsProblem[] {
  return [...checkDrift(root), ...checkJsonExamples(root)];
}
