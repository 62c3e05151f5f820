/**
 * The stand-in's fault switches: each breaks exactly one rule that the runner checks, so that the runner's
 * own tests can show that the check catches it. This table is the contract between the stand-in and the
 * runner's self-tests: `catches` lists the check IDs that must fail (status `failed` or, for harness
 * faults, `errored`) under the fault, and `exit` is the runner's expected exit code.
 *
 * A fault is switched on with `startStandin({ faults: ['id', ...] })` or `npm run standin -- --fault id`.
 */
export interface FaultSpec {
  readonly id: string;
  readonly description: string;
  readonly catches: readonly string[];
  /** 1: a MUST check fails; 2: the run could not judge (slow target); 0: only a SHOULD/MAY check fails (a warning). */
  readonly exit: 0 | 1 | 2;
}

export const FAULTS = [
  // Authentication
  {
    id: 'auth-bypass',
    description: "a request without credentials is served the first user's list (200)",
    catches: ['auth-none-rejected'],
    exit: 1,
  },
  {
    id: 'basic-any-password',
    description: 'Basic accepts any password for a known user',
    catches: ['auth-basic-wrong-password'],
    exit: 1,
  },
  {
    id: 'basic-unknown-user-ok',
    description: 'Basic with an unknown user name gets 200 and an empty list',
    catches: ['auth-basic-unknown-user'],
    exit: 1,
  },
  {
    id: 'basic-malformed-ok',
    description: 'a malformed Basic value (not base64, no colon) is treated as the first user',
    catches: ['auth-basic-malformed-rejected'],
    exit: 1,
  },
  {
    id: 'auth-error-403',
    description: 'authentication failures are answered 403 instead of 401',
    catches: ['auth-basic-wrong-password', 'auth-token-garbage'],
    exit: 1,
  },
  {
    id: 'auth-error-text-body',
    description: 'authentication errors carry a plain-text body instead of Error JSON',
    catches: ['auth-basic-wrong-password'],
    exit: 1,
  },
  {
    id: 'auth-error-wrong-shape',
    description: 'authentication errors carry {"message": ...} instead of {"error": ...}',
    catches: ['auth-basic-wrong-password'],
    exit: 1,
  },
  {
    id: 'token-auth-unsupported',
    description: 'X-Auth-Token and Macaroon headers are ignored (the client is nobody)',
    catches: ['auth-token-x-auth-token'],
    exit: 1,
  },
  {
    id: 'macaroon-header-unsupported',
    description: 'the Macaroon header is ignored; only X-Auth-Token works',
    catches: ['auth-token-macaroon-header'],
    exit: 1,
  },
  {
    id: 'garbage-token-500',
    description: 'a token that does not deserialize crashes the handler (500)',
    catches: ['auth-token-garbage'],
    exit: 1,
  },
  {
    id: 'signature-not-verified',
    description: 'a token is accepted by identifier alone; its HMAC chain is not checked',
    catches: ['auth-token-tampered-signature'],
    exit: 1,
  },
  {
    id: 'time-caveat-not-verified',
    description: 'an expired `time < N` caveat is accepted',
    catches: ['auth-token-expired-caveat'],
    exit: 1,
  },
  {
    id: 'time-caveat-rejected',
    description: 'any added `time < N` caveat is rejected, also a future one',
    catches: ['auth-token-future-caveat'],
    exit: 1,
  },
  {
    id: 'unknown-caveat-accepted',
    description: 'first-party caveats the server does not know are treated as satisfied',
    catches: ['auth-token-unknown-caveat'],
    exit: 1,
  },
  {
    id: 'token-wrong-user',
    description: 'every valid token authenticates as the first seeded user',
    catches: ['auth-token-same-user'],
    exit: 1,
  },
  // Isolation and secrets
  {
    id: 'cross-user-leak',
    description: "the list also holds the other users' tokens",
    catches: ['isolation-disjoint'],
    exit: 1,
  },
  {
    id: 'secret-echo',
    description: 'a 401 for bad Basic credentials echoes the submitted password',
    catches: ['secrets-no-password'],
    exit: 1,
  },
  {
    id: 'foreign-token-in-error',
    description: "a 401 body names another user's token",
    catches: ['secrets-no-foreign-token'],
    exit: 1,
  },
  // Shape and HTTP
  {
    id: 'list-wrong-status',
    description: 'the list is answered 203 instead of 200',
    catches: ['auth-basic-valid'],
    exit: 1,
  },
  {
    id: 'list-wrong-content-type',
    description: 'the list is served as text/plain',
    catches: ['shape-list-content-type'],
    exit: 1,
  },
  {
    id: 'list-wrong-shape',
    description: 'the list is {"tokens": "<comma separated>"} instead of an array',
    catches: ['shape-list-schema'],
    exit: 1,
  },
  { id: 'list-null-item', description: 'the list contains a null item', catches: ['shape-list-no-null'], exit: 1 },
  {
    id: 'list-duplicate-item',
    description: 'the list repeats its first token',
    catches: ['shape-list-no-duplicates'],
    exit: 1,
  },
  {
    id: 'list-malformed-token',
    description: 'tokens are listed unescaped (base64url with - and _), as the upstream docs show',
    catches: ['tokens-well-formed'],
    exit: 1,
  },
  { id: 'list-not-json', description: 'the list body is not JSON', catches: ['shape-list-schema'], exit: 1 },
  {
    id: 'method-not-allowed-404',
    description: 'PUT, PATCH and DELETE on the collection get 404 instead of 405',
    catches: ['http-405-not-allowed'],
    exit: 1,
  },
  {
    id: 'allow-header-missing',
    description: '405 answers carry no Allow header',
    catches: ['http-405-allow-header'],
    exit: 1,
  },
  {
    id: 'accept-ignored',
    description: 'an unacceptable Accept is served anyway (200, not 406)',
    catches: ['http-406-unacceptable'],
    exit: 0,
  },
  {
    id: 'truncated-body',
    description: 'the list body is cut short of its content-length',
    catches: ['auth-basic-valid'],
    exit: 1,
  },
  // Lifecycle (needs --allow-writes)
  { id: 'create-wrong-status', description: 'POST answers 201 instead of 200', catches: ['lifecycle-create'], exit: 1 },
  {
    id: 'created-not-listed',
    description: 'a created token authenticates but is never listed',
    catches: ['lifecycle-created-listed'],
    exit: 1,
  },
  {
    id: 'created-appended',
    description: 'a created token is appended, not listed first',
    catches: ['lifecycle-created-first'],
    exit: 0,
  },
  {
    id: 'delete-ignored',
    description: 'DELETE answers 202 but the token stays listed and valid',
    catches: ['lifecycle-deleted-unlisted', 'lifecycle-deleted-rejected'],
    exit: 1,
  },
  {
    id: 'deleted-still-valid',
    description: 'a deleted token is unlisted but still authenticates',
    catches: ['lifecycle-deleted-rejected'],
    exit: 1,
  },
  /*
   * issue 11: faults only the generated attacks and the response-hygiene checks catch (their switches are in
   * standin/issue11-faults.ts, and `bad-basic-falls-through` in the authentication order).
   */
  {
    id: 'query-token-accepted',
    description: 'a token in the query string (?access_token=, ?token=) authenticates, as a misconfigured proxy would',
    catches: ['attack-invalid-credentials-rejected'],
    exit: 1,
  },
  {
    id: 'identity-header-trusted',
    description: "an identity header (X-Remote-User, X-Forwarded-User…) naming a user is served that user's list",
    catches: ['attack-invalid-credentials-rejected'],
    exit: 1,
  },
  {
    id: 'path-case-bypass',
    description: "a case-changed path (/user/Client_tokens) skips authentication and serves the first user's list",
    catches: ['attack-invalid-credentials-rejected'],
    exit: 1,
  },
  {
    id: 'macaroon-header-first-user',
    description: 'a valid token in the Macaroon header authenticates as the first user, not as its owner',
    catches: ['attack-valid-credentials-own-list'],
    exit: 1,
  },
  {
    id: 'bad-basic-falls-through',
    description: 'a failing Basic credential does not end authentication: a token sent with it is tried next',
    catches: ['attack-credential-precedence'],
    exit: 0,
  },
  {
    id: 'list-cache-public',
    description: 'the authenticated list is sent with Cache-Control: public, max-age=300',
    catches: ['http-list-not-shared-cacheable'],
    exit: 1,
  },
  {
    id: 'cors-reflect-origin',
    description: 'any Origin is reflected in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true',
    catches: ['http-cors-no-credentialed-reflection'],
    exit: 1,
  },
  {
    id: 'json-bom',
    description: 'the list body starts with a UTF-8 byte-order mark',
    catches: ['http-json-no-bom'],
    exit: 1,
  },
  {
    id: 'false-content-encoding',
    description: 'the list is labelled Content-Encoding: gzip but sent as plain JSON',
    catches: ['http-content-encoding-true'],
    exit: 1,
  },
  {
    id: 'token-encoded-in-error',
    description: "a 401 carries a header with a user's token, base64-encoded",
    catches: ['secrets-no-token-in-any-spelling'],
    exit: 1,
  },
  {
    id: 'delete-other-users-token',
    description: "DELETE of another user's listed token by a Basic caller removes it (202/204)",
    catches: ['lifecycle-model'],
    exit: 1,
  },
  {
    id: 'list-capped',
    description: 'the list shows at most its first 3 tokens',
    catches: ['lifecycle-model'],
    exit: 1,
  },
  // Harness-level: the runner cannot judge
  { id: 'slow', description: "every answer is delayed past the runner's timeout", catches: [], exit: 2 },
] as const satisfies readonly FaultSpec[];

export type FaultId = (typeof FAULTS)[number]['id'];
export const FAULT_IDS: readonly FaultId[] = FAULTS.map((f) => f.id);
export const isFaultId = (s: string): s is FaultId => (FAULT_IDS as readonly string[]).includes(s);
