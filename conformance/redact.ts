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
  return spellerFor(secret).find(text);
}

/** `text` with every spelling of `secret` findSecretSpellings finds replaced by `mask`. */
export function maskSecretSpellings(text: string, secret: string, mask: string): string {
  return spellerFor(secret).replace(text, mask);
}

const SPELLERS = new Map<string, Speller>();
const SPELLER_CACHE_LIMIT = 256;

function spellerFor(secret: string): Speller {
  let s = SPELLERS.get(secret);
  if (!s) {
    if (SPELLERS.size >= SPELLER_CACHE_LIMIT) SPELLERS.clear();
    s = new Speller(secret, { partials: true, encodings: true });
    SPELLERS.set(secret, s);
  }
  return s;
}

/** Characters that start an escaped spelling; a text without any holds a secret only raw (or encoded). */
const ESCAPE_INTRO = /[\\%&+]/;

interface SpellerOptions {
  /** Find a long prefix or suffix too (passwords, tokens; not derived values such as a Basic header). */
  readonly partials: boolean;
  /** Find base64 and hex encodings too. */
  readonly encodings: boolean;
}

class Speller {
  readonly #secret: string;
  readonly #short: boolean;
  /** The secret and its parts in their escaped spellings (JSON, URL, HTML, mixed). */
  readonly #spelled: ReadonlyArray<readonly [RegExp, 'whole' | 'partial']>;
  /** Plain forms (raw, base64, hex; of the secret and its parts) in one alternation: one pass over the text. */
  readonly #forms: ReadonlyMap<string, SpellingKind>;
  readonly #plain: RegExp | undefined;

  constructor(secret: string, opts: SpellerOptions) {
    this.#secret = secret;
    const chars = Array.from(secret);
    this.#short = chars.length < MIN_SECRET_LENGTH;
    const spelled = (text: string): string => Array.from(text).map(charPattern).join('');
    if (this.#short) {
      this.#spelled = [[new RegExp(`(?<=^|["'=>;])(?:${spelled(secret)})(?=$|["'&<;\\\\\\s])`, 'g'), 'whole']];
      this.#forms = new Map();
      this.#plain = undefined;
      return;
    }
    const partLength = Math.max(Math.ceil(chars.length / 2), MIN_PARTIAL);
    const parts =
      opts.partials && partLength < chars.length
        ? [chars.slice(0, partLength).join(''), chars.slice(-partLength).join('')]
        : [];
    this.#spelled = [
      [new RegExp(spelled(secret), 'g'), 'whole'],
      ...parts.map((p) => [new RegExp(spelled(p), 'g'), 'partial'] as const),
    ];
    const forms = new Map<string, SpellingKind>();
    // Parts first, so that the whole secret's own forms overwrite a part that happens to equal one.
    for (const p of parts) {
      forms.set(p, 'partial');
      if (opts.encodings) for (const [, form] of encodedForms(p)) forms.set(form, 'partial');
    }
    if (opts.encodings) for (const [kind, form] of encodedForms(secret)) forms.set(form, kind);
    forms.set(secret, 'raw');
    this.#forms = forms;
    // Longest first: an alternation takes the first alternative that matches at a position.
    const alternatives = [...forms.keys()].sort((a, b) => b.length - a.length).map(escapeRe);
    this.#plain = new RegExp(alternatives.join('|'), 'g');
  }

  find(text: string): SecretSpelling[] {
    if (this.#secret === '') return [];
    const hits: SecretSpelling[] = [];
    if (this.#plain) {
      for (const m of text.matchAll(this.#plain)) {
        hits.push({ kind: this.#forms.get(m[0]) ?? 'raw', index: m.index, length: m[0].length });
      }
    }
    // Without an escape character in the text, the escaped spellings can only match the raw forms found above.
    if (this.#short || ESCAPE_INTRO.test(text)) {
      for (const [re, what] of this.#spelled) {
        for (const m of text.matchAll(re)) {
          const kind = what === 'partial' ? 'partial' : classify(m[0], this.#secret);
          hits.push({ kind, index: m.index, length: m[0].length });
        }
      }
    }
    return outermost(hits);
  }

  /** `text` with every spelling of the secret replaced by `mask`. */
  replace(text: string, mask: string): string {
    const hits = this.find(text);
    if (hits.length === 0) return text;
    let out = '';
    let at = 0;
    for (const h of hits) {
      out += text.slice(at, h.index) + mask;
      at = h.index + h.length;
    }
    return out + text.slice(at);
  }
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

export class Redactor {
  /** Secrets searched by spelling (passwords, Basic values, odd tokens): few, so one search each is cheap. */
  readonly #literal = new Map<string, { mask: string; speller: Speller }>();
  /**
   * Token-shaped secrets, found by one pass over the text and a map lookup: a run against a 10,000-token
   * list registers 10,000 tokens, and searching each one through megabytes would take minutes.
   */
  readonly #runs = new Map<string, string>();

  /** Registers a password; its Basic encodings with any known user name are added by addCredentials. */
  addPassword(password: string): void {
    this.#add(password, '[REDACTED password]', false, { partials: true, encodings: true });
  }

  addCredentials(name: string, password: string): void {
    this.addPassword(password);
    // The Basic value is derived: a piece of it is the user name's base64, not a secret.
    this.#add(Buffer.from(`${name}:${password}`).toString('base64'), '[REDACTED basic]', false, {
      partials: false,
      encodings: false,
    });
  }

  addToken(token: string): void {
    // Every list response re-registers its tokens: hashing 10,000 of them per response was the run's
    // largest cost with long lists, and the mask of a token never changes.
    if (this.#runs.has(token) || this.#literal.has(token)) return;
    this.#add(token, `[REDACTED token #${fingerprint(token)}]`, true, { partials: true, encodings: true });
  }

  /** Every secret registered so far. */
  secrets(): string[] {
    return [...this.#literal.keys(), ...this.#runs.keys()];
  }

  /**
   * The credentials (passwords, Basic values) for a final scrubber such as writeReports' secrets list. Not
   * the tokens: a 10,000-token run would make that scrubber search every file 10,000 times, and tokens are
   * caught by the Onedata pattern anyway.
   */
  credentials(): string[] {
    return [...this.#literal.keys()];
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so that a secret containing a shorter one is masked as a whole.
    for (const [, { mask, speller }] of [...this.#literal].sort((a, b) => b[0].length - a[0].length)) {
      out = speller.replace(out, mask);
    }
    if (ESCAPE_INTRO.test(out)) out = out.replace(SPELLED_RUN, (run) => this.#spelledRun(run));
    if (this.#runs.size > 0) out = out.replace(RUN, (run) => this.#runs.get(run) ?? run);
    out = out.replace(ONEDATA_TOKEN, (t) => `[REDACTED token #${fingerprint(t)}]`);
    return out.replace(LONG_BASE64, (t) => `[REDACTED #${fingerprint(t)}]`);
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
    const known = this.#runs.get(decoded);
    if (known !== undefined) return known;
    if (/MD[AB][A-Za-z0-9]{20,}/.test(decoded)) return `[REDACTED token #${fingerprint(decoded)}]`;
    if (decoded.length >= 40) return `[REDACTED #${fingerprint(decoded)}]`;
    return raw;
  }

  #add(secret: string, mask: string, tokenLike: boolean, opts: SpellerOptions): void {
    if (secret === '') return;
    if (tokenLike && RUN_ONLY.test(secret)) this.#runs.set(secret, mask);
    else this.#literal.set(secret, { mask, speller: new Speller(secret, opts) });
  }
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
