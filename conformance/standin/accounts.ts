import type { UserRecord } from './state.js';
import { mintFor, TOKEN_TTL_SECONDS, type TokenIssuer } from './tokens.js';
import type { TokenKind } from './types.js';

/**
 * A lived-in account (real-server-2102.md §1.6): from 20.02 the list holds every named access token of
 * the user, oldest POST token first by name, with expired, revoked and caveated ones. The EGI notebooks
 * hub, for instance, makes `oneclient.notebooks.egi.eu` (`interface = oneclient`, never valid on Onezone
 * REST) and `onezone.notebooks.egi.eu` (`interface = rest`, `service = ozw-onezone`, valid). So the first
 * listed token has expired and the valid ones are never first.
 */
const DAY_MS = 86_400_000;

interface Extra {
  kind: TokenKind;
  /** Days before now at which the token was made. */
  ageDays: number;
  caveats?: (nowSeconds: number) => string[];
  name?: string;
}

const EXTRAS: readonly Extra[] = [
  { kind: 'expired', ageDays: 400 },
  { kind: 'expired', ageDays: 380 },
  { kind: 'revoked', ageDays: 200 },
  {
    kind: 'interface-oneclient',
    ageDays: 30,
    name: 'oneclient.notebooks.egi.eu',
    caveats: () => ['interface = oneclient'],
  },
  {
    kind: 'rest-service',
    ageDays: 30,
    name: 'onezone.notebooks.egi.eu',
    caveats: () => ['interface = rest', 'service = ozw-onezone'],
  },
];

export function furnish(issuer: TokenIssuer, user: UserRecord): void {
  const now = issuer.nowMs();
  for (const e of EXTRAS) {
    const atMs = now - e.ageDays * DAY_MS;
    const made = Math.floor(atMs / 1000);
    const m = mintFor(issuer, user, {
      atMs,
      caveats: e.caveats?.(made) ?? [`time < ${made + TOKEN_TTL_SECONDS}`],
      ...(e.name !== undefined && { name: e.name }),
    });
    issuer.store.addToken(user, m.identifier, m.secret, { token: m.token, name: m.name, kind: e.kind }, 'last');
    if (e.kind === 'revoked') issuer.store.markRevoked(m.identifier);
  }
}
