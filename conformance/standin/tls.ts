import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import { StandinError } from './errors.js';

/**
 * The stand-in's HTTPS identity: a committed, long-lived TEST-ONLY CA and a leaf certificate for
 * 127.0.0.1 and localhost, generated once with openssl (see tls/README.md). We chose committed files over
 * running `openssl` at start: Node 20 has no X.509 generator, a fresh CI image need not ship the openssl
 * CLI, and fixed files make TLS behaviour identical on every machine. The keys protect nothing: they
 * only let tests exercise `--ca` (trust this CA) and the failure without it.
 */
export interface TlsMaterial {
  key: string;
  cert: string;
  caPem: string;
}

export function loadTestTls(): TlsMaterial {
  const read = (name: string): string => {
    try {
      return readFileSync(fromRoot('conformance', 'standin', 'tls', name), 'utf8');
    } catch (e) {
      throw new StandinError('S_TLS', `cannot read the stand-in's test certificate ${name}: ${(e as Error).message}`);
    }
  };
  return { key: read('server.key.pem'), cert: read('server.cert.pem'), caPem: read('ca.cert.pem') };
}
