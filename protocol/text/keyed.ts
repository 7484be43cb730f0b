// One-key commands without a data block: incr, decr, touch, delete.
//
//   incr|decr <key> <delta> [noreply]
//   touch <key> <exptime> [noreply]
//   delete <key> [0] [noreply]
//
// memcached rules kept: a wrong token count is `ERROR`; `noreply` is only
// ever the last token and also silences the error replies; `delete <key> 0`
// is the legacy form memcached still accepts, any other second argument is
// the usage error.

import type {
  ArithmeticRequest,
  DeleteRequest,
  ParseResult,
  ParserLimits,
  TouchRequest,
} from '../request.js';
import { REPLY } from './replies.js';
import { fail, ok } from './results.js';
import { ascii, lastTokenIsNoreply, tokenEnd, tokenEquals, tokenLength, tokenStart } from './tokenize.js';
import { parseInt32Token, parseUint64Token } from './numbers.js';

const ZERO = ascii('0');

/** Is the key (token 1) longer than the limit? */
function keyTooLong(limits: ParserLimits): boolean {
  return tokenLength(1) > limits.maxKeyBytes;
}

/** The reply to a key over the limit: the format error, or nothing under noreply. */
function keyTooLongReply(noreply: boolean, consumed: number): ParseResult {
  return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_BAD_FORMAT, consumed);
}

/**
 * The checks `<cmd> <key> <number> [noreply]` (incr, decr, touch) make before
 * reading the number: three or four tokens, a key within the limit. Returns
 * the error to answer, or undefined when the line passes.
 */
function keyNumberLineError(buf: Buffer, n: number, consumed: number, limits: ParserLimits): ParseResult | undefined {
  if (n !== 3 && n !== 4) return fail(REPLY.ERROR, consumed);
  // noreply is read only on the refusal path; the caller reads it again after.
  return keyTooLong(limits) ? keyTooLongReply(lastTokenIsNoreply(buf, n), consumed) : undefined;
}

/** Token 1 of the line: the key, as a view into the input. */
function keyToken(buf: Buffer): Buffer {
  return buf.subarray(tokenStart[1]!, tokenEnd[1]!);
}

export function parseArithmetic(
  buf: Buffer,
  offset: number,
  n: number,
  next: number,
  incr: boolean,
  limits: ParserLimits,
): ParseResult {
  const consumed = next - offset;
  const lineError = keyNumberLineError(buf, n, consumed, limits);
  if (lineError !== undefined) return lineError;
  const noreply = lastTokenIsNoreply(buf, n);
  const delta = parseUint64Token(buf, tokenStart[2]!, tokenEnd[2]!);
  if (delta === null) return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_INVALID_DELTA, consumed);
  const request: ArithmeticRequest = {
    protocol: 'text',
    quiet: noreply,
    opaque: 0,
    binaryOpcode: 0,
    type: 'arith',
    incr,
    key: keyToken(buf),
    delta,
    initial: 0n,
    exptime: undefined,
    cas: 0,
  };
  return ok(request, consumed);
}

export function parseTouch(
  buf: Buffer,
  offset: number,
  n: number,
  next: number,
  limits: ParserLimits,
): ParseResult {
  const consumed = next - offset;
  const lineError = keyNumberLineError(buf, n, consumed, limits);
  if (lineError !== undefined) return lineError;
  const noreply = lastTokenIsNoreply(buf, n);
  const exptime = parseInt32Token(buf, tokenStart[2]!, tokenEnd[2]!);
  if (Number.isNaN(exptime)) return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_INVALID_EXPTIME, consumed);
  const request: TouchRequest = {
    protocol: 'text',
    quiet: noreply,
    opaque: 0,
    binaryOpcode: 0,
    type: 'touch',
    key: keyToken(buf),
    exptime,
  };
  return ok(request, consumed);
}

export function parseDelete(
  buf: Buffer,
  offset: number,
  n: number,
  next: number,
  limits: ParserLimits,
): ParseResult {
  const consumed = next - offset;
  if (n < 2 || n > 4) return fail(REPLY.ERROR, consumed);
  let noreply = false;
  if (n > 2) {
    const holdIsZero = tokenEquals(buf, 2, ZERO);
    noreply = lastTokenIsNoreply(buf, n);
    const valid = (n === 3 && (holdIsZero || noreply)) || (n === 4 && holdIsZero && noreply);
    if (!valid) return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_DELETE_USAGE, consumed);
  }
  if (keyTooLong(limits)) return keyTooLongReply(noreply, consumed);
  const request: DeleteRequest = {
    protocol: 'text',
    quiet: noreply,
    opaque: 0,
    binaryOpcode: 0,
    type: 'delete',
    key: keyToken(buf),
    cas: 0,
  };
  return ok(request, consumed);
}
