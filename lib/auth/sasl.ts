// SASL PLAIN for the binary protocol (-S): the password file and the check.
//
// The file has memcached's MEMCACHED_SASL_PWDB format: one `user:password`
// per line; anything after a second `:` is ignored, as are blank lines;
// the first line for a user wins. It is read once at start-up (memcached
// re-reads it on every attempt; restart to pick up changes).
//
// Passwords are kept only as SHA-256 digests and compared with
// crypto.timingSafeEqual on equal-length digests, so neither the content
// nor the length of a guess shows in the time taken; an unknown user costs
// the same as a wrong password. Nothing here logs users or passwords.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SaslVerifier } from '../server/context.js';

/** A password file that cannot be read (the CLI prints `message` and exits). */
export class SaslPasswordFileError extends Error {
  readonly code = 'MC_ERR_SASL_PWDB';
  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot read SASL password file ${path}: ${reason}`);
    this.name = 'SaslPasswordFileError';
  }
}

function digest(bytes: Buffer | string): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** user -> SHA-256 of the password, from the text of a password file. */
export function parsePasswordFile(text: string): Map<string, Buffer> {
  const users = new Map<string, Buffer>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const user = line.slice(0, colon);
    const rest = line.slice(colon + 1);
    const end = rest.indexOf(':');
    const password = end < 0 ? rest : rest.slice(0, end);
    if (!users.has(user)) users.set(user, digest(Buffer.from(password, 'utf8')));
  }
  return users;
}

/**
 * Split a PLAIN message `authzid NUL authcid NUL password` (RFC 4616).
 * Returns undefined when it does not have exactly three parts.
 */
export function splitPlainMessage(message: Buffer): { authzid: string; user: string; password: Buffer } | undefined {
  const first = message.indexOf(0);
  if (first < 0) return undefined;
  const second = message.indexOf(0, first + 1);
  if (second < 0 || message.indexOf(0, second + 1) >= 0) return undefined;
  return {
    authzid: message.toString('utf8', 0, first),
    user: message.toString('utf8', first + 1, second),
    password: message.subarray(second + 1),
  };
}

/** Build a verifier from users and password digests (tests use this directly). */
export function createSaslVerifierFromUsers(users: ReadonlyMap<string, Buffer>): SaslVerifier {
  // Compared against when the user is unknown, so that case takes as long as a wrong password.
  const decoy = digest('grow-a-cache: no such user');
  return {
    mechanisms: 'PLAIN',
    verifyPlain(message: Buffer): string | undefined {
      const parts = splitPlainMessage(message);
      if (parts === undefined) return undefined;
      const expected = users.get(parts.user);
      const matches = timingSafeEqual(digest(parts.password), expected ?? decoy);
      // An authorization identity, if given, must be the user itself: no proxy logins.
      const authzOk = parts.authzid === '' || parts.authzid === parts.user;
      return expected !== undefined && matches && authzOk && parts.user !== '' ? parts.user : undefined;
    },
  };
}

/** Read `pwdbPath` and return a PLAIN verifier; throws SaslPasswordFileError if unreadable. */
export function createSaslVerifier(pwdbPath: string): SaslVerifier {
  let text: string;
  try {
    text = readFileSync(pwdbPath, 'utf8');
  } catch (err) {
    throw new SaslPasswordFileError(pwdbPath, err);
  }
  return createSaslVerifierFromUsers(parsePasswordFile(text));
}
