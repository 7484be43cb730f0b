// Parser for memcached's binary protocol: one request packet from a Buffer
// into the shared Request shape (protocol/request.ts), or the exact error
// packet memcached 1.6 would send.
//
// Pure function, no state between calls: the connection passes its read
// buffer and the offset of the next unparsed byte, and drops `consumed`
// bytes on anything but 'incomplete'. Keys and values are views into `buf`
// (no copies), valid until the connection reads again.
//
// Checks run in memcached's order (proto_bin.c dispatch_bin_command):
//   1. magic != 0x80                  -> close, no reply
//   2. keylen + extlen > bodylen      -> 0x81 "Unknown command", close
//   3. keylen > 250                   -> 0x04 "Invalid arguments", close
//   4. unknown opcode                 -> 0x81, body swallowed, go on
//   5. wrong lengths for the opcode   -> 0x04, close
//   6. value over the item limit      -> 0x03 "Too large.", value swallowed
//      (answered once extras and key have arrived, as memcached does)
// The SASL-authentication gate (memcached checks it between 2 and 3) needs
// connection state and lives in the responder.
//
// Deliberate difference: for an unknown opcode memcached swallows `bodylen`
// bytes after the key and extras it already consumed, eating the start of
// the next packet; we swallow exactly the body so the stream stays framed.
// Trailing body bytes that memcached would misread as the next packet
// (Stat, Touch, GAT with a value part) are skipped with the packet.

import { valueTooLarge, type ParseResult, type ParserLimits, type Request, type StoreMode } from '../request.js';
import { errorPacket } from './encode.js';
import { KeyList } from '../key-list.js';
import {
  ARITH_EXTRAS,
  FLUSH_EXTRAS,
  HDR_BODYLEN,
  HDR_CAS,
  HDR_EXTLEN,
  HDR_KEYLEN,
  HDR_OPAQUE,
  HDR_OPCODE,
  HEADER_BYTES,
  OP_ADD,
  OP_ADDQ,
  OP_APPEND,
  OP_APPENDQ,
  OP_DECREMENT,
  OP_DECREMENTQ,
  OP_DELETE,
  OP_DELETEQ,
  OP_FLUSH,
  OP_FLUSHQ,
  OP_GAT,
  OP_GATK,
  OP_GATKQ,
  OP_GATQ,
  OP_GET,
  OP_GETK,
  OP_GETKQ,
  OP_GETQ,
  OP_INCREMENT,
  OP_INCREMENTQ,
  OP_NOOP,
  OP_PREPEND,
  OP_PREPENDQ,
  OP_QUIT,
  OP_QUITQ,
  OP_REPLACE,
  OP_REPLACEQ,
  OP_SASL_AUTH,
  OP_SASL_LIST_MECHS,
  OP_SASL_STEP,
  OP_SET,
  OP_SETQ,
  OP_STAT,
  OP_TOUCH,
  OP_VERSION,
  REQUEST_MAGIC,
  STORE_EXTRAS,
  TOUCH_EXTRAS,
} from './opcodes.js';
import {
  STATUS_E2BIG,
  STATUS_EINVAL,
  STATUS_ENOMEM,
  STATUS_UNKNOWN_COMMAND,
  type ErrorStatus,
} from './status.js';

/** Command families: opcodes of one family share length rules and request shape. */
type Family =
  | 'get'
  | 'gat'
  | 'touch'
  | 'store'
  | 'concat'
  | 'delete'
  | 'arith'
  | 'flush'
  | 'noop'
  | 'version'
  | 'quit'
  | 'stat'
  | 'sasl_list'
  | 'sasl_auth'
  | 'sasl_step';

interface OpcodeInfo {
  family: Family;
  quiet: boolean;
  /** GetK/GATK: reply carries the key. */
  withKey: boolean;
  /** store/concat families. */
  mode: StoreMode;
  /** arith family. */
  incr: boolean;
}

function op(family: Family, quiet = false, extra: Partial<OpcodeInfo> = {}): OpcodeInfo {
  return { family, quiet, withKey: false, mode: 'set', incr: false, ...extra };
}

/** Every opcode memcached 1.6.18 implements; anything else is "Unknown command". */
const OPCODE_LIST: Array<[number, OpcodeInfo]> = [
  [OP_GET, op('get')],
  [OP_GETQ, op('get', true)],
  [OP_GETK, op('get', false, { withKey: true })],
  [OP_GETKQ, op('get', true, { withKey: true })],
  [OP_GAT, op('gat')],
  [OP_GATQ, op('gat', true)],
  [OP_GATK, op('gat', false, { withKey: true })],
  [OP_GATKQ, op('gat', true, { withKey: true })],
  [OP_TOUCH, op('touch')],
  [OP_SET, op('store', false, { mode: 'set' })],
  [OP_SETQ, op('store', true, { mode: 'set' })],
  [OP_ADD, op('store', false, { mode: 'add' })],
  [OP_ADDQ, op('store', true, { mode: 'add' })],
  [OP_REPLACE, op('store', false, { mode: 'replace' })],
  [OP_REPLACEQ, op('store', true, { mode: 'replace' })],
  [OP_APPEND, op('concat', false, { mode: 'append' })],
  [OP_APPENDQ, op('concat', true, { mode: 'append' })],
  [OP_PREPEND, op('concat', false, { mode: 'prepend' })],
  [OP_PREPENDQ, op('concat', true, { mode: 'prepend' })],
  [OP_DELETE, op('delete')],
  [OP_DELETEQ, op('delete', true)],
  [OP_INCREMENT, op('arith', false, { incr: true })],
  [OP_INCREMENTQ, op('arith', true, { incr: true })],
  [OP_DECREMENT, op('arith')],
  [OP_DECREMENTQ, op('arith', true)],
  [OP_FLUSH, op('flush')],
  [OP_FLUSHQ, op('flush', true)],
  [OP_NOOP, op('noop')],
  [OP_VERSION, op('version')],
  [OP_QUIT, op('quit')],
  [OP_QUITQ, op('quit', true)],
  [OP_STAT, op('stat')],
  [OP_SASL_LIST_MECHS, op('sasl_list')],
  [OP_SASL_AUTH, op('sasl_auth')],
  [OP_SASL_STEP, op('sasl_step')],
];

/** Indexed by opcode byte (a dense array is the cheapest lookup). */
const OPCODES: ReadonlyArray<OpcodeInfo | undefined> = (() => {
  const table = new Array<OpcodeInfo | undefined>(256).fill(undefined);
  for (const [code, info] of OPCODE_LIST) table[code] = info;
  return table;
})();

/** Whether extras/key/body lengths are what memcached accepts for the family. */
function lengthsValid(family: Family, keyLen: number, extLen: number, bodyLen: number): boolean {
  switch (family) {
    case 'get':
      return extLen === 0 && keyLen > 0 && bodyLen === keyLen;
    case 'gat':
    case 'touch':
      return extLen === TOUCH_EXTRAS && keyLen > 0;
    case 'store':
      return extLen === STORE_EXTRAS && keyLen > 0;
    case 'concat':
      return extLen === 0 && keyLen > 0;
    case 'delete':
      return extLen === 0 && keyLen > 0 && bodyLen === keyLen;
    case 'arith':
      return extLen === ARITH_EXTRAS && keyLen > 0 && bodyLen === keyLen + ARITH_EXTRAS;
    case 'flush':
      return keyLen === 0 && bodyLen === extLen && (extLen === 0 || extLen === FLUSH_EXTRAS);
    case 'noop':
    case 'version':
    case 'quit':
    case 'sasl_list':
      return extLen === 0 && keyLen === 0 && bodyLen === 0;
    case 'stat':
      return extLen === 0;
    case 'sasl_auth':
    case 'sasl_step':
      return extLen === 0 && keyLen > 0;
  }
}

const INCOMPLETE: ParseResult = Object.freeze({ kind: 'incomplete' });
const NO_REPLY = Buffer.alloc(0);
const TWO_POW_32 = 0x1_0000_0000;

// Big-endian reads without Buffer's argument checks; callers have checked
// that the bytes are there.
function readU16(b: Buffer, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

function readU32(b: Buffer, at: number): number {
  return (((b[at] as number) << 24) >>> 0) + (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number));
}

function fatal(opcode: number, opaque: number, status: ErrorStatus): ParseResult {
  return { kind: 'error', reply: errorPacket(opcode, opaque, status), consumed: HEADER_BYTES, close: true };
}

/** Reply now, drop `consumed` bytes and skip `remaining` more as they arrive. */
function swallow(
  opcode: number,
  opaque: number,
  status: ErrorStatus,
  consumed: number,
  remaining: number,
  unlinkKey?: Buffer,
): ParseResult {
  return { kind: 'swallow', reply: errorPacket(opcode, opaque, status), consumed, remaining, unlinkKey };
}

/** A Set/SetQ refused as too large: memcached unlinks the key's old value. */
function refusedSetKey(buf: Buffer, offset: number, opcode: number, extLen: number, keyLen: number): Buffer | undefined {
  if ((opcode !== OP_SET && opcode !== OP_SETQ) || keyLen === 0) return undefined;
  const keyStart = offset + HEADER_BYTES + extLen;
  return buf.subarray(keyStart, keyStart + keyLen);
}

/**
 * Parse one binary request starting at `offset`.
 *
 * @example
 *   const r = parseBinaryRequest(buf, 0, DEFAULT_LIMITS);
 *   if (r.kind === 'ok') respond(r.request); // then drop r.consumed bytes
 */
export function parseBinaryRequest(buf: Buffer, offset: number, limits: ParserLimits): ParseResult {
  const avail = buf.length - offset;
  if (avail <= 0) return INCOMPLETE;
  // memcached closes without a word on a bad magic byte; so do we, as soon as we see it.
  if (buf[offset] !== REQUEST_MAGIC) return { kind: 'error', reply: NO_REPLY, consumed: avail, close: true };
  if (avail < HEADER_BYTES) return INCOMPLETE;

  const opcode = buf[offset + HDR_OPCODE] as number;
  const keyLen = readU16(buf, offset + HDR_KEYLEN);
  const extLen = buf[offset + HDR_EXTLEN] as number;
  const bodyLen = readU32(buf, offset + HDR_BODYLEN);
  const opaque = readU32(buf, offset + HDR_OPAQUE);

  if (keyLen + extLen > bodyLen) return fatal(opcode, opaque, STATUS_UNKNOWN_COMMAND);
  if (keyLen > limits.maxKeyBytes) return fatal(opcode, opaque, STATUS_EINVAL);
  const info = OPCODES[opcode];
  if (info === undefined) return swallow(opcode, opaque, STATUS_UNKNOWN_COMMAND, HEADER_BYTES, bodyLen);
  if (!lengthsValid(info.family, keyLen, extLen, bodyLen)) return fatal(opcode, opaque, STATUS_EINVAL);

  // Only the value part can be large; bound it before waiting for it so
  // no client can make us buffer more than one item's worth. memcached
  // sizes the item with its key and flags (nonzero flags: 4 bytes more),
  // so near the limit the extras decide.
  const valueLen = bodyLen - keyLen - extLen;
  if (valueTooLarge(limits, keyLen, 1, valueLen)) {
    // Like memcached, answer once extras and key are in: the key stays
    // readable in the buffer (the connection drops a refused Set's old value).
    const headLen = HEADER_BYTES + extLen + keyLen;
    switch (info.family) {
      case 'store':
      case 'concat': {
        if (avail < headLen) return INCOMPLETE;
        // Append/prepend carry no flags: memcached allocates their data with flags 0.
        const flags = info.family === 'store' ? readU32(buf, offset + HEADER_BYTES) : 0;
        if (valueTooLarge(limits, keyLen, flags, valueLen)) {
          return swallow(opcode, opaque, STATUS_E2BIG, headLen, valueLen, refusedSetKey(buf, offset, opcode, extLen, keyLen));
        }
        break;
      }
      case 'sasl_auth':
      case 'sasl_step':
        // memcached cannot allocate the item it reads SASL data into (the mechanism as its key, no flags).
        if (avail < headLen) return INCOMPLETE;
        if (valueTooLarge(limits, keyLen, 0, valueLen)) return swallow(opcode, opaque, STATUS_ENOMEM, headLen, valueLen);
        break;
      default:
        // Stat/Touch/GAT with a huge trailing body: memcached would misframe
        // and close on the garbage; refuse it outright.
        if (valueLen > limits.maxValueBytes) return fatal(opcode, opaque, STATUS_EINVAL);
    }
  }
  if (avail < HEADER_BYTES + bodyLen) return INCOMPLETE;

  const cas = readU32(buf, offset + HDR_CAS) * TWO_POW_32 + readU32(buf, offset + HDR_CAS + 4);
  const extStart = offset + HEADER_BYTES;
  const keyStart = extStart + extLen;
  const valueStart = keyStart + keyLen;
  const key = buf.subarray(keyStart, valueStart);
  const valueEnd = extStart + bodyLen;
  const quiet = info.quiet;
  // Object literals spelled out in full (no spread): V8 builds them fast and
  // each request type keeps one hidden class.
  let request: Request;
  switch (info.family) {
    case 'get':
    case 'gat':
      request = {
        protocol: 'binary',
        quiet,
        opaque,
        binaryOpcode: opcode,
        type: 'get',
        keys: KeyList.single(key),
        withCas: true,
        touchExptime: info.family === 'gat' ? readU32(buf, extStart) : undefined,
        withKey: info.withKey,
      };
      break;
    case 'touch':
      request = { protocol: 'binary', quiet, opaque, binaryOpcode: opcode, type: 'touch', key, exptime: readU32(buf, extStart) };
      break;
    case 'store':
    case 'concat': {
      const withExtras = info.family === 'store';
      request = {
        protocol: 'binary',
        quiet,
        opaque,
        binaryOpcode: opcode,
        type: 'store',
        mode: info.mode,
        key,
        value: buf.subarray(valueStart, valueEnd),
        flags: withExtras ? readU32(buf, extStart) : 0,
        exptime: withExtras ? readU32(buf, extStart + 4) : 0,
        cas,
      };
      break;
    }
    case 'delete':
      request = { protocol: 'binary', quiet, opaque, binaryOpcode: opcode, type: 'delete', key, cas };
      break;
    case 'arith':
      request = {
        protocol: 'binary',
        quiet,
        opaque,
        binaryOpcode: opcode,
        type: 'arith',
        incr: info.incr,
        key,
        delta: buf.readBigUInt64BE(extStart),
        initial: buf.readBigUInt64BE(extStart + 8),
        exptime: readU32(buf, extStart + 16),
        cas,
      };
      break;
    case 'flush':
      request = {
        protocol: 'binary',
        quiet,
        opaque,
        binaryOpcode: opcode,
        type: 'flush_all',
        delay: extLen === FLUSH_EXTRAS ? readU32(buf, extStart) : 0,
      };
      break;
    case 'stat': {
      // "settings", "items", "detail dump"...: group, then the rest as args.
      const text = key.toString('latin1');
      const space = text.indexOf(' ');
      request = {
        protocol: 'binary',
        quiet,
        opaque,
        binaryOpcode: opcode,
        type: 'stats',
        group: space < 0 ? text : text.slice(0, space),
        args: space < 0 ? '' : text.slice(space + 1),
      };
      break;
    }
    case 'noop':
    case 'version':
    case 'quit':
    case 'sasl_list':
      request = { protocol: 'binary', quiet, opaque, binaryOpcode: opcode, type: info.family, arg: 0 };
      break;
    case 'sasl_auth':
    case 'sasl_step':
      request = {
        protocol: 'binary',
        quiet,
        opaque,
        binaryOpcode: opcode,
        type: info.family,
        mechanism: key.toString('latin1'),
        data: buf.subarray(valueStart, valueEnd),
      };
      break;
  }
  return { kind: 'ok', request, consumed: HEADER_BYTES + bodyLen };
}
