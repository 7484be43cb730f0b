// memcached's ASCII authentication (-Y FILE, "experimental" in 1.6): until a
// connection authenticates, the only request it may send is a fake set
// whose data is `user password`:
//
//   set <any key> <any flags> <any exptime> <bytes>\r\n<user> <password>\r\n
//
// answered STORED (then the connection works normally) or
// `CLIENT_ERROR authentication failure`; both count in auth_cmds, failures
// also in auth_errors. Any other line gets `CLIENT_ERROR unauthenticated`.
// None of these close the connection; a line of more than 2048 bytes
// without a newline does, as in memcached.
//
// As in memcached 1.6.18, the line and the payload are C strings (they end
// at a NUL byte), split on spaces only, and <bytes> is read like
// safe_strtoul. memcached 1.6.18 buffers any payload size; we buffer up to
// MAX_AUTH_PAYLOAD (later memcached releases refuse bigger ones too) and
// swallow bigger ones with `CLIENT_ERROR bad authentication token format`.
//
// The file holds `user:password` lines (memcached reads at most 8). Like
// lib/auth/sasl.ts, passwords are kept as SHA-256 digests and compared in
// constant time; nothing here logs users or passwords.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ParseResult, ParserLimits, SaslRequest } from '../../protocol/request.js';
import { parseUint32Token } from '../../protocol/text/numbers.js';
import type { ProtocolHandler } from '../server/connection.js';
import type { Responder } from '../server/context.js';

/** memcached stops reading the file after this many entries. */
const MAX_ENTRIES = 8;
const MAX_LINE_WITHOUT_NEWLINE = 2048;
/** Largest `user password` payload read; bigger ones are swallowed unread. */
export const MAX_AUTH_PAYLOAD = 16 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

function line(text: string): Buffer {
  return Buffer.from(text + '\r\n', 'latin1');
}
const UNAUTHENTICATED = line('CLIENT_ERROR unauthenticated');
const BAD_TERMINATION = line('CLIENT_ERROR bad command line termination');
const BAD_TOKEN_FORMAT = line('CLIENT_ERROR bad authentication token format');
const AUTH_FAILURE = line('CLIENT_ERROR authentication failure');
const STORED = line('STORED');
const NOTHING = Buffer.alloc(0);

/** The auth file could not be used (the CLI prints `message` and exits 1). */
export class AsciiAuthFileError extends Error {
  readonly code = 'MC_ERR_AUTH_FILE';
  constructor(message: string) {
    super(message);
    this.name = 'AsciiAuthFileError';
  }
}

export interface AsciiAuthTable {
  /** True when `user` / `password` match an entry; constant time per entry. */
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
      let ok = false;
      // Look at every entry so the time taken does not depend on which matched.
      for (const e of entries) {
        const match = timingSafeEqual(u, e.user) && timingSafeEqual(p, e.password);
        ok = ok || match;
      }
      return ok;
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

/** Split on spaces, as memcached's tokenizer does (no tabs), up to the first NUL (a C string). */
function spaceTokens(buf: Buffer, start: number, end: number): Array<[number, number]> {
  const nul = buf.indexOf(0, start);
  const stop = nul >= 0 && nul < end ? nul : end;
  const tokens: Array<[number, number]> = [];
  let i = start;
  while (i < stop) {
    while (i < stop && buf[i] === SPACE) i++;
    if (i >= stop) break;
    const from = i;
    while (i < stop && buf[i] !== SPACE) i++;
    tokens.push([from, i]);
  }
  return tokens;
}

function fail(reply: Buffer, consumed: number, close = false): ParseResult {
  return { kind: 'error', reply, consumed, close };
}

/**
 * Parse what an unauthenticated connection sends. A well-formed attempt
 * becomes a `sasl_auth` request with mechanism 'ascii' and data
 * `user NUL password`, for `respondAsciiAuth`.
 */
export function parseAsciiAuth(buf: Buffer, offset: number, _limits: ParserLimits): ParseResult {
  const nl = buf.indexOf(LF, offset);
  if (nl < 0) {
    return buf.length - offset > MAX_LINE_WITHOUT_NEWLINE ? fail(NOTHING, buf.length - offset, true) : { kind: 'incomplete' };
  }
  const lineEnd = nl > offset && buf[nl - 1] === CR ? nl - 1 : nl;
  const afterLine = nl + 1;
  const tokens = spaceTokens(buf, offset, lineEnd);
  const sizeToken = tokens[4];
  const size = sizeToken === undefined ? Number.NaN : parseUint32Token(buf, sizeToken[0], sizeToken[1]);
  const first = tokens[0];
  const isSet = first !== undefined && buf.toString('latin1', first[0], first[1]) === 'set';
  if (tokens.length < 5 || !isSet || Number.isNaN(size)) return fail(UNAUTHENTICATED, afterLine - offset);
  if (size > MAX_AUTH_PAYLOAD) {
    return { kind: 'swallow', reply: BAD_TOKEN_FORMAT, consumed: afterLine - offset, remaining: size + 2 };
  }
  const dataEnd = afterLine + size + 2;
  if (buf.length < dataEnd) return { kind: 'incomplete' };
  const consumed = dataEnd - offset;
  if (buf[dataEnd - 2] !== CR || buf[dataEnd - 1] !== LF) return fail(BAD_TERMINATION, consumed);
  const creds = spaceTokens(buf, afterLine, dataEnd - 2);
  if (creds.length < 2) return fail(BAD_TOKEN_FORMAT, consumed);
  const [u0, u1] = creds[0] as [number, number];
  const [p0, p1] = creds[1] as [number, number];
  const request: SaslRequest = {
    type: 'sasl_auth',
    protocol: 'text',
    quiet: false,
    opaque: 0,
    binaryOpcode: 0,
    mechanism: 'ascii',
    data: Buffer.concat([buf.subarray(u0, u1), Buffer.from([0]), buf.subarray(p0, p1)]),
  };
  return { kind: 'ok', request, consumed };
}

/** Answer an ASCII auth attempt and mark the session authenticated on success. */
export function asciiAuthResponder(table: AsciiAuthTable): Responder {
  return (req, ctx, session, out) => {
    if (req.type !== 'sasl_auth') {
      out.writeBuffer(UNAUTHENTICATED);
      return;
    }
    const nul = req.data.indexOf(0);
    ctx.counters.authCmds++;
    if (nul > 0 && table.check(req.data.subarray(0, nul), req.data.subarray(nul + 1))) {
      session.authenticated = true;
      out.writeBuffer(STORED);
    } else {
      ctx.counters.authErrors++;
      out.writeBuffer(AUTH_FAILURE);
    }
  };
}

/** The handler an unauthenticated text connection uses under -Y. */
export function asciiAuthHandler(table: AsciiAuthTable): ProtocolHandler {
  return { parse: parseAsciiAuth, respond: asciiAuthResponder(table) };
}
