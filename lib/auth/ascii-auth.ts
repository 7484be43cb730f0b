// memcached's ASCII authentication (-Y FILE, "experimental" in 1.6): the
// table of users from the auth file and the responder that checks an
// attempt. The credentials line itself is parsed in protocol/text/ascii-auth.ts.
//
// A successful attempt is answered STORED (then the connection works
// normally), a failed one `CLIENT_ERROR authentication failure`; both count
// in auth_cmds, failures also in auth_errors.
//
// The file holds `user:password` lines (memcached reads at most 8). Like
// lib/auth/sasl.ts, users and passwords are kept as SHA-256 digests and an
// attempt is compared with every entry, user and password both, in constant
// time: the time taken does not tell whether a user exists or which entry
// matched. Nothing here logs users or passwords.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AUTH_REPLY, parseAsciiAuth } from '../../protocol/text/ascii-auth.js';
import type { ProtocolHandler } from '../server/connection.js';
import type { Responder } from '../server/context.js';

/** memcached stops reading the file after this many entries. */
const MAX_ENTRIES = 8;

/** The auth file could not be used (the CLI prints `message` and exits 1). */
export class AsciiAuthFileError extends Error {
  readonly code = 'MC_ERR_AUTH_FILE';
  constructor(message: string) {
    super(message);
    this.name = 'AsciiAuthFileError';
  }
}

export interface AsciiAuthTable {
  /** True when `user` / `password` match an entry; the same work whatever matched. */
  check(user: Buffer, password: Buffer): boolean;
}

function digest(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Build the table from the text of an auth file. */
export function parseAuthFile(text: string, path = 'authfile'): AsciiAuthTable {
  const entries: Array<{ user: Buffer; password: Buffer }> = [];
  for (const raw of text.split('\n')) {
    if (entries.length === MAX_ENTRIES) break;
    const entry = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new AsciiAuthFileError(`Authfile [${path}] has a malformed entry. Should be 'user:password'`);
    entries.push({
      user: digest(Buffer.from(entry.slice(0, colon), 'latin1')),
      password: digest(Buffer.from(entry.slice(colon + 1), 'latin1')),
    });
  }
  return {
    check(user: Buffer, password: Buffer): boolean {
      const u = digest(user);
      const p = digest(password);
      let ok = 0;
      // Compare user and password of every entry, without branching on a
      // result, so the time taken does not depend on which part matched.
      for (const e of entries) ok |= Number(timingSafeEqual(u, e.user)) & Number(timingSafeEqual(p, e.password));
      return ok === 1;
    },
  };
}

export function loadAuthFile(path: string): AsciiAuthTable {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new AsciiAuthFileError(`Could not open authfile [${path}] for reading, error ${reason}`);
  }
  return parseAuthFile(text, path);
}

/** Answer an ASCII auth attempt and mark the session authenticated on success. */
export function asciiAuthResponder(table: AsciiAuthTable): Responder {
  return (req, ctx, session, out) => {
    if (req.type !== 'sasl_auth') {
      out.writeBuffer(AUTH_REPLY.UNAUTHENTICATED);
      return;
    }
    const nul = req.data.indexOf(0);
    ctx.counters.authCmds++;
    if (nul > 0 && table.check(req.data.subarray(0, nul), req.data.subarray(nul + 1))) {
      session.authenticated = true;
      out.writeBuffer(AUTH_REPLY.STORED);
    } else {
      ctx.counters.authErrors++;
      out.writeBuffer(AUTH_REPLY.FAILURE);
    }
  };
}

/** The handler an unauthenticated text connection uses under -Y. */
export function asciiAuthHandler(table: AsciiAuthTable): ProtocolHandler {
  return { parse: parseAsciiAuth, respond: asciiAuthResponder(table) };
}
