import { createHash } from 'node:crypto';

/**
 * Masks the run's secrets in everything that leaves the process (console, reports). It knows the secrets
 * the run was given or saw (passwords, `user:pass` in base64, every token) and, as a safety net for secrets it
 * was never told about, two generic patterns: Onedata tokens (`MDAx…`, `MDAy…`, …: the base62 form of a V1 macaroon's
 * first packet header, whose fourth character grows with the domain's length) and long base64url runs.
 *
 * A token is replaced by `[REDACTED token #abcd1234]`: a short hash, not the token's last characters, because
 * any literal part of a signature helps an attacker while a hash still lets a reader see that two exchanges
 * used the same token.
 */
/**
 * Broader than checks/onedata-token.ts's decoding test on purpose: masking a run that only looks like a token
 * costs nothing, missing a `MDAy…` token of an 18–33-character domain leaks it.
 */
const ONEDATA_TOKEN = /MD[AB][A-Za-z0-9]{20,}/g;
/**
 * Long runs of base64url characters: tokens in unescaped form, keys. Not `/`: URL paths are evidence and
 * would match (Basic values, which may contain `/`, are registered literally instead).
 */
const LONG_BASE64 = /[A-Za-z0-9_-]{40,}/g;
/**
 * Secrets shorter than this are masked only where they stand as a whole value (a quoted string, `=value`):
 * masking a two-letter password inside every word would shred every message, and printing it is a leak.
 */
const MIN_SECRET_LENGTH = 4;
/**
 * A prefix or suffix of a secret at least half its length (and at least this many characters) is masked and
 * found too. secrets-no-password fails on what is found, so a piece must not occur by chance: a list of
 * 100,000 random base62 tokens holds ~1.5·10^7 runs of any length, against 62^6 ≈ 5.7·10^10 six-character
 * strings (a false alarm in a few hundred runs) but 62^8 ≈ 2.2·10^14 eight-character ones.
 */
const MIN_PARTIAL = 8;
/** Base64 and hex spellings shorter than this are not searched: a run of random tokens contains them by chance. */
const MIN_ENCODED = 8;

export const fingerprint = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 8);

/** A token-shaped run: base62, base64url. Registered tokens are looked up by run, not searched one by one. */
const RUN = /[A-Za-z0-9_-]{8,}/g;
const RUN_ONLY = /^[A-Za-z0-9_-]{8,}$/;

/** How a secret was written where it was found. */
export type SpellingKind = 'raw' | 'json-escape' | 'url-encoded' | 'html-entity' | 'base64' | 'hex' | 'partial';

export interface SecretSpelling {
  readonly kind: SpellingKind;
  readonly index: number;
  readonly length: number;
}

/** Options of one registered secret. */
export interface SpellingOptions {
  /** Find a long prefix or suffix too (passwords, tokens; not derived values such as a Basic header). */
  readonly partials: boolean;
  /** Find base64 and hex encodings too. */
  readonly encodings: boolean;
  /**
   * Find it only where it stands as a whole value (a quoted string, `=value`), as secrets shorter than
   * MIN_SECRET_LENGTH always are: for short generated wrong passwords, which would otherwise be "found" in words.
   */
  readonly wholeValueOnly?: boolean;
}

const FULL: SpellingOptions = { partials: true, encodings: true };

/**
 * A secret as a final scrubber must search it to agree with the redactor: a value, or a short generated wrong
 * password that is searched only where it stands as a whole value (Redactor.addDerivedPassword).
 */
export type ListedSecret = string | { readonly value: string; readonly wholeValueOnly: true };

export const listedValue = (s: ListedSecret): string => (typeof s === 'string' ? s : s.value);

/**
 * Every place where `text` holds `secret` in one of the spellings a server, a formatter or an attacker would
 * use: raw; JSON/JS string escapes (`\u00e4`, all-`\uXXXX`, `\"`, `\x61`, at any nesting depth, mixed with
 * plain characters); URL-encoded (`%C3%A4`, `+`); HTML/XML entities (`&#228;`, `&#xE4;`, `&quot;`,
 * `&amp;quot;`); a Markdown backslash before punctuation; base64 and base64url (at any byte offset, so also
 * inside a larger encoded value); hex; and a prefix or suffix of at least half of it. Secrets of fewer than
 * four characters are found only as a whole value (quoted, or after `=`). The redactor masks exactly what this
 * finds, the final scrubber refuses what it finds, and `secrets-no-password` fails on it: one definition.
 */
export function findSecretSpellings(text: string, secret: string): SecretSpelling[] {
  return spellingsOf(secret)
    .find(text)
    .map(({ kind, index, length }) => ({ kind, index, length }));
}

/** `text` with every spelling of `secret` findSecretSpellings finds replaced by `mask`. */
export function maskSecretSpellings(text: string, secret: string, mask: string): string {
  return spellingsOf(secret).mask(text, mask);
}

const SINGLES = new Map<string, SecretSpellings>();
const SINGLES_CACHE_LIMIT = 256;

function spellingsOf(secret: string): SecretSpellings {
  let s = SINGLES.get(secret);
  if (!s) {
    if (SINGLES.size >= SINGLES_CACHE_LIMIT) SINGLES.clear();
    s = new SecretSpellings([secret]);
    SINGLES.set(secret, s);
  }
  return s;
}

/** Characters that start an escaped spelling; a text without any holds a secret only raw (or encoded). */
const ESCAPE_INTRO = /[\\%&+]/;

/**
 * The canonical decoding below reads `%41`, `\n`, `&amp;` or `+` one way, and a secret with one of these
 * characters may be spelled the other way: it is chosen by a stretch without them (seedOf).
 */
const AMBIGUOUS_CHAR = /[\\%&+]/;
/**
 * The leading characters of a secret that a stray escape just before it could complete and swallow in the
 * canonical decoding (`%4` + `1…`, `\u00` + `41…`, `\` + `n…`, `&#6` + `5;…`): such a secret is also sought
 * without them.
 */
const SWALLOWABLE = /^(?:(?:[#0-9A-Za-z]*;)+|[uU]?[0-9a-fA-F]{1,4}|[xX][0-9a-fA-F]{1,2}|[nrtbf])/;

/** A hit of one registered secret, with its position in the set. */
export interface SecretHit extends SecretSpelling {
  readonly secret: number;
}

interface Entry {
  readonly index: number;
  readonly secret: string;
  readonly mask: string;
  /** Found only as a whole value. */
  readonly short: boolean;
  /** Registered so (the others are short by their length alone). */
  readonly wholeValueOnly: boolean;
  /** Its halves, when it has any (partials and long enough). */
  readonly parts: readonly string[];
  /** Searched by its exact patterns in every text with an escape (see AMBIGUOUS_CHAR). */
  readonly ambiguous: boolean;
  /** The exact patterns (escaped spellings of the secret and its halves), built on first need. */
  patterns?: ReadonlyArray<readonly [RegExp, 'whole' | 'partial']>;
}

interface Form {
  readonly text: string;
  readonly entry: Entry;
  readonly kind: SpellingKind;
  /** Not a hit itself: a short secret's raw value, which makes its exact (whole-value) pattern worth running. */
  readonly seedOnly?: boolean;
}

/**
 * Literal strings indexed by their first two characters: one pass over a text finds every one of them,
 * whatever their number, and adding one costs nothing (a combined RegExp would be recompiled on each of the
 * hundreds of additions a run makes between its redactions). Every indexed string has two characters or more.
 */
/** Buckets of a FormIndex, by a hash of two characters: enough to keep most positions of a text bucket-less. */
const BUCKETS = 1 << 12;

/**
 * A bucket holding more strings than this is searched by bisection in its sorted strings: the wrong passwords
 * made from one real password share their first characters, so hundreds of them fall into one bucket.
 */
const LINEAR_BUCKET = 16;

interface Bucket {
  readonly forms: Form[];
  /** The longest string in it. */
  longest: number;
  /** Sorted by text since the last addition (only kept up for big buckets). */
  sorted: boolean;
}

const byText = (a: Form, b: Form): number => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);

class FormIndex {
  /** Allocated on the first addition: most sets leave some of their indexes empty. */
  #buckets: Array<Bucket | undefined> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(form: Form): void {
    const buckets = (this.#buckets ??= new Array<Bucket | undefined>(BUCKETS).fill(undefined));
    const key = ((form.text.charCodeAt(0) << 6) ^ form.text.charCodeAt(1)) & (BUCKETS - 1);
    const bucket = buckets[key];
    if (bucket) {
      bucket.forms.push(form);
      bucket.longest = Math.max(bucket.longest, form.text.length);
      bucket.sorted = false;
    } else buckets[key] = { forms: [form], longest: form.text.length, sorted: false };
    this.#size++;
  }

  /** Calls `hit` for every indexed string occurring in `text`, at each place it occurs. */
  scan(text: string, hit: (form: Form, index: number) => void): void {
    const buckets = this.#buckets;
    if (buckets === undefined || text.length < 2) return;
    const last = text.length - 1;
    let next = text.charCodeAt(0);
    for (let i = 0; i < last; i++) {
      const key = ((next << 6) ^ (next = text.charCodeAt(i + 1))) & (BUCKETS - 1);
      const bucket = buckets[key];
      if (bucket === undefined) continue;
      if (bucket.forms.length <= LINEAR_BUCKET) {
        for (const form of bucket.forms) if (text.startsWith(form.text, i)) hit(form, i);
      } else {
        bisect(bucket, text, i, hit);
      }
    }
  }
}

/**
 * Every string of a big bucket that `text` holds at `at`. Those strings are prefixes of `s` (the text from
 * there); the largest string not above `s` is one of them, or shares with `s` a prefix that all of them are
 * prefixes of: so each step either reports one or shortens `s`, a few bisections per position.
 */
function bisect(bucket: Bucket, text: string, at: number, hit: (form: Form, index: number) => void): void {
  const forms = bucket.forms;
  if (!bucket.sorted) {
    forms.sort(byText);
    bucket.sorted = true;
  }
  let s = text.slice(at, at + bucket.longest);
  let end = forms.length;
  while (end > 0 && s.length >= 2) {
    let lo = 0;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((forms[mid]?.text ?? '') <= s) lo = mid + 1;
      else hi = mid;
    }
    const found = forms[lo - 1]?.text;
    if (found === undefined) return;
    let common = 0;
    const n = Math.min(found.length, s.length);
    while (common < n && found.charCodeAt(common) === s.charCodeAt(common)) common++;
    if (common === found.length) {
      let k = lo - 1;
      for (let f = forms[k]; f !== undefined && f.text === found; f = forms[--k]) hit(f, at);
      end = k + 1;
      s = found.slice(0, -1);
    } else {
      end = lo - 1;
      s = s.slice(0, common);
    }
  }
}

/**
 * A set of secrets searched together in every spelling findSecretSpellings documents: one pass over a text
 * for all of them. Plain forms (raw, base64, hex, halves) are found through one index; escaped spellings
 * only in a text that has an escape, and then only for the secrets whose raw form or half appears in the
 * text's canonical decoding (or whose characters make that decoding ambiguous), by their exact patterns.
 */
export class SecretSpellings {
  readonly #entries: Entry[] = [];
  readonly #byValue = new Map<string, Entry>();
  /** Forms found as they are: the raw secret and halves (unless short), their base64 and hex. */
  readonly #plain = new FormIndex();
  /** Raw secrets and halves, sought in a text's canonical decoding to pick the exact patterns to run. */
  readonly #seeds = new FormIndex();
  /** Secrets of one character: too short to index, so their exact pattern always runs. */
  readonly #tiny: Entry[] = [];
  readonly #ambiguous: Entry[] = [];

  constructor(secrets: readonly ListedSecret[] = [], mask = '[REDACTED secret]') {
    for (const s of secrets) {
      if (typeof s === 'string') this.add(s, mask);
      else this.add(s.value, mask, { partials: false, encodings: false, wholeValueOnly: true });
    }
  }

  get size(): number {
    return this.#entries.length;
  }

  has(secret: string): boolean {
    return this.#byValue.has(secret);
  }

  /** The position of a secret in the set (-1 if absent): hits name their secret by it. */
  indexOf(secret: string): number {
    return this.#byValue.get(secret)?.index ?? -1;
  }

  /** Every secret, in the order added. */
  secrets(): string[] {
    return this.#entries.map((e) => e.secret);
  }

  /** Every secret as another set must search it to find what this one finds (see ListedSecret). */
  listed(): ListedSecret[] {
    return this.#entries.map((e) => (e.wholeValueOnly ? { value: e.secret, wholeValueOnly: true } : e.secret));
  }

  /**
   * Adds a secret (a second registration of the same value keeps the first) and returns its position. The
   * empty string is never a secret: it returns -1.
   */
  add(secret: string, mask: string, opts: SpellingOptions = FULL): number {
    if (secret === '') return -1;
    const known = this.#byValue.get(secret);
    if (known) return known.index;
    const chars = Array.from(secret);
    const short = chars.length < MIN_SECRET_LENGTH || opts.wholeValueOnly === true;
    const partLength = Math.max(Math.ceil(chars.length / 2), MIN_PARTIAL);
    const parts =
      !short && opts.partials && partLength < chars.length
        ? [chars.slice(0, partLength).join(''), chars.slice(-partLength).join('')]
        : [];
    // What the canonical decoding of a text holding a spelling of the secret or of a half of it must contain.
    const seeds = new Set<string>();
    let ambiguous = false;
    for (const p of short ? [secret] : [secret, ...parts]) {
      const seed = short ? (AMBIGUOUS_CHAR.test(p) ? undefined : p) : seedOf(p);
      if (seed === undefined) ambiguous = true;
      else seeds.add(seed);
    }
    const wholeValueOnly = opts.wholeValueOnly === true;
    const entry: Entry = { index: this.#entries.length, secret, mask, short, wholeValueOnly, parts, ambiguous };
    this.#entries.push(entry);
    this.#byValue.set(secret, entry);
    if (secret.length < 2) {
      this.#tiny.push(entry);
      return entry.index;
    }
    if (ambiguous) this.#ambiguous.push(entry);
    for (const text of seeds) this.#seeds.add({ text, entry, kind: 'raw' });
    if (short) {
      this.#plain.add({ text: secret, entry, kind: 'raw', seedOnly: true });
      return entry.index;
    }
    const forms = new Map<string, SpellingKind>();
    // Parts first, so that the whole secret's own forms overwrite a part that happens to equal one.
    for (const p of parts) {
      forms.set(p, 'partial');
      if (opts.encodings) for (const [, form] of encodedForms(p)) forms.set(form, 'partial');
    }
    if (opts.encodings) for (const [kind, form] of encodedForms(secret)) forms.set(form, kind);
    forms.set(secret, 'raw');
    for (const [text, kind] of forms) this.#plain.add({ text, entry, kind });
    return entry.index;
  }

  /** Every spelling of every secret in `text`, in text order; overlapping hits of one secret are merged. */
  find(text: string): SecretHit[] {
    if (this.#entries.length === 0 || text === '') return [];
    // Allocated only when something is found: most texts hold no secret.
    let perEntry: Map<Entry, SecretSpelling[]> | undefined;
    let exact: Set<Entry> | undefined = this.#tiny.length > 0 ? new Set(this.#tiny) : undefined;
    const push = (entry: Entry, hit: SecretSpelling): void => {
      perEntry ??= new Map();
      const list = perEntry.get(entry);
      if (list) list.push(hit);
      else perEntry.set(entry, [hit]);
    };
    const choose = (f: Form): void => {
      (exact ??= new Set()).add(f.entry);
    };
    this.#plain.scan(text, (f, index) => {
      if (f.seedOnly === true) choose(f);
      else push(f.entry, { kind: f.kind, index, length: f.text.length });
    });
    // Without an escape character in the text, the escaped spellings can only match the raw forms found above.
    if (ESCAPE_INTRO.test(text)) {
      for (const e of this.#ambiguous) (exact ??= new Set()).add(e);
      this.#seeds.scan(canonicalDecoding(text), choose);
    }
    if (exact) {
      for (const entry of exact) {
        for (const [re, what] of patternsOf(entry)) {
          for (const m of text.matchAll(re)) {
            const kind = what === 'partial' ? 'partial' : classify(m[0], entry.secret);
            push(entry, { kind, index: m.index, length: m[0].length });
          }
        }
      }
    }
    if (!perEntry) return [];
    const hits: SecretHit[] = [];
    for (const [entry, list] of perEntry) for (const h of outermost(list)) hits.push({ ...h, secret: entry.index });
    return hits.sort((a, b) => a.index - b.index || b.length - a.length);
  }

  /**
   * `text` with every spelling of every secret replaced by its mask (or `mask` when given). Overlapping hits of
   * different secrets become one span, masked by the longest hit's mask: no character of either survives.
   */
  mask(text: string, mask?: string): string {
    const hits = this.find(text);
    if (hits.length === 0) return text;
    let out = '';
    let at = 0;
    let span: { start: number; end: number; hit: SecretHit } | undefined;
    const flush = (): void => {
      if (!span) return;
      out += text.slice(at, span.start) + (mask ?? this.#entries[span.hit.secret]?.mask ?? '[REDACTED]');
      at = span.end;
    };
    for (const h of hits) {
      if (span && h.index < span.end) {
        if (h.index + h.length > span.end) span.end = h.index + h.length;
        if (h.length > span.hit.length) span.hit = h;
        continue;
      }
      flush();
      span = { start: h.index, end: h.index + h.length, hit: h };
    }
    flush();
    return out + text.slice(at);
  }
}

/**
 * The longest stretch of `pattern` that the canonical decoding of any spelling of it is sure to show: no `\ % & +`
 * (read one way by the decoding), and without the first characters an escape just before it could swallow.
 * Undefined when none has four characters: too short to choose by, the pattern is then always run.
 */
function seedOf(pattern: string): string | undefined {
  let best: string | undefined;
  for (const [stretch] of pattern.matchAll(/[^\\%&+]+/g)) {
    const seed = stretch.slice(SWALLOWABLE.exec(stretch)?.[0].length ?? 0);
    if (seed.length >= MIN_SECRET_LENGTH && seed.length > (best?.length ?? 0)) best = seed;
  }
  return best;
}

/** The exact patterns of one secret: whole (only as a whole value if short) and halves, in escaped spellings. */
function patternsOf(entry: Entry): ReadonlyArray<readonly [RegExp, 'whole' | 'partial']> {
  if (entry.patterns) return entry.patterns;
  const spelled = (text: string): string => Array.from(text).map(charPattern).join('');
  entry.patterns = entry.short
    ? [[new RegExp(`(?<=^|["'=>;])(?:${spelled(entry.secret)})(?=$|["'&<;\\\\\\s])`, 'g'), 'whole']]
    : [
        [new RegExp(spelled(entry.secret), 'g'), 'whole'],
        ...entry.parts.map((p) => [new RegExp(spelled(p), 'g'), 'partial'] as const),
      ];
  return entry.patterns;
}

/**
 * One reading of a text's escapes (JSON/JS `\uXXXX`, `\xXX` and short escapes at any nesting depth, URL
 * `%XX` and `+`, HTML/XML entities at any `&amp;` depth): only used to decide which secrets' exact patterns
 * are worth running on the text itself, never to report positions.
 */
const ESCAPE_UNIT =
  /(?:%[0-9a-fA-F]{2})+|(?:\\+x[0-9a-fA-F]{2})+|\\+u([0-9a-fA-F]{4})|\\+([^\\%&+])|&(?:amp;)*#(?:0*(\d{1,7})|[xX]0*([0-9a-fA-F]{1,6}));|&(?:amp;)*(amp|lt|gt|quot|apos);|\+/g;
const SHORT_ESCAPE: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
const NAMED_ENTITY: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function canonicalDecoding(text: string): string {
  return text.replace(
    ESCAPE_UNIT,
    (m, u?: string, after?: string, dec?: string, hex?: string, named?: string): string => {
      if (u !== undefined) return String.fromCharCode(parseInt(u, 16));
      if (after !== undefined) return SHORT_ESCAPE[after] ?? (PUNCTUATION.test(after) ? after : `\\${after}`);
      if (dec !== undefined || hex !== undefined) {
        const cp = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
      }
      if (named !== undefined) return NAMED_ENTITY[named] ?? m;
      if (m === '+') return ' ';
      // A run of %XX or \xXX: UTF-8 bytes.
      return Buffer.from(m.replace(/[^0-9a-fA-F]/g, ''), 'hex').toString('utf8');
    },
  );
}

/** Hits in text order, without those inside (or overlapping) an earlier, longer one. */
function outermost(hits: SecretSpelling[]): SecretSpelling[] {
  hits.sort((a, b) => a.index - b.index || b.length - a.length);
  const out: SecretSpelling[] = [];
  let end = -1;
  for (const h of hits) {
    if (h.index < end) {
      const last = out[out.length - 1];
      // Overlapping hits become one span, so that no character of either survives a replacement.
      if (last && h.index + h.length > end) {
        out[out.length - 1] = { ...last, length: h.index + h.length - last.index };
        end = h.index + h.length;
      }
      continue;
    }
    out.push(h);
    end = h.index + h.length;
  }
  return out;
}

function classify(found: string, secret: string): SpellingKind {
  if (found === secret) return 'raw';
  if (/\\+(?:u[0-9a-f]{4}|x[0-9a-f]{2}|["\\/bfnrt])/i.test(found)) return 'json-escape';
  if (/%[0-9a-f]{2}|\+/i.test(found)) return 'url-encoded';
  if (/&(?:amp;)*(?:#|[a-z]+;)/i.test(found)) return 'html-entity';
  return 'raw';
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
/** A hex number matched in either case. */
const hexCi = (hex: string): string => hex.replace(/[a-f]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
const hex2 = (b: number): string => b.toString(16).padStart(2, '0');
const JSON_SHORT: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  '\n': 'n',
  '\r': 'r',
  '\t': 't',
  '\b': 'b',
  '\f': 'f',
};
const HTML_NAMED: Readonly<Record<string, string>> = { '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' };
const PUNCTUATION = /^[!-/:-@[-`{-~]$/;

/** One character of a secret in every spelling it may take, as a regular-expression alternation. */
function charPattern(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const units = ch.length === 2 ? [ch.charCodeAt(0), ch.charCodeAt(1)] : [cp];
  const bytes = [...Buffer.from(ch, 'utf8')];
  // JSON and JS escapes at any nesting depth: a JSON body inside report.json is escaped twice.
  const alts = new Set<string>([
    (PUNCTUATION.test(ch) ? '\\\\*' : '') + escapeRe(ch),
    units.map((u) => `\\\\+u${hexCi(u.toString(16).padStart(4, '0'))}`).join(''),
    bytes.map((b) => `\\\\+x${hexCi(hex2(b))}`).join(''),
    bytes.map((b) => `%${hexCi(hex2(b))}`).join(''),
    `&(?:amp;)*#0*${cp};`,
    `&(?:amp;)*#[xX]0*${hexCi(cp.toString(16))};`,
  ]);
  const short = JSON_SHORT[ch];
  if (short !== undefined) alts.add(`\\\\+${escapeRe(short)}`);
  const named = HTML_NAMED[ch];
  if (named !== undefined) alts.add(`&(?:amp;)*${named};`);
  if (ch === ' ') alts.add('\\+');
  return `(?:${[...alts].join('|')})`;
}

/** Base64 (standard and URL alphabet, at each of the three byte offsets) and hex forms of a secret. */
function encodedForms(secret: string): Array<readonly [SpellingKind, string]> {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Map<string, SpellingKind>();
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    // Only the characters made of the secret's bits alone: the rest depend on what surrounds it.
    const core = encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    forms.set(core, 'base64');
    forms.set(core.replace(/\+/g, '-').replace(/\//g, '_'), 'base64');
  }
  const hex = bytes.toString('hex');
  forms.set(hex, 'hex');
  forms.set(hex.toUpperCase(), 'hex');
  return [...forms].filter(([form]) => form.length >= MIN_ENCODED).map(([form, kind]) => [kind, form] as const);
}

/**
 * A run of token characters, some of them escaped (`\u0041`, `%41`, `&#65;`): a token a server spelled so
 * that no plain search would see it. Decoded, then judged like a plain run.
 */
const SPELLED_RUN =
  /(?:[A-Za-z0-9_-]|\\+u00[2-7][0-9a-fA-F]|%[2-7][0-9a-fA-F]|&(?:amp;)*#(?:0*\d{2,3}|[xX]0*[2-7][0-9a-fA-F]);)+/g;
const SPELLED_UNIT =
  /[A-Za-z0-9_-]|\\+u00([0-9a-fA-F]{2})|%([0-9a-fA-F]{2})|&(?:amp;)*#(?:0*(\d+)|[xX]0*([0-9a-fA-F]+));/g;
const TOKEN_CHAR = /^[A-Za-z0-9_-]$/;

/**
 * A generated wrong password (or a short token) shorter than this is not registered. It is a piece of the real
 * password of at most three characters (a prefix, a truncation): it tells an attacker no more than a guess
 * would, while masking it, even only as a whole value, would hide single letters, digits and short words all
 * over a report.
 */
const MIN_DERIVED = MIN_SECRET_LENGTH;

export class Redactor {
  /**
   * Secrets searched in every spelling (passwords, Basic values, generated wrong passwords, odd tokens), all
   * in one pass over a text whatever their number.
   */
  readonly #literal = new SecretSpellings();
  /**
   * Token-shaped secrets, found by one pass over the text and a map lookup: a run against a 10,000-token
   * list registers 10,000 tokens, and searching each one through megabytes would take minutes.
   */
  readonly #runs = new Map<string, string | null>();

  /** Registers a password; its Basic encodings with any known user name are added by addCredentials. */
  addPassword(password: string): void {
    this.#literal.add(password, '[REDACTED password]');
  }

  /**
   * Registers a wrong password the run made from a real one (case changed, cut, truncated to 8 characters, a
   * look-alike letter, a `:` inside, a suffix): echoed by a server it shows most of the real password, so it
   * is masked as a password is, in every spelling. From 4 to 7 characters it is masked only where it stands as
   * a whole value (inside words a piece of that length occurs by chance); below that not at all (MIN_DERIVED).
   * A token used as a wrong password keeps its token mask. Never give it a whole Authorization value: its
   * scheme is no secret (half of `Basic Og==` was the `Basic ` of every check title naming the scheme).
   */
  addDerivedPassword(value: string): void {
    const short = shortValueOptions(value);
    if (short === 'skip' || this.#runs.has(value)) return;
    this.#literal.add(value, '[REDACTED password]', short ?? FULL);
  }

  addCredentials(name: string, password: string): void {
    this.addPassword(password);
    // The Basic value is derived: a piece of it is the user name's base64, not a secret.
    this.#literal.add(Buffer.from(`${name}:${password}`).toString('base64'), '[REDACTED basic]', {
      partials: false,
      encodings: false,
    });
  }

  addToken(token: string): void {
    // Every list response re-registers its tokens: hashing 10,000 of them per response was the run's
    // largest cost with long lists, and the mask of a token never changes.
    if (token === '' || this.#runs.has(token) || this.#literal.has(token)) return;
    // A token-shaped one gets its mask (a SHA-256) when first found: 100,000 listed tokens took 0.14 s to hash.
    if (RUN_ONLY.test(token)) this.#runs.set(token, null);
    else {
      const short = shortValueOptions(token);
      if (short !== 'skip') this.#literal.add(token, tokenMask(token), short ?? FULL);
    }
  }

  /** The mask of a registered token-shaped run, undefined if the run is none. */
  #runMask(run: string): string | undefined {
    const mask = this.#runs.get(run);
    if (mask !== null) return mask;
    const made = tokenMask(run);
    this.#runs.set(run, made);
    return made;
  }

  /** Every secret registered so far. */
  secrets(): string[] {
    return [...this.#literal.secrets(), ...this.#runs.keys()];
  }

  /**
   * The credentials (passwords, Basic values) for a final scrubber such as writeReports' secrets list. Not
   * the tokens: a 10,000-token run would make that scrubber search every file 10,000 times, and tokens are
   * caught by the Onedata pattern anyway.
   */
  credentials(): ListedSecret[] {
    return this.#literal.listed();
  }

  /**
   * The same credentials as the search the redactor itself runs (read it, do not add to it): a final scrubber
   * given this finds exactly what the redactor masks, with no second index to build.
   */
  credentialSpellings(): SecretSpellings {
    return this.#literal;
  }

  redact(text: string): string {
    let out = this.#literal.mask(text);
    if (ESCAPE_INTRO.test(out)) out = out.replace(SPELLED_RUN, (run) => this.#spelledRun(run));
    // One pass over the token-shaped runs: a registered token, else the Onedata and long-run patterns, which
    // can only match inside such a run.
    return out.replace(RUN, (run) => this.#runMask(run) ?? byPattern(run));
  }

  /** A run with escaped characters: each stretch that decodes to a token-shaped run is judged decoded. */
  #spelledRun(run: string): string {
    if (!/[\\%&]/.test(run)) return run;
    let out = '';
    let group = { raw: '', decoded: '' };
    const flush = (): void => {
      out += this.#judgeDecoded(group.raw, group.decoded);
      group = { raw: '', decoded: '' };
    };
    for (const m of run.matchAll(SPELLED_UNIT)) {
      const code = m[1] ?? m[2] ?? m[4];
      const ch =
        code !== undefined
          ? String.fromCharCode(parseInt(code, 16))
          : m[3] !== undefined
            ? String.fromCharCode(Number(m[3]))
            : m[0];
      if (TOKEN_CHAR.test(ch)) {
        group.raw += m[0];
        group.decoded += ch;
      } else {
        flush();
        out += m[0];
      }
    }
    flush();
    return out;
  }

  #judgeDecoded(raw: string, decoded: string): string {
    if (raw === decoded) return raw; // no escape inside: the plain passes below judge it
    const known = this.#runMask(decoded);
    if (known !== undefined) return known;
    if (/MD[AB][A-Za-z0-9]{20,}/.test(decoded)) return tokenMask(decoded);
    if (decoded.length >= 40) return `[REDACTED #${fingerprint(decoded)}]`;
    return raw;
  }
}

/**
 * How a value the run made up is searched when it is short: from 4 to 7 characters only as a whole value
 * (inside words such a piece occurs by chance: a garbage token `valu` masked every "value"), below 4 not at all
 * (`'skip'`: a garbage token `4` was "found" in every count of report.html); undefined when it is long enough to
 * be searched in every spelling. No Onedata token is this short.
 */
function shortValueOptions(value: string): SpellingOptions | 'skip' | undefined {
  const chars = Array.from(value).length;
  if (chars >= MIN_PARTIAL) return undefined;
  return chars < MIN_DERIVED ? 'skip' : { partials: false, encodings: false, wholeValueOnly: true };
}

const tokenMask = (token: string): string => `[REDACTED token #${fingerprint(token)}]`;

/** An unregistered run: Onedata tokens inside it, then what is left of it if still a long base64url run. */
function byPattern(run: string): string {
  if (run.length < 23) return run;
  const tokensMasked = run.includes('MD') ? run.replace(ONEDATA_TOKEN, tokenMask) : run;
  return tokensMasked.replace(LONG_BASE64, (t) => `[REDACTED #${fingerprint(t)}]`);
}

/** Header values that are credentials whatever they contain. */
const SECRET_HEADERS = new Set([
  'authorization',
  'x-auth-token',
  'macaroon',
  'discharge-macaroons',
  'cookie',
  'set-cookie',
]);

export function redactHeaders(headers: Record<string, string>, redactor: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!SECRET_HEADERS.has(lower)) {
      out[lower] = redactor.redact(value);
      continue;
    }
    // Keep the scheme of an Authorization header: whether Basic or Bearer was sent is evidence, not a secret.
    const scheme = lower === 'authorization' ? /^(\S+)\s/.exec(value)?.[1] : undefined;
    out[lower] = scheme ? `${scheme} [REDACTED]` : '[REDACTED]';
  }
  return out;
}
