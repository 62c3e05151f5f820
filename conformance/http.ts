import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync, inflateRawSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import { Agent } from 'undici';
import { HarnessError, isHarnessError, type HarnessErrorCode } from './errors.js';
import { checkHeaders, checkInScope } from './guard.js';
import { redactHeaders, type Redactor } from './redact.js';
import type { Exchange, RecordedResponse } from './report/types.js';

/**
 * The runner's only way to the network: one keep-alive undici Agent per run, hard timeouts, TLS options, and a
 * redacted Exchange for every request. Transport problems become HarnessErrors with stable codes (we could not
 * judge); anything the server did answer is returned as it is, for the checks to judge.
 */
export interface HttpOptions {
  readonly timeoutMs: number;
  readonly caPem?: string;
  readonly insecure?: boolean;
  readonly redactor: Redactor;
  /** Most bytes read of one response body (default DEFAULT_MAX_BODY_BYTES); beyond it, E_BODY_TOO_LARGE. */
  readonly maxBodyBytes?: number;
  /** The run's interrupt: aborts requests in flight and refuses new ones, except those marked afterAbort. */
  readonly signal?: AbortSignal;
  /** When set, only the operation's paths below this base URL are requested (see guard.ts); others E_OUT_OF_SCOPE. */
  readonly scope?: string;
}

/**
 * Far above any real list (10,000 tokens are about 4 MB), far below what would exhaust the heap: an endless
 * or huge body stops here instead of crashing the run with the tokens it created left behind.
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface HttpRequest {
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Sent even after the run's signal aborted (the cleanup: leaving a created token behind is worse). */
  readonly afterAbort?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The body as read: shared by every response of the run whose body bytes were identical, with what was
   * derived from it (ResponseBody.derive). bodyText and json below are its text and parsed JSON.
   */
  readonly body: ResponseBody;
  readonly bodyText: string;
  /** The parsed body when it is JSON; undefined when empty or not JSON (see jsonError). */
  readonly json?: unknown;
  readonly jsonError?: string;
  /** The redacted record of this request and response. */
  readonly exchange: Exchange;
  /** Method, path, status and a trimmed, redacted body: the message a user needs. */
  readonly summary: string;
  /** The body began with a UTF-8 byte-order mark (the text above has it dropped, as TextDecoder does). */
  readonly bom?: true;
  /**
   * The body did not decode as its Content-Encoding says (gzip, deflate, br): the text above is then the raw
   * bytes read as UTF-8. Without it, a labelled body was decoded before anything read it.
   */
  readonly encodingError?: string;
}

/** Observes every completed request with its raw texts, for the secrets checks (never written anywhere). */
export type RawObserver = (
  req: HttpRequest,
  res: { status: number; headers: Record<string, string>; bodyText: string; body: ResponseBody; json?: unknown },
) => void;

/** The key of a value derived from a response body alone: compared by identity, typed by what it derives. */
export interface BodyKey<T> {
  readonly name: string;
  /** Only carries T; never set. */
  readonly _type?: T;
}

export const bodyKey = <T>(name: string): BodyKey<T> => Object.freeze({ name });

/**
 * One distinct response body of the run, identified by the SHA-256 of its bytes as they came (and of the
 * content-coding that decodes them). Many checks GET the same list: with 100,000 tokens the list is 21 MB, and
 * decoding, parsing and walking it again for every answer was most of the run's time and memory. A body whose
 * bytes are identical to one already read is not decoded or parsed again: its answer shares this object, and
 * whatever a check derived from it (derive). A body that differs in any byte is a new one, read in full.
 */
export class ResponseBody {
  readonly #derived = new Map<BodyKey<unknown>, unknown>();

  constructor(
    /**
     * Hex SHA-256 of `identity`, a newline and the body's bytes once decoded from their content-coding (the
     * same as a server sending no coding would give); of the label, a newline and the bytes as received when
     * they do not decode as labelled.
     */
    readonly digest: string,
    readonly text: string,
    readonly parsed: { readonly json?: unknown; readonly jsonError?: string },
    readonly bom: boolean,
    readonly encodingError: string | undefined,
  ) {}

  /**
   * The value `make` derives from this body alone, made once per body (and per key): callers must treat it as
   * immutable, since every answer with the same bytes gets the same value. A `make` that throws is not kept.
   */
  derive<T>(key: BodyKey<T>, make: (body: ResponseBody) => T): T {
    if (this.#derived.has(key)) return this.#derived.get(key) as T;
    const value = make(this);
    this.#derived.set(key, value);
    return value;
  }

  /** derive, once per `arg` too (compared by identity: one validator, one user's list). */
  deriveWith<A extends object, T>(key: BodyKey<WeakMap<A, T>>, arg: A, make: (body: ResponseBody) => T): T {
    const known = this.derive(key, () => new WeakMap<A, T>());
    if (known.has(arg)) return known.get(arg) as T;
    const value = make(this);
    known.set(arg, value);
    return value;
  }
}

/**
 * Bodies kept alive only for being recent: the small ones (error answers, short lists), up to a megabyte of
 * text and RECENT_BODIES of them. Of the long lists only the one used last is kept (BodyCache); the others
 * stay only while something holds them (a memoised fact, a check, the token search that borrowed its strings):
 * keeping each 21 MB list for being recent cost more memory than reading it again when it came back.
 */
const RECENT_BODY_CHARS = 1024 * 1024;

/** Bodies long enough to be compared as they arrive rather than held until their digest is known. */
const PLAIN_CANDIDATE_CHARS = 64 * 1024;
const RECENT_BODIES = 64;

/**
 * The bodies the run has read, by digest. Held weakly: a body that nothing refers to any more (no memoised
 * fact, no check) is left to the garbage collector, except the last few, so that memory stays one or two
 * lists however often the run reads them.
 */
class BodyCache {
  readonly #byDigest = new Map<string, WeakRef<ResponseBody>>();
  readonly #recent: ResponseBody[] = [];
  #recentChars = 0;
  readonly #forget = new FinalizationRegistry<string>((digest) => {
    if (this.#byDigest.get(digest)?.deref() === undefined) this.#byDigest.delete(digest);
  });
  /** Long bodies whose bytes are their text's character codes (ASCII, no coding), the latest by byte length. */
  readonly #plainByLength = new Map<number, WeakRef<ResponseBody>>();
  /** The long body used last: a list that checks read one after another is read once, not once per check. */
  #lastLong: ResponseBody | undefined;
  analysed = 0;
  reused = 0;

  /** Before a new long body is decoded: the one it follows is kept no longer (see COLLECT_BEFORE_BYTES). */
  letGoOfLastLong(): void {
    this.#lastLong = undefined;
  }

  get(digest: string): ResponseBody | undefined {
    const body = this.#byDigest.get(digest)?.deref();
    if (body !== undefined) this.reuse(body);
    return body;
  }

  /** Another digest that leads to `body` (its encoded bytes, when it was read under a content-coding). */
  alias(digest: string, body: ResponseBody): void {
    if (digest !== body.digest) this.#byDigest.set(digest, new WeakRef(body));
  }

  reuse(body: ResponseBody): ResponseBody {
    this.reused++;
    this.#touch(body);
    return body;
  }

  /** The body an answer of `byteLength` bytes without coding is likely to repeat, if one is known. */
  candidate(byteLength: number): ResponseBody | undefined {
    return Number.isSafeInteger(byteLength) ? this.#plainByLength.get(byteLength)?.deref() : undefined;
  }

  add(body: ResponseBody, plain: boolean): ResponseBody {
    this.analysed++;
    this.#byDigest.set(body.digest, new WeakRef(body));
    this.#forget.register(body, body.digest);
    if (plain && body.text.length >= PLAIN_CANDIDATE_CHARS)
      this.#plainByLength.set(body.text.length, new WeakRef(body));
    this.#touch(body);
    return body;
  }

  #touch(body: ResponseBody): void {
    // A body larger than the whole allowance would only push the small ones out on its way through; the last
    // one used is kept on its own, so that the next answer with its bytes finds it whenever collections run.
    if (body.text.length > RECENT_BODY_CHARS) {
      this.#lastLong = body;
      return;
    }
    const at = this.#recent.indexOf(body);
    if (at >= 0) this.#recent.splice(at, 1);
    else this.#recentChars += body.text.length;
    this.#recent.push(body);
    while (this.#recent.length > RECENT_BODIES || this.#recentChars > RECENT_BODY_CHARS) {
      const oldest = this.#recent.shift();
      if (oldest) this.#recentChars -= oldest.text.length;
    }
  }
}

interface Unserved {
  readonly code: 'E_UNAVAILABLE' | 'E_RATE_LIMITED';
  readonly why: string;
}

/**
 * Answers that say the operation was not served at all, so that a check expecting a 401 and meeting one of
 * them learnt nothing about authentication. 503: the target cannot serve now (Onezone 21.02.6+ answers every
 * request, also those without credentials, with 503 serviceUnavailable while its circuit breaker is open).
 * 502 and 504: a gateway in front of the zone did not reach it (Onezone itself sends neither). 429: a proxy
 * throttles this client (logins or bursts; Onezone itself sends none). A 500 is the zone's own answer and is
 * judged.
 */
const UNSERVED: ReadonlyMap<number, Unserved> = new Map([
  [503, { code: 'E_UNAVAILABLE', why: ': it cannot serve now, so nothing can be judged; run again later' }],
  [502, { code: 'E_UNAVAILABLE', why: ' Bad Gateway: a gateway did not reach the zone, so nothing can be judged' }],
  [504, { code: 'E_UNAVAILABLE', why: ' Gateway Timeout: a gateway did not reach the zone, so nothing can be judged' }],
  [
    429,
    {
      code: 'E_RATE_LIMITED',
      why:
        ' Too Many Requests: it throttles this client, so nothing can be judged now; run again later, with ' +
        'fewer generated cases (--depth 0), or with the limit lifted for the test users',
    },
  ],
]);

const REPORT_BODY_LIMIT = 4096;
const SUMMARY_BODY_LIMIT = 300;

export class HttpClient {
  readonly #agent: Agent;
  readonly #opts: HttpOptions;
  /** Body bytes being read by all requests at once: together they stay within one cap, not one cap each. */
  #inFlightBytes = 0;
  readonly #bodies = new BodyCache();

  constructor(opts: HttpOptions) {
    this.#opts = opts;
    this.#agent = new Agent({
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connectTimeout: opts.timeoutMs,
      connect: {
        rejectUnauthorized: !opts.insecure,
        ...(opts.caPem !== undefined && { ca: opts.caPem }),
      },
    });
  }

  /** Distinct bodies read in full so far, and answers whose body was identical to one of them. */
  get bodyStats(): { readonly analysed: number; readonly reused: number } {
    return { analysed: this.#bodies.analysed, reused: this.#bodies.reused };
  }

  async send(req: HttpRequest, observe?: RawObserver): Promise<HttpResponse> {
    const started = performance.now();
    const recordedRequest = this.#recordRequest(req);
    // Set once the status line arrived: a failure after it happened mid-answer, and says which answer it was.
    let status: number | undefined;
    try {
      // Refused before anything is sent: nothing a target chose may add a header line or reach another resource.
      checkHeaders({ ...req.headers });
      if (this.#opts.scope !== undefined) checkInScope(this.#opts.scope, req.method, req.url);
      const interrupt = req.afterAbort ? undefined : this.#opts.signal;
      if (interrupt?.aborted) throw interrupted(req, 'not sent');
      // The path is sent as written: request(url) would resolve dot segments first (WHATWG URL), and the
      // generated path variants must reach the server as they are (it, not the client, decides what they mean).
      const origin = new URL(req.url).origin;
      const res = await this.#agent.request({
        origin,
        path: req.url.slice(origin.length) || '/',
        method: req.method,
        headers: { ...req.headers },
        ...(req.body !== undefined && { body: Buffer.from(req.body) }),
        // The overall deadline: headersTimeout/bodyTimeout alone would let a trickling server run on.
        signal: interrupt
          ? AbortSignal.any([AbortSignal.timeout(this.#opts.timeoutMs), interrupt])
          : AbortSignal.timeout(this.#opts.timeoutMs),
      });
      status = res.statusCode;
      const headers = flattenHeaders(res.headers);
      const cap = this.#opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      const reserved = { bytes: 0 };
      let body;
      try {
        body = await readBody(this.#metered(res.body, reserved, cap), headers, req.method, cap, this.#bodies);
      } finally {
        this.#inFlightBytes -= reserved.bytes;
      }
      // The chunks of a long body die young: a scavenge now frees them (V8 lets up to 32 MB of young buffers pile
      // up before it collects them, outside the heap, where they stayed as the process's high-water mark).
      if (reserved.bytes >= COLLECT_BEFORE_BYTES) collectGarbage('minor');
      const { text: bodyText, bom, encodingError, parsed } = body;
      observe?.(req, {
        status: res.statusCode,
        headers,
        bodyText,
        body,
        ...('json' in parsed && { json: parsed.json }),
      });
      const exchange: Exchange = {
        request: recordedRequest,
        response: this.#recordResponse(res.statusCode, headers, bodyText),
        durationMs: Math.round(performance.now() - started),
      };
      const refusal = UNSERVED.get(res.statusCode);
      if (refusal !== undefined) throw this.#unavailable(req, res.statusCode, refusal, headers, parsed.json, exchange);
      return {
        status: res.statusCode,
        headers,
        body,
        bodyText,
        ...parsed,
        exchange,
        summary: this.#summary(req, exchange),
        ...(bom && { bom }),
        ...(encodingError !== undefined && { encodingError }),
      };
    } catch (e) {
      if (e instanceof HttpFailure) throw e;
      const err =
        !req.afterAbort && this.#opts.signal?.aborted && !isHarnessError(e)
          ? interrupted(req, 'aborted in flight')
          : toHarnessError(e, req, this.#opts.timeoutMs, status);
      const exchange: Exchange = {
        request: recordedRequest,
        error: { code: err.code, message: this.#opts.redactor.redact(err.message) },
        durationMs: Math.round(performance.now() - started),
      };
      throw new HttpFailure(err.code, this.#opts.redactor.redact(err.message), exchange, e, status);
    }
  }

  /** An answer that says the operation was not served now (UNSERVED): nothing can be judged from it. */
  #unavailable(
    req: HttpRequest,
    status: number,
    refusal: Unserved,
    headers: Record<string, string>,
    json: unknown,
    exchange: Exchange,
  ): HttpFailure {
    // Quoted only when they look like what they claim to be: the target's text must not reach a terminal raw.
    const rawId = (json as { error?: { id?: unknown } } | undefined)?.error?.id;
    const id = typeof rawId === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(rawId) ? rawId : undefined;
    const rawRetry = headers['retry-after'];
    const retry = rawRetry !== undefined && /^[\w ,:+-]{1,64}$/.test(rawRetry) ? rawRetry : undefined;
    const breaker = id === 'serviceUnavailable' ? ' (its circuit breaker is open, e.g. a full database disk)' : '';
    const message =
      `${req.method} ${new URL(req.url).pathname}: the target answered ${status}` +
      (id !== undefined ? ` ${id}` : '') +
      breaker +
      refusal.why +
      (retry !== undefined ? ` (Retry-After: ${retry})` : '');
    const redacted = this.#opts.redactor.redact(message);
    const { code } = refusal;
    return new HttpFailure(code, redacted, { ...exchange, error: { code, message: redacted } }, undefined, status);
  }

  /**
   * The body, counted against the run-wide budget as it arrives: a target answering several concurrent
   * requests with huge bodies cannot make the run hold several caps' worth of memory at once.
   */
  #metered(
    body: AsyncIterable<Uint8Array> & { destroy(): unknown },
    reserved: { bytes: number },
    cap: number,
  ): AsyncIterable<Uint8Array> & { destroy(): unknown } {
    const metered = async function* (this: HttpClient): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        this.#inFlightBytes += chunk.byteLength;
        reserved.bytes += chunk.byteLength;
        if (this.#inFlightBytes > cap && reserved.bytes <= cap)
          throw new HarnessError(
            'E_BODY_TOO_LARGE',
            `the bodies being read at once exceed the cap of ${cap} bytes together; reading stopped there`,
          );
        yield chunk;
      }
    }.call(this);
    return {
      [Symbol.asyncIterator]: () => metered,
      destroy: () => body.destroy(),
    };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #recordRequest(req: HttpRequest): Exchange['request'] {
    const r = this.#opts.redactor;
    return {
      method: req.method,
      url: r.redact(stripUserinfo(req.url)),
      headers: redactHeaders({ ...req.headers }, r),
      ...(req.body !== undefined && { body: r.redact(req.body) }),
    };
  }

  #recordResponse(status: number, headers: Record<string, string>, bodyText: string): RecordedResponse {
    // Trim before redacting: a 10,000-token list is megabytes and the report keeps a few KiB. The cut drops a
    // trailing partial word, so that no prefix of a secret survives at the edge, where no pattern would match.
    const cut = bodyText.length > REPORT_BODY_LIMIT;
    const kept = cut ? bodyText.slice(0, REPORT_BODY_LIMIT).replace(/[^\s"',:;{}[\]]+$/, '') : bodyText;
    return {
      status,
      headers: redactHeaders(headers, this.#opts.redactor),
      body: this.#opts.redactor.redact(kept),
      ...(cut && { bodyTruncatedForReport: true }),
    };
  }

  #summary(req: HttpRequest, ex: Exchange): string {
    const path = this.#opts.redactor.redact(new URL(req.url).pathname);
    const body = ex.response?.body ?? '';
    const shown = body.length > SUMMARY_BODY_LIMIT ? body.slice(0, SUMMARY_BODY_LIMIT) + '…' : body;
    return `${req.method} ${path} → ${ex.response?.status ?? '-'}${shown ? ' ' + shown : ' (empty body)'}`;
  }
}

/** A transport failure with the redacted exchange that shows it; a HarnessError for everything else. */
export class HttpFailure extends HarnessError {
  constructor(
    code: HarnessErrorCode,
    message: string,
    readonly exchange: Exchange,
    cause: unknown,
    /** The status of the answer when its status line had arrived before the failure. */
    readonly status?: number,
  ) {
    super(code, message, { cause });
  }
}

const interrupted = (req: HttpRequest, what: string): HarnessError =>
  new HarnessError('E_INTERRUPTED', `${req.method} ${new URL(req.url).pathname}: ${what}, the run was interrupted`);

function stripUserinfo(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.href;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

async function readBody(
  body: AsyncIterable<Uint8Array> & { destroy(): unknown },
  headers: Record<string, string>,
  method: string,
  maxBytes: number,
  cache: BodyCache,
): Promise<ResponseBody> {
  const tooLarge = (what: string): HarnessError =>
    new HarnessError(
      'E_BODY_TOO_LARGE',
      `the body ${what} the cap of ${maxBytes} bytes; reading stopped there (raise the cap if a real list is larger)`,
    );
  if (Number(headers['content-length']) > maxBytes) {
    // Not read at all: closing the connection is cheaper than draining what was announced.
    body.destroy();
    throw tooLarge(`declares ${headers['content-length'] ?? ''} bytes, above`);
  }
  const label = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const encoding = label === '' ? 'identity' : label;
  // The digest covers the coding too: the same bytes under another label decode to another text.
  const hash = createHash('sha256').update(encoding).update('\n');
  // The bytes are gathered (ByteSink) and decoded only when the digest is new: a body read before is not
  // decoded again. An answer as long as a known plain body is compared with it as it arrives instead, and its
  // chunks are not kept while they match: a 100,000-token list held 21 MB of chunks per answer until its digest
  // was known.
  const declared = Number(headers['content-length']);
  let candidate = encoding === 'identity' ? cache.candidate(declared) : undefined;
  let matched = 0;
  // A HEAD answer declares the length of a body it does not carry: nothing to set aside for it.
  const chunks = new ByteSink(method === 'HEAD' ? Number.NaN : declared);
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    // Leaving the loop destroys the stream and its connection: an endless body is not read any further.
    if (bytes > maxBytes)
      throw encoding === 'identity'
        ? tooLarge('exceeds')
        : new HarnessError('E_BODY_TOO_LARGE', `the body exceeds the cap of ${maxBytes} bytes; reading stopped there`);
    hash.update(chunk);
    if (candidate !== undefined) {
      if (sameBytes(chunk, candidate.text, matched)) {
        matched += chunk.byteLength;
        continue;
      }
      // It differs here: what matched so far is the candidate's text, byte for byte; kept as bytes from now on.
      chunks.pushLatin1(candidate.text.slice(0, matched));
      candidate = undefined;
    }
    chunks.push(chunk);
  }
  checkLength(bytes, headers, method);
  if (candidate !== undefined) {
    if (matched === candidate.text.length) return cache.reuse(candidate);
    chunks.pushLatin1(candidate.text.slice(0, matched)); // a prefix of it, and no more
  }
  const digest = hash.digest('hex');
  const known = cache.get(digest);
  if (known !== undefined) return known;
  if (bytes >= COLLECT_BEFORE_BYTES) {
    // The body this one follows is let go first: it is the run's garbage now, unless a check still holds it.
    cache.letGoOfLastLong();
    collectGarbage('major');
  }
  const read = chunks.take();
  if (encoding !== 'identity') {
    const decoded = decodeEncoded(read, maxBytes, encoding);
    if (!('bytes' in decoded))
      return cache.add(new ResponseBody(digest, ...decodedText([decoded.raw]), decoded.error), false);
    // Decoded as labelled: the bytes a server sending no coding would have sent. When those were read before,
    // their body is this one too (a gzip-encoded 21 MB list is not decoded into a second text); either way the
    // encoded digest leads to it from now on.
    const plainDigest = createHash('sha256').update('identity\n').update(decoded.bytes).digest('hex');
    let same = cache.get(plainDigest);
    if (same === undefined) {
      const [text, parsed, bom] = decodedText([decoded.bytes]);
      same = cache.add(new ResponseBody(plainDigest, text, parsed, bom, undefined), !bom && ASCII.test(text));
    }
    cache.alias(digest, same);
    return same;
  }
  const [text, parsed, bom] = decodedText(read);
  // Parsed once, here: the observer reads a list's tokens from it instead of scanning megabytes of text.
  return cache.add(new ResponseBody(digest, text, parsed, bom, undefined), !bom && ASCII.test(text));
}

/**
 * A new body at least this long is decoded only after a full garbage collection. V8 sizes its old generation
 * at up to four times what was live at the last collection, and a 100,000-token list is 21 MB of text in it:
 * without one, the lists a run had read and let go (each changed list is a new body) stayed in the heap with
 * their buffers, and the peak RSS of a run was 250–300 MB where at most two lists are live at once. With 100,000
 * tokens a run decodes four such bodies, and a collection then takes about 20 ms; shorter bodies never trigger
 * one (10,000 tokens are 2 MB).
 */
const COLLECT_BEFORE_BYTES = 8 * 1024 * 1024;

/** V8's `gc`: a full collection without options, a scavenge with { type: 'minor' } (Node 20's V8 knows no 'major'). */
let gc: ((options?: { type: 'minor' }) => void) | undefined;

/**
 * Collects garbage now: the whole heap (major) or its young generation (minor). Node exposes no such call, so
 * --expose-gc is set when first needed (never in a run without long bodies) and `gc` taken from a context made
 * after it, as Jest's leak detector does. Exported for its tests.
 */
export function collectGarbage(type: 'major' | 'minor'): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as typeof gc & object;
  }
  if (type === 'major') gc();
  else gc({ type });
}

/** The text of decoded bytes, parsed once, and whether they began with a byte-order mark. */
function decodedText(chunks: readonly Uint8Array[]): [string, ResponseBody['parsed'], boolean] {
  const { text, bom } = decodeText(chunks);
  return [text, parseJson(text), bom];
}

const ASCII = /^[\x00-\x7f]*$/;

/** Bodies declared at least this long are gathered in one buffer of their declared length. */
const ONE_BUFFER_BYTES = 64 * 1024;

/**
 * The bytes of a body as they arrive. A long body that declares its length is copied into one buffer of that
 * length, so that its chunks go as soon as they are copied and decoding needs no concatenated copy (a 21 MB
 * list was held three times over: chunks, their concatenation, the text); past the declared length, or
 * without one, the chunks are kept as they came.
 */
class ByteSink {
  #one: Buffer | undefined;
  #filled = 0;
  #chunks: Uint8Array[] = [];
  /** The declared length, until the buffer is made (on the first byte: an answer that matches makes none). */
  #declared: number | undefined;

  constructor(declared: number) {
    if (Number.isSafeInteger(declared) && declared >= ONE_BUFFER_BYTES) this.#declared = declared;
  }

  #buffer(): Buffer | undefined {
    if (this.#declared !== undefined) {
      this.#one = Buffer.allocUnsafe(this.#declared);
      this.#declared = undefined;
    }
    return this.#one;
  }

  push(chunk: Uint8Array): void {
    const one = this.#buffer();
    if (one !== undefined && this.#filled + chunk.byteLength <= one.length) {
      one.set(chunk, this.#filled);
      this.#filled += chunk.byteLength;
      return;
    }
    if (one !== undefined) {
      this.#chunks.push(one.subarray(0, this.#filled));
      this.#one = undefined;
    }
    this.#chunks.push(chunk);
  }

  /** Text whose characters are bytes (ASCII from a known body): written as they are, without a copy first. */
  pushLatin1(text: string): void {
    const one = this.#buffer();
    if (one !== undefined && this.#filled + text.length <= one.length) {
      this.#filled += one.write(text, this.#filled, 'latin1');
      return;
    }
    this.push(Buffer.from(text, 'latin1'));
  }

  /** Everything gathered, in order; the sink keeps nothing. */
  take(): Uint8Array[] {
    const out = this.#one !== undefined ? [this.#one.subarray(0, this.#filled)] : this.#chunks;
    this.#one = undefined;
    this.#chunks = [];
    return out;
  }
}

/**
 * Where sameBytes writes the known text's characters: one buffer for the process instead of a new one per
 * chunk. A 100,000-token list repeated 40 times made 40 × 21 MB of such buffers, memory outside the heap that
 * lingered until a collection and left the process's native heap fragmented at its high-water mark.
 */
let compareScratch: Buffer | undefined;
/** Chunks longer than this (socket reads are 64 KiB) get a buffer of their own rather than a larger scratch. */
const MAX_SCRATCH_BYTES = 1024 * 1024;

/** `chunk` holds the character codes of `text` from `offset` on (text is ASCII: a code is a byte). */
function sameBytes(chunk: Uint8Array, text: string, offset: number): boolean {
  const n = chunk.byteLength;
  if (offset + n > text.length) return false;
  if (n > MAX_SCRATCH_BYTES) return Buffer.from(text.slice(offset, offset + n), 'latin1').equals(chunk);
  if (compareScratch === undefined || compareScratch.length < n)
    compareScratch = Buffer.allocUnsafeSlow(Math.max(n, 64 * 1024));
  compareScratch.write(text.slice(offset, offset + n), 0, 'latin1');
  return compareScratch.compare(chunk, 0, n, 0, n) === 0;
}

/** TextDecoder decodes as fetch's text() does (UTF-8, a leading BOM dropped, bad bytes replaced). */
function decodeText(chunks: readonly Uint8Array[]): { text: string; bom: boolean; encodingError?: string } {
  const first = chunks[0];
  const bom = first !== undefined && startsWithBom(first);
  // One decode of the whole: decoding chunk by chunk left the pieces and their join on the heap, twice the
  // body in garbage; the concatenated bytes are outside the heap and go with their Buffer.
  return { text: new TextDecoder().decode(chunks.length === 1 && first ? first : Buffer.concat(chunks)), bom };
}

const startsWithBom = (b: Uint8Array): boolean => b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;

function checkLength(bytes: number, headers: Record<string, string>, method: string): void {
  const declared = headers['content-length'];
  // undici does not always notice a short body when the server closes cleanly; compare bytes ourselves.
  if (declared !== undefined && method !== 'HEAD' && bytes < Number(declared)) {
    throw new HarnessError('E_TRUNCATED', `body ended after ${bytes} of ${declared} bytes (content-length)`);
  }
}

/** Decoders bounded by the body cap (`maxOutputLength`): a compression bomb stops there, not in the heap. */
const DECODERS: Readonly<Record<string, (b: Buffer, max: number) => Buffer>> = {
  gzip: (b, max) => gunzipSync(b, { maxOutputLength: max }),
  'x-gzip': (b, max) => gunzipSync(b, { maxOutputLength: max }),
  // RFC 9110 says zlib-wrapped; some servers send raw deflate, which clients accept too.
  deflate: (b, max) => {
    try {
      return inflateSync(b, { maxOutputLength: max });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw e;
      return inflateRawSync(b, { maxOutputLength: max });
    }
  },
  br: (b, max) => brotliDecompressSync(b, { maxOutputLength: max }),
};

/**
 * A body with a Content-Encoding: undici's request() does not decode it, so it is decoded here (bounded by the
 * same cap), and a body that does not decode as labelled is said so rather than silently read as it came.
 */
function decodeEncoded(
  chunks: readonly Uint8Array[],
  maxBytes: number,
  encoding: string,
): { bytes: Buffer } | { raw: Buffer; error: string } {
  const raw = Buffer.concat(chunks);
  const decode = DECODERS[encoding];
  try {
    if (decode === undefined) throw new Error(`unknown content-coding "${encoding}"`);
    return { bytes: raw.length === 0 ? raw : decode(raw, maxBytes) };
  } catch (e) {
    // A decompression bomb: the decoded body would pass the cap, which holds for decoded bytes too.
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new HarnessError('E_BODY_TOO_LARGE', `the ${encoding}-decoded body exceeds the cap of ${maxBytes} bytes`);
    // Read as it came, said so.
    return { raw, error: `the body does not decode as content-encoding ${encoding}: ${(e as Error).message}` };
  }
}

/**
 * More values than any real answer holds (a 10,000-token list has about 10,000): JSON.parse would turn 64 MiB
 * of `[],` into about 1 GB of heap and a minute of work, so such a body is not parsed at all.
 */
const MAX_JSON_VALUES = 1_000_000;

function countJsonSeparators(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 || c === 91 || c === 123) n++; // , [ {
  }
  return n;
}

const LIST_PREFIX = '{"tokens":[';
const LIST_SUFFIX = ']}';

/**
 * The list as Onezone writes it, `{"tokens":["…","…"]}` with strings of printable ASCII and no escapes, read
 * without JSON.parse: exactly what JSON.parse returns, but each token is a slice of the body text (a few words
 * each) instead of a copy (a 100,000-token list was 23 MB of fresh strings per parse). Anything else, a space or
 * an escape included, is left to JSON.parse (undefined).
 */
function compactTokenList(text: string): { tokens: string[] } | undefined {
  let end = text.length;
  // JSON allows white space after the value; a trailing newline is common.
  while (end > 0 && ' \t\n\r'.includes(text.charAt(end - 1))) end--;
  const stop = end - LIST_SUFFIX.length;
  if (!text.startsWith(LIST_PREFIX) || stop < LIST_PREFIX.length || !text.startsWith(LIST_SUFFIX, stop)) return;
  const tokens: string[] = [];
  let i = LIST_PREFIX.length;
  if (i === stop) return { tokens };
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) return; // "
    const start = i + 1;
    let j = start;
    for (; j < stop; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x22) break;
      if (c < 0x20 || c > 0x7e || c === 0x5c) return; // a control character, non-ASCII or an escape: JSON.parse
    }
    if (j >= stop) return;
    tokens.push(text.slice(start, j));
    i = j + 1;
    if (i === stop) return { tokens };
    if (text.charCodeAt(i) !== 0x2c) return; // ,
    i++;
  }
}

/** The body as JSON, or why not; exported for its tests. */
export function parseJson(text: string): { json?: unknown; jsonError?: string } {
  if (text === '') return { jsonError: 'empty body' };
  // Only a body of a megabyte or more can hold that many values; the count is one pass, no allocation.
  if (text.length >= MAX_JSON_VALUES && countJsonSeparators(text) > MAX_JSON_VALUES)
    throw new HarnessError(
      'E_BODY_TOO_LARGE',
      `the body holds more than ${MAX_JSON_VALUES} JSON values, far more than any real answer; it was not parsed`,
    );
  const list = compactTokenList(text);
  if (list !== undefined) return { json: list };
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (e) {
    return { jsonError: `not JSON: ${(e as Error).message}` };
  }
}

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OSSL)/;

function errorCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') codes.push(c);
    codes.push(cur.name);
  }
  return codes;
}

/**
 * Maps undici, node:net and node:tls errors onto the harness codes the report keys on. `status` is the status
 * of the answer when the failure came after its status line (mid-body).
 */
export function toHarnessError(e: unknown, req: HttpRequest, timeoutMs: number, status?: number): HarnessError {
  if (e instanceof HarnessError) return e;
  const codes = errorCodes(e);
  const message = e instanceof Error ? e.message : String(e);
  const where = `${req.method} ${new URL(req.url).pathname}`;
  const has = (...cs: string[]): boolean => codes.some((c) => cs.includes(c));
  if (
    has(
      'TimeoutError',
      'AbortError',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'UND_ERR_CONNECT_TIMEOUT',
      'ETIMEDOUT',
    )
  ) {
    return new HarnessError('E_TIMEOUT', `${where}: no complete answer within ${timeoutMs} ms`, { cause: e });
  }
  if (codes.some((c) => TLS_CODES.test(c)) || /certificate|SSL|TLS/i.test(message)) {
    // The two usual mistakes behind a TLS failure, said in the message: a certificate the system does not
    // trust, and https:// to a port that speaks plain HTTP (its answer is no TLS record).
    const plain = codes.some((c) => /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/.test(c));
    const hint = plain
      ? '; the port seems to speak plain HTTP: is the target http://?'
      : /certificate|CERT|UNABLE_TO|SELF_SIGNED/i.test(codes.join(' ') + message)
        ? '; trust its CA with --ca FILE (or, for a test zone, --insecure)'
        : '';
    return new HarnessError('E_TLS', `${where}: TLS failure (${codes[0] ?? message}): ${message}${hint}`, {
      cause: e,
    });
  }
  if (has('UND_ERR_INVALID_ARG')) {
    // undici refuses what HTTP cannot carry (a path with a space or CR/LF, a bad header): nothing was sent.
    return new HarnessError('E_UNSENDABLE', `${where}: not sent, HTTP cannot carry it (${message})`, { cause: e });
  }
  if (has('UND_ERR_HEADERS_OVERFLOW')) {
    return new HarnessError(
      'E_HEADERS_TOO_LARGE',
      `${where}: the response headers exceed what an HTTP client accepts (16 KiB in all); not read`,
      { cause: e },
    );
  }
  if (has('HTTPParserError') || codes.some((c) => c.startsWith('HPE_'))) {
    return new HarnessError(
      'E_PROTOCOL',
      `${where}: the answer is not valid HTTP/1.1 (${message})` +
        (new URL(req.url).protocol === 'http:' ? '; if the target speaks TLS, use https://' : ''),
      { cause: e },
    );
  }
  if (status !== undefined && has('ECONNRESET')) {
    return new HarnessError('E_RESET', `${where}: the connection was reset in the middle of the ${status} answer`, {
      cause: e,
    });
  }
  if (has('UND_ERR_RES_CONTENT_LENGTH_MISMATCH')) {
    return new HarnessError('E_TRUNCATED', `${where}: body shorter than its content-length`, { cause: e });
  }
  if (has('UND_ERR_SOCKET') && /closed|terminated/i.test(message)) {
    return new HarnessError(
      'E_TRUNCATED',
      `${where}: connection closed before ${status === undefined ? 'the response' : `the ${status} answer`} was complete`,
      { cause: e },
    );
  }
  if (has('ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET')) {
    return new HarnessError('E_CONNECT', `${where}: cannot connect (${codes[0] ?? 'error'}): ${message}`, { cause: e });
  }
  return new HarnessError('E_INTERNAL', `${where}: ${message}`, { cause: e });
}
