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
import { ascii, lastTokenIsNoreply, tokenEnd, tokenEquals, tokenStart } from './tokenize.js';
import { parseInt32Token, parseUint64Token } from './numbers.js';

const ZERO = ascii('0');

export function parseArithmetic(
  buf: Buffer,
  offset: number,
  n: number,
  next: number,
  incr: boolean,
  limits: ParserLimits,
): ParseResult {
  const consumed = next - offset;
  if (n !== 3 && n !== 4) return fail(REPLY.ERROR, consumed);
  const noreply = lastTokenIsNoreply(buf, n);
  const keyStart = tokenStart[1]!;
  const keyEnd = tokenEnd[1]!;
  if (keyEnd - keyStart > limits.maxKeyBytes) {
    return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_BAD_FORMAT, consumed);
  }
  const delta = parseUint64Token(buf, tokenStart[2]!, tokenEnd[2]!);
  if (delta === null) return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_INVALID_DELTA, consumed);
  const request: ArithmeticRequest = {
    protocol: 'text',
    quiet: noreply,
    opaque: 0,
    binaryOpcode: 0,
    type: 'arith',
    incr,
    key: buf.subarray(keyStart, keyEnd),
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
  if (n !== 3 && n !== 4) return fail(REPLY.ERROR, consumed);
  const noreply = lastTokenIsNoreply(buf, n);
  const keyStart = tokenStart[1]!;
  const keyEnd = tokenEnd[1]!;
  if (keyEnd - keyStart > limits.maxKeyBytes) {
    return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_BAD_FORMAT, consumed);
  }
  const exptime = parseInt32Token(buf, tokenStart[2]!, tokenEnd[2]!);
  if (Number.isNaN(exptime)) return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_INVALID_EXPTIME, consumed);
  const request: TouchRequest = {
    protocol: 'text',
    quiet: noreply,
    opaque: 0,
    binaryOpcode: 0,
    type: 'touch',
    key: buf.subarray(keyStart, keyEnd),
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
  const keyStart = tokenStart[1]!;
  const keyEnd = tokenEnd[1]!;
  if (keyEnd - keyStart > limits.maxKeyBytes) {
    return fail(noreply ? REPLY.NONE : REPLY.CLIENT_ERROR_BAD_FORMAT, consumed);
  }
  const request: DeleteRequest = {
    protocol: 'text',
    quiet: noreply,
    opaque: 0,
    binaryOpcode: 0,
    type: 'delete',
    key: buf.subarray(keyStart, keyEnd),
    cas: 0,
  };
  return ok(request, consumed);
}
