/**
 * Finds the run's secrets in a response however they are spelled: raw, JSON-escaped (`\u0041`, `\/`),
 * URL-encoded, or base64 / base64url encoded (also `name:password` inside a Basic-like value). Tokens are
 * looked up by whole alphanumeric runs in a set (a 10,000-token list stays one pass); passwords, which may hold
 * any character, are searched literally in every decoded form.
 */

const ALNUM_RUN = /[A-Za-z0-9]{20,}/g;
const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
/** Decoded text is searched only when it is mostly printable: random runs decode to noise. */
const PRINTABLE = /^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/;

function jsonUnescaped(text: string): string {
  if (!text.includes('\\')) return text;
  return text
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\([/"\\])/g, '$1');
}

function urlDecoded(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return text.replace(/\+/g, ' ').replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
}

function* base64Decodings(text: string): Generator<string> {
  for (const m of text.matchAll(BASE64_RUN)) {
    const run = m[0];
    for (const enc of ['base64', 'base64url'] as const) {
      const decoded = Buffer.from(run, enc).toString('utf8');
      if (decoded.length >= 4 && PRINTABLE.test(decoded)) yield decoded;
    }
  }
}

/** Every spelling of `texts` that a secret could hide in, one level of encoding deep (and base64 of those). */
export function decodedForms(texts: readonly string[]): string[] {
  return [...new Set(eachDecodedForm(texts))];
}

/**
 * decodedForms one at a time, without keeping them: a 100,000-token list has 200,000 base64 decodings, which
 * held at once were a hundred megabytes. A form may come more than once (searching it again finds the same).
 */
function* eachDecodedForm(texts: readonly string[]): Generator<string> {
  for (const t of texts) {
    if (t === '') continue;
    for (const f of new Set([t, jsonUnescaped(t), urlDecoded(t), urlDecoded(jsonUnescaped(t))])) {
      yield f;
      yield* base64Decodings(f);
    }
  }
}

/** The tokens searched for: a set, or a view that answers membership without copying 100,000 tokens. */
export interface TokenLookup {
  /** 0 only when nothing is searched for. */
  readonly size: number;
  has(token: string): boolean;
}

/**
 * The secrets found in any of `texts`: tokens from `tokens` (whole alphanumeric runs) and `literals`
 * (passwords, searched as substrings; ones shorter than 6 characters are skipped, they match by chance).
 */
export function findSecrets(texts: readonly string[], tokens: TokenLookup, literals: readonly string[] = []): string[] {
  const found = new Set<string>();
  const searched = literals.filter((l) => l.length >= 6);
  for (const form of eachDecodedForm(texts)) {
    if (tokens.size > 0) for (const m of form.matchAll(ALNUM_RUN)) if (tokens.has(m[0])) found.add(m[0]);
    for (const l of searched) if (form.includes(l)) found.add(l);
  }
  return [...found];
}
