// TLS for -Z: memcached's `-o ssl_chain_cert=FILE,ssl_key=FILE[,ssl_ca_cert=FILE]
// [,ssl_verify_mode=N]` turned into node:tls server options, and the
// per-connection check that mode 1 needs.
//
// Verify modes, as memcached maps them onto OpenSSL:
//   0 none     - no client certificate asked for;
//   1 request  - asked for; none is fine, but one that does not verify fails
//                the handshake (OpenSSL SSL_VERIFY_PEER). Node accepts any
//                certificate with rejectUnauthorized off, so acceptPeer()
//                drops such connections right after the handshake;
//   2 require  - a certificate that verifies is required;
//   3 once     - as 2 (CLIENT_ONCE only matters on renegotiation, which
//                Node refuses on the server side anyway).
// Without ssl_ca_cert, client certificates are checked against Node's
// bundled roots (memcached's OpenSSL context would trust nothing).
//
// Files are read at start-up and again on `refresh_certs`; errors carry
// memcached's wording and at start the CLI exits 64 (EX_USAGE) on them, as
// memcached's ssl_init does. ssl_ciphers, ssl_min_version and
// ssl_session_cache are applied to the server's context. With
// ssl_session_cache, sessions resume by ticket: every thread and every
// refreshed context must share the ticket keys (newTicketKeys, made once
// per server), or a client that reconnects to another worker starts over.
//
// `-l notls:<addr>` (splitNoTls): that listener stays plain TCP under -Z,
// as memcached's.

import { readFileSync } from 'node:fs';
import { constants as cryptoConstants, randomBytes } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Settings } from '../cli/settings.js';

export const TLS_VERIFY_NONE = 0;
export const TLS_VERIFY_REQUEST = 1;
export const TLS_VERIFY_REQUIRE = 2;
export const TLS_VERIFY_ONCE = 3;

/** -Z settings that cannot be used (the CLI prints `message` and exits 64). */
export class TlsConfigError extends Error {
  readonly code = 'MC_ERR_TLS';
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TlsConfigError(`Error loading the ${what}: ${path} : ${reason}`);
  }
}

/** Session ticket keys for one server (Node wants 48 bytes: name, HMAC and AES keys). */
export function newTicketKeys(): Buffer {
  return randomBytes(48);
}

const NO_TLS_PREFIX = 'notls:';

/** A -l entry without memcached's `notls:` prefix, and whether it had one. */
export function splitNoTls(entry: string): { entry: string; noTls: boolean } {
  return entry.startsWith(NO_TLS_PREFIX) ? { entry: entry.slice(NO_TLS_PREFIX.length), noTls: true } : { entry, noTls: false };
}

/**
 * Build tls.createServer options from the settings; throws TlsConfigError.
 * `ticketKeys` (newTicketKeys) is used when ssl_session_cache allows tickets.
 */
export function tlsServerOptions(settings: Settings, ticketKeys?: Buffer): TlsOptions {
  if (settings.tlsChainCert === undefined) {
    throw new TlsConfigError('Error loading the certificate chain: (null) : -Z needs -o ssl_chain_cert=FILE');
  }
  const cert = readPem(settings.tlsChainCert, 'certificate chain');
  // memcached: the key may be part of the chain file when ssl_key is not given.
  const key = settings.tlsKey === undefined ? cert : readPem(settings.tlsKey, 'key');
  const ca = settings.tlsCaCert === undefined ? undefined : readPem(settings.tlsCaCert, 'CA certificate');
  const mode = settings.tlsVerifyMode;
  const options: TlsOptions = {
    cert,
    key,
    minVersion: settings.tlsMinVersion,
    ...(settings.tlsCiphers !== undefined ? { ciphers: settings.tlsCiphers } : {}),
    // memcached keeps no session cache unless ssl_session_cache: no resumption by ticket either.
    ...(!settings.tlsSessionCache ? { secureOptions: cryptoConstants.SSL_OP_NO_TICKET } : ticketKeys !== undefined ? { ticketKeys } : {}),
    requestCert: mode !== TLS_VERIFY_NONE,
    rejectUnauthorized: mode === TLS_VERIFY_REQUIRE || mode === TLS_VERIFY_ONCE,
    ...(ca !== undefined ? { ca } : {}),
  };
  try {
    // Load once here so a bad certificate, key or mismatch fails at start-up.
    createSecureContext(options);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TlsConfigError(`Error validating the certificate: ${reason}`);
  }
  return options;
}

/**
 * Verify mode 1: a client that sent a certificate that does not verify is
 * refused (no certificate at all is fine). Other modes: Node already did it.
 */
export function acceptPeer(socket: TLSSocket, mode: number): boolean {
  if (mode !== TLS_VERIFY_REQUEST || socket.authorized) return true;
  const peer = socket.getPeerCertificate();
  return peer === null || Object.keys(peer).length === 0;
}
