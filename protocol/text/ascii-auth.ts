// The credentials line of memcached's ASCII authentication (-Y FILE): what a
// connection sends before it has authenticated, parsed into a request. Pure
// parsing over Buffers; the auth table, counters and session state are in
// lib/auth/ascii-auth.ts.
//
// Until it authenticates a connection may only send a fake set whose data is
// `user password`:
//
//   set <any key> <any flags> <any exptime> <bytes>\r\n<user> <password>\r\n
//
// Any other line gets `CLIENT_ERROR unauthenticated`; none of these close
// the connection, but a line of more than 2048 bytes without a newline does,
// as in memcached. As in memcached 1.6.18 the line and the payload are C
// strings (they end at a NUL byte), split on spaces only, and <bytes> is read
// like safe_strtoul. memcached 1.6.18 buffers any payload size; we buffer up
// to MAX_AUTH_PAYLOAD (later memcached releases refuse bigger ones too) and
// swallow bigger ones with `CLIENT_ERROR bad authentication token format`.

import type { ParseResult, ParserLimits, SaslRequest } from '../request.js';
import { parseUint32Token } from './numbers.js';

const MAX_LINE_WITHOUT_NEWLINE = 2048;
/** Largest `user password` payload read; bigger ones are swallowed unread. */
export const MAX_AUTH_PAYLOAD = 16 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

function line(text: string): Buffer {
  return Buffer.from(text + '\r\n', 'latin1');
}

/** The replies of ASCII authentication, byte for byte as memcached 1.6.18. */
export const AUTH_REPLY = Object.freeze({
  UNAUTHENTICATED: line('CLIENT_ERROR unauthenticated'),
  BAD_TERMINATION: line('CLIENT_ERROR bad command line termination'),
  BAD_TOKEN_FORMAT: line('CLIENT_ERROR bad authentication token format'),
  FAILURE: line('CLIENT_ERROR authentication failure'),
  STORED: line('STORED'),
});
const NOTHING = Buffer.alloc(0);

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
 * `user NUL password`.
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
  if (tokens.length < 5 || !isSet || Number.isNaN(size)) return fail(AUTH_REPLY.UNAUTHENTICATED, afterLine - offset);
  if (size > MAX_AUTH_PAYLOAD) {
    return { kind: 'swallow', reply: AUTH_REPLY.BAD_TOKEN_FORMAT, consumed: afterLine - offset, remaining: size + 2, unlinkKey: undefined };
  }
  const dataEnd = afterLine + size + 2;
  if (buf.length < dataEnd) return { kind: 'incomplete' };
  const consumed = dataEnd - offset;
  if (buf[dataEnd - 2] !== CR || buf[dataEnd - 1] !== LF) return fail(AUTH_REPLY.BAD_TERMINATION, consumed);
  const creds = spaceTokens(buf, afterLine, dataEnd - 2);
  if (creds.length < 2) return fail(AUTH_REPLY.BAD_TOKEN_FORMAT, consumed);
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
