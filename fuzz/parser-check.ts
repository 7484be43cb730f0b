// Parser mode: feed a stream to the parsers the way a connection does
// (protocol picked on the first byte, requests parsed one after another,
// swallowed bytes skipped) and check the invariants every result must hold:
//
//   - the parser never throws and always makes progress;
//   - `consumed` is at least 1 and never past the input;
//   - error replies are whole memcached replies (text: CRLF-terminated,
//     binary: a response header whose body length matches);
//   - a parsed key is 1-250 bytes; a text key has no space, NUL or LF
//     (memcached allows other control bytes: tokens split on spaces only,
//     lines end at LF, and the line is a C string that ends at NUL); a
//     base64 meta key decodes to 1-187 bytes; binary keys are any bytes;
//   - a parsed value has exactly the declared length, lies inside the
//     request and (text) is followed by CRLF, and is within -I;
//   - the result depends only on the bytes the request consumed: parsing
//     just those bytes, or the same bytes at another offset, gives the same.

import type { ParseResult, ParserLimits, Request } from '../protocol/request.js';
import { parseTextRequest } from '../protocol/text/parse.js';
import { parseBinaryRequest } from '../protocol/binary/parse.js';
import { parseAsciiAuth } from '../protocol/text/ascii-auth.js';

export type ParseFn = (buf: Buffer, offset: number, limits: ParserLimits) => ParseResult;

export const PARSERS: Readonly<Record<'text' | 'binary' | 'auth', ParseFn>> = {
  text: parseTextRequest,
  binary: parseBinaryRequest,
  auth: parseAsciiAuth,
};

/** A stream's parser, chosen as a connection chooses it. */
export function parserFor(stream: Buffer): 'text' | 'binary' {
  return stream[0] === 0x80 ? 'binary' : 'text';
}

const CRLF = Buffer.from('\r\n');
/** Requests parsed per stream before giving up (no stream needs this many). */
const MAX_STEPS = 100_000;

export interface ParserViolation {
  /** Short, stable description (the failure signature). */
  what: string;
  /** Offset of the request that broke it. */
  at: number;
}

/**
 * Run `parse` over the whole stream and return the first broken invariant,
 * or null. Exceptions propagate to the caller (a crash, not a violation).
 */
export function checkStream(parse: ParseFn, kind: 'text' | 'binary' | 'auth', stream: Buffer, limits: ParserLimits): ParserViolation | null {
  let offset = 0;
  for (let step = 0; step < MAX_STEPS; step++) {
    if (offset >= stream.length) return null;
    const r = parse(stream, offset, limits);
    const bad = checkResult(kind, stream, offset, r, limits);
    if (bad !== null) return { what: `${kind}: ${bad}`, at: offset };
    if (r.kind === 'incomplete') return null;
    if (r.kind === 'error' && r.close) return null;
    const again = checkReparse(parse, stream, offset, r, limits, step);
    if (again !== null) return { what: `${kind}: ${again}`, at: offset };
    offset += r.consumed + (r.kind === 'swallow' ? r.remaining : 0);
  }
  return { what: `${kind}: no end after ${MAX_STEPS} requests`, at: offset };
}

function checkResult(kind: string, buf: Buffer, offset: number, r: ParseResult, limits: ParserLimits): string | null {
  if (r.kind === 'incomplete') return null;
  if (!Number.isInteger(r.consumed) || r.consumed < 1 || r.consumed > buf.length - offset) return `consumed ${r.consumed} of ${buf.length - offset}`;
  if (r.kind === 'error' || r.kind === 'swallow') {
    const replyBad = kind === 'binary' ? binaryReplyProblem(r.reply) : textReplyProblem(r.reply);
    if (replyBad !== null) return replyBad;
    if (r.kind === 'swallow' && (!Number.isInteger(r.remaining) || r.remaining < 0)) return `swallow remaining ${r.remaining}`;
    return null;
  }
  return requestProblem(kind, buf, offset, r.consumed, r.request, limits);
}

function textReplyProblem(reply: Buffer): string | null {
  if (reply.length === 0) return null;
  if (!reply.subarray(-2).equals(CRLF)) return 'text error reply without CRLF';
  return null;
}

function binaryReplyProblem(reply: Buffer): string | null {
  if (reply.length === 0) return null;
  if (reply.length < 24 || reply[0] !== 0x81) return 'binary error reply is not a response packet';
  if (reply.readUInt32BE(8) !== reply.length - 24) return 'binary error reply body length wrong';
  return null;
}

function requestProblem(kind: string, buf: Buffer, offset: number, consumed: number, req: Request, limits: ParserLimits): string | null {
  const start = buf.byteOffset + offset;
  const end = start + consumed;
  const inside = (b: Buffer): boolean => b.length === 0 || (b.buffer === buf.buffer && b.byteOffset >= start && b.byteOffset + b.length <= end);
  const textKey = (key: Buffer): string | null => {
    if (key.length < 1 || key.length > limits.maxKeyBytes) return `text key length ${key.length}`;
    if (key.includes(0x20) || key.includes(0x00) || key.includes(0x0a)) return 'text key with space, NUL or LF';
    if (!inside(key)) return 'key outside the request';
    return null;
  };
  const binaryKey = (key: Buffer, needed: boolean): string | null => {
    if (key.length > limits.maxKeyBytes) return `binary key length ${key.length}`;
    if (needed && key.length < 1) return 'binary keyed request without key';
    if (!inside(key)) return 'key outside the request';
    return null;
  };
  const isBinary = req.protocol === 'binary';
  if (isBinary !== (kind === 'binary')) return `${kind} parser produced a ${req.protocol} request`;
  switch (req.type) {
    case 'get':
      if (req.keys.length === 0 && isBinary) return 'binary get without key';
      for (const k of req.keys) {
        const bad = isBinary ? binaryKey(k, true) : textKey(k);
        if (bad !== null) return bad;
      }
      break;
    case 'store':
    case 'arith':
    case 'touch':
    case 'delete': {
      const bad = isBinary ? binaryKey(req.key, true) : textKey(req.key);
      if (bad !== null) return bad;
      break;
    }
    case 'mg':
    case 'ms':
    case 'md':
    case 'ma':
    case 'me':
      if (req.base64Key) {
        if (req.key.length < 1 || req.key.length > 187) return `decoded base64 key length ${req.key.length}`;
      } else {
        const bad = textKey(req.key);
        if (bad !== null) return bad;
      }
      for (const letter of req.flags.keys()) if (letter.length !== 1) return `meta flag "${letter}"`;
      break;
    default:
      break;
  }
  if (req.type === 'store' || req.type === 'ms') {
    const v = req.value;
    if (v.length > limits.maxValueBytes) return `value ${v.length} over -I ${limits.maxValueBytes}`;
    if (!inside(v)) return 'value outside the request';
    if (isBinary) {
      const header = buf.subarray(offset, offset + 24);
      const declared = header.readUInt32BE(8) - header.readUInt16BE(2) - (header[4] as number);
      if (v.length !== declared) return `binary value ${v.length}, declared ${declared}`;
      if (v.length > 0 && v.byteOffset + v.length !== end) return 'binary value does not end the packet';
    } else {
      if (v.byteOffset + v.length + 2 !== end) return 'text value not right before the final CRLF';
      if (buf[end - buf.byteOffset - 2] !== 0x0d || buf[end - buf.byteOffset - 1] !== 0x0a) return 'text value without CRLF';
      const declared = declaredTextLength(buf, offset, v, req.type === 'store' ? 4 : 2);
      if (declared !== undefined && declared !== v.length) return `text value ${v.length}, declared ${declared}`;
    }
  }
  return null;
}

/** The length token of a store/ms line when it is plain digits. */
function declaredTextLength(buf: Buffer, offset: number, value: Buffer, tokenIndex: number): number | undefined {
  const valueAt = value.byteOffset - buf.byteOffset;
  const lineEnd = valueAt - 1;
  if (buf[lineEnd] !== 0x0a) return -1;
  let text = buf.toString('latin1', offset, lineEnd);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  const token = text.split(' ').filter((s) => s !== '')[tokenIndex];
  return token !== undefined && /^[0-9]{1,9}$/.test(token) ? Number(token) : undefined;
}

/** Same bytes alone, and at another offset, must parse the same. */
function checkReparse(parse: ParseFn, buf: Buffer, offset: number, r: ParseResult, limits: ParserLimits, step: number): string | null {
  if (r.kind === 'incomplete') return null;
  // Text lines over 2048 bytes are judged by how much is buffered (as memcached); skip those.
  const exact = buf.subarray(offset, offset + r.consumed);
  if (exact.length > 2048 && exact.indexOf(0x0a) < 0) return null;
  const alone = parse(exact, 0, limits);
  if (!sameOutcome(alone, r)) return `result changes when only the consumed bytes are given (${describe(r)} vs ${describe(alone)})`;
  if (step % 4 === 0) {
    const shifted = Buffer.concat([Buffer.from('\n\n\n'), exact]);
    const moved = parse(shifted, 3, limits);
    if (!sameOutcome(moved, r)) return `result depends on the offset (${describe(r)} vs ${describe(moved)})`;
  }
  return null;
}

function sameOutcome(a: ParseResult, b: ParseResult): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'incomplete' || b.kind === 'incomplete') return true;
  if (a.consumed !== b.consumed) return false;
  if (a.kind === 'ok' && b.kind === 'ok') return a.request.type === b.request.type;
  if (a.kind === 'error' && b.kind === 'error') return a.reply.equals(b.reply) && a.close === b.close;
  if (a.kind === 'swallow' && b.kind === 'swallow') return a.reply.equals(b.reply) && a.remaining === b.remaining;
  return false;
}

function describe(r: ParseResult): string {
  if (r.kind === 'incomplete') return 'incomplete';
  if (r.kind === 'ok') return `ok ${r.request.type} ${r.consumed}`;
  return `${r.kind} ${r.consumed} ${JSON.stringify(r.reply.toString('latin1').slice(0, 40))}`;
}
