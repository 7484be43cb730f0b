// set, add, replace, append, prepend, cas: a command line, then a data block
// of the declared length and CRLF.
//
//   <cmd> <key> <flags> <exptime> <bytes> [noreply]\r\n<data>\r\n
//   cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]\r\n<data>\r\n
//
// memcached rules kept:
//   - a bad line (`CLIENT_ERROR bad command line format`) consumes only the
//     line: the data block that follows is then read as commands;
//   - a block too large for the item limit is swallowed unread
//     (`SERVER_ERROR object too large for cache`);
//   - a block not followed by CRLF is `CLIENT_ERROR bad data chunk` after
//     exactly <bytes>+2 bytes, and parsing resumes right there;
//   - with `noreply` those errors are not answered either (REPLY.NONE).

import { valueTooLarge, type ParseResult, type ParserLimits, type StoreMode, type StoreRequest } from '../request.js';
import { REPLY } from './replies.js';
import { fail, INCOMPLETE, ok, swallow } from './results.js';
import { lastTokenIsNoreply, tokenEnd, tokenStart } from './tokenize.js';
import { parseInt32Token, parseUint32Token, parseUint64TokenAsNumber } from './numbers.js';

/** memcached refuses a declared length above INT_MAX - 2 before anything else. */
const MAX_DECLARED_LENGTH = 2147483647 - 2;

/**
 * Where a data block of `length` bytes starting at `start` stands:
 * 'incomplete' (wait for bytes), 'ok' (CRLF follows), or 'bad' (no CRLF).
 */
export function frameDataBlock(buf: Buffer, start: number, length: number): 'incomplete' | 'ok' | 'bad' {
  const crlf = start + length;
  if (crlf + 2 > buf.length) return 'incomplete';
  return buf[crlf] === 13 && buf[crlf + 1] === 10 ? 'ok' : 'bad';
}

/**
 * Parse a storage command whose line has `n` tokens (command included).
 * `next` is the offset just past the line's '\n'.
 */
export function parseStore(
  buf: Buffer,
  offset: number,
  n: number,
  next: number,
  mode: StoreMode,
  limits: ParserLimits,
): ParseResult {
  // memcached counts a terminal token: cas wants 7 or 8, the others 6 or 7.
  const hasCas = mode === 'cas';
  const base = hasCas ? 6 : 5;
  if (n !== base && n !== base + 1) return fail(REPLY.ERROR, next - offset);
  const noreply = lastTokenIsNoreply(buf, n);
  const lineBytes = next - offset;
  const badLine = noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_BAD_FORMAT;

  const keyStart = tokenStart[1]!;
  const keyEnd = tokenEnd[1]!;
  if (keyEnd - keyStart > limits.maxKeyBytes) return fail(badLine, lineBytes);

  const flags = parseUint32Token(buf, tokenStart[2]!, tokenEnd[2]!);
  const exptime = parseInt32Token(buf, tokenStart[3]!, tokenEnd[3]!);
  const length = parseInt32Token(buf, tokenStart[4]!, tokenEnd[4]!);
  if (Number.isNaN(flags) || Number.isNaN(exptime) || Number.isNaN(length)) {
    return fail(badLine, lineBytes);
  }
  let cas = 0;
  if (hasCas) {
    cas = parseUint64TokenAsNumber(buf, tokenStart[5]!, tokenEnd[5]!);
    if (Number.isNaN(cas)) return fail(badLine, lineBytes);
  }
  if (length < 0 || length > MAX_DECLARED_LENGTH) return fail(badLine, lineBytes);

  if (valueTooLarge(limits, keyEnd - keyStart, flags, length)) {
    // memcached unlinks the old value of a `set` it refuses as too large.
    const unlink = mode === 'set' ? buf.subarray(keyStart, keyEnd) : undefined;
    return swallow(noreply ? REPLY.NONE : REPLY.SERVER_ERROR_TOO_LARGE, lineBytes, length + 2, unlink, true);
  }

  const framing = frameDataBlock(buf, next, length);
  if (framing === 'incomplete') return INCOMPLETE;
  const consumed = lineBytes + length + 2;
  if (framing === 'bad') return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_BAD_DATA_CHUNK, consumed);

  const request: StoreRequest = {
    protocol: 'text',
    quiet: noreply,
    opaque: 0,
    binaryOpcode: 0,
    type: 'store',
    mode,
    key: buf.subarray(keyStart, keyEnd),
    value: buf.subarray(next, next + length),
    flags,
    exptime,
    cas,
  };
  return ok(request, consumed);
}
