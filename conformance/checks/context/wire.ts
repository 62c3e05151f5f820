import type { Credentials } from '../../config.js';
import { HarnessError } from '../../errors.js';
import { bodyKey, HttpFailure, type HttpClient, type HttpRequest, type HttpResponse } from '../../http.js';
import type { Exchange } from '../../report/types.js';
import { LIST_PATH } from '../list.js';
import type { Auth, RequestOptions } from '../types.js';
import type { ExchangeLog } from './exchange-log.js';
import type { SecretBook } from './secret-book.js';
import type { TokenSearch } from './token-search.js';

/**
 * A request the wire refused to send because the target had stopped answering: unlike a failure in flight,
 * the target cannot have acted on it (a POST refused so created nothing).
 */
export class NotSent extends HarnessError {}

/** Transport failures after which the target is taken as gone for the rest of the run. */
const STOPPED_ANSWERING = new Set(['E_TIMEOUT', 'E_CONNECT', 'E_TLS']);

const basicHeader = (c: Credentials): string => 'Basic ' + Buffer.from(`${c.name}:${c.password}`).toString('base64');

function authHeaders(auth: Auth): Record<string, string> {
  switch (auth.kind) {
    case 'none':
      return {};
    case 'basic':
      return { authorization: basicHeader(auth.user) };
    case 'authorization':
      return { authorization: auth.value };
    case 'x-auth-token':
      return { 'x-auth-token': auth.token };
    case 'macaroon':
      return { macaroon: auth.token };
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
  }
}

/**
 * The passwords of the Basic Authorization headers of a request, decoded leniently (as a server might): the
 * generated attacks write their own headers, malformed ones included, so Auth does not tell.
 */
export function basicPasswords(headers: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization') continue;
    const m = /^\s*basic\s+(\S+)/i.exec(value);
    if (m?.[1] === undefined) continue;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) out.push(decoded.slice(colon + 1));
  }
  return out;
}

export interface WireParts {
  readonly baseUrl: string;
  readonly http: HttpClient;
  readonly secrets: SecretBook;
  readonly search: TokenSearch;
  readonly log: ExchangeLog;
}

/**
 * The checks' one way to the target: builds the request, registers its secrets, records the redacted
 * exchange in the caller's evidence and the response in the run's log.
 */
export class Wire {
  #unreachable: HarnessError | undefined;
  /** This wire's own key: what it found in a body was registered with its own secrets. */
  readonly #found = bodyKey<readonly string[]>('wire:found');

  constructor(private readonly parts: WireParts) {}

  /**
   * Once the target has stopped answering (timeout, refused, TLS), later requests fail at once with the same
   * code instead of each waiting out its own timeout: a dead target ends the run within about two timeouts.
   * `force` sends anyway (the cleanup: leaving a token behind is worse than a wasted timeout).
   */
  async send(
    method: string,
    auth: Auth,
    opts: RequestOptions,
    evidence: Exchange[],
    force = false,
  ): Promise<HttpResponse> {
    if (this.#unreachable && !force) {
      throw new NotSent(this.#unreachable.code, `not sent, the target stopped answering: ${this.#unreachable.message}`);
    }
    const { secrets, search, log } = this.parts;
    secrets.addAuth(auth);
    const req: HttpRequest = {
      method,
      url: this.parts.baseUrl + (opts.path ?? LIST_PATH),
      headers: { ...authHeaders(auth), ...opts.headers },
      ...(opts.body !== undefined && { body: opts.body }),
      // The cleanup goes out also after the run was interrupted.
      ...(force && { afterAbort: true }),
    };
    let found: readonly string[] = [];
    let passwordHits: number[] = [];
    try {
      const res = await this.parts.http.send(req, (_req, raw) => {
        // Runs before the exchange is recorded, so every token seen is masked in its own exchange too. Once
        // per distinct body: an identical answer's tokens are registered already, and its entry in the log
        // shares the one array instead of holding a copy per answer.
        found = raw.body.derive(this.#found, () => {
          const tokens = 'json' in raw ? search.inJson(raw.json, raw.body) : search.inText(raw.bodyText);
          for (const t of tokens) secrets.addToken(t);
          return tokens;
        });
        passwordHits = secrets.passwordHits(raw.body, Object.values(raw.headers));
      });
      evidence.push(res.exchange);
      log.record({
        auth,
        as: typeof opts.as === 'function' ? opts.as(res) : opts.as,
        status: res.status,
        headers: res.headers,
        found,
        passwordHits,
        sentPasswords: basicPasswords(req.headers ?? {}),
        ...(res.status >= 400 && { errorBody: res.bodyText }),
        exchange: res.exchange,
        summary: res.summary,
        ...(res.bom && { bom: true }),
        ...(res.encodingError !== undefined && { encodingError: res.encodingError }),
      });
      return res;
    } catch (e) {
      if (e instanceof HttpFailure) {
        evidence.push(e.exchange);
        if (STOPPED_ANSWERING.has(e.code)) this.#unreachable ??= e;
      }
      throw e;
    }
  }
}
