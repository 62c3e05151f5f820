// @ts-check
'use strict';
/**
 * What the Dredd hooks do, as plain functions of a transaction and the environment, so that they can be
 * unit-tested without Dredd (hooks.cjs only wires them to Dredd's `hooks` object).
 *
 * CommonJS on purpose: Dredd 14 loads hook files with require() through proxyquire, which injects the
 * `hooks` module; the package is ESM and tsconfig compiles only `*.ts`, so a `.cts` would never reach
 * dist/. The file is type-checked through `// @ts-check` and the JSDoc types below.
 *
 * Secrets: nothing here prints. Credentials come from the environment (the wrapper puts the parsed
 * --user/--token there, the same variables the runner reads) and are masked in the transaction after the
 * request is sent, because Dredd's reporters print `transaction.request` of a failed test.
 */

/**
 * @typedef {{ method: string, uri: string, headers: Record<string, string>, body?: string }} DreddRequest
 * @typedef {{ headers?: Record<string, string>, statusCode?: string, body?: string }} DreddExpected
 * @typedef {{ name: string, request: DreddRequest, expected: DreddExpected, skip?: boolean, fail?: boolean | string }} DreddTransaction
 * @typedef {'list-200' | 'list-401' | 'other'} TransactionKind
 */

const LIST_PATH = '/user/client_tokens';

/** Request headers that carry credentials, lower-case. Dredd's `--header`/`--user` could add any of them. */
const CREDENTIAL_HEADERS = ['authorization', 'x-auth-token', 'macaroon', 'discharge-macaroons', 'cookie'];

/**
 * Which of the two wanted transactions this is. Chosen by method, path and expected status, not by the
 * transaction name: Dredd builds names from the operation summary and media type, which the spec may change.
 * @param {DreddTransaction} t
 * @returns {TransactionKind}
 */
function classify(t) {
  const path = t.request.uri.split('?')[0];
  if (t.request.method !== 'GET' || path !== LIST_PATH) return 'other';
  if (t.expected.statusCode === '200') return 'list-200';
  if (t.expected.statusCode === '401') return 'list-401';
  return 'other';
}

/**
 * The credential header for the 200 transaction: Basic from ONEZONE_USER (NAME:PASSWORD, split at the
 * first colon, as the runner does), else the token from ONEZONE_TOKEN in X-Auth-Token.
 * @param {Readonly<Record<string, string | undefined>>} env
 * @returns {{ name: string, value: string } | undefined}
 */
function credentialHeader(env) {
  const user = env.ONEZONE_USER;
  if (user !== undefined && user.indexOf(':') > 0) {
    return { name: 'Authorization', value: 'Basic ' + Buffer.from(user, 'utf8').toString('base64') };
  }
  const token = env.ONEZONE_TOKEN;
  if (token !== undefined && token !== '') return { name: 'X-Auth-Token', value: token };
  return undefined;
}

/** @param {Record<string, string>} headers */
function deleteCredentials(headers) {
  for (const name of Object.keys(headers)) {
    if (CREDENTIAL_HEADERS.includes(name.toLowerCase())) delete headers[name];
  }
}

/**
 * Before the request: send credentials for the 200 transaction, none for the 401 one, skip the rest.
 * @param {DreddTransaction} t
 * @param {Readonly<Record<string, string | undefined>>} env
 */
function prepare(t, env) {
  const kind = classify(t);
  if (kind === 'other') {
    // POST/DELETE would change the target's state and the other statuses cannot be provoked by the same
    // request; the runner covers them.
    t.skip = true;
    return;
  }
  deleteCredentials(t.request.headers);
  if (kind === 'list-401') {
    // Dredd 14 sends the same request for every documented status of an OAS3 operation
    // (apiaryio/dredd#1257); only a request without credentials can earn the 401.
    // The real server sends authentication errors without content-type (real-server-behaviour.md §3;
    // `x-onezone-no-content-type` on the spec's 401 response), so Dredd must not expect one.
    if (t.expected.headers !== undefined) {
      for (const name of Object.keys(t.expected.headers)) {
        if (name.toLowerCase() === 'content-type') delete t.expected.headers[name];
      }
    }
    return;
  }
  const header = credentialHeader(env);
  if (header === undefined) {
    t.fail =
      'no credentials for the 200 transaction: give --user NAME:PASSWORD or --token (ONEZONE_USER, ONEZONE_TOKEN)';
    return;
  }
  t.request.headers[header.name] = header.value;
}

/**
 * After the request: replace credential values in the recorded request, which Dredd's reporters print for a
 * failed test. The scheme stays: whether Basic was sent is evidence, not a secret.
 * @param {DreddTransaction} t
 */
function mask(t) {
  for (const [name, value] of Object.entries(t.request.headers)) {
    if (!CREDENTIAL_HEADERS.includes(name.toLowerCase())) continue;
    const scheme = /^(\S+)\s/.exec(value);
    t.request.headers[name] = scheme ? `${scheme[1]} [REDACTED]` : '[REDACTED]';
  }
}

module.exports = { LIST_PATH, CREDENTIAL_HEADERS, classify, credentialHeader, prepare, mask };
