// Binary protocol response packets, written straight into a connection's
// ReplyWriter (no intermediate Buffers). The responder (lib/respond/respond-binary.ts)
// decides what to answer; this module only knows the byte layout described
// in ./opcodes.ts. Replies echo the request's opcode and opaque; datatype is
// always 0 (raw bytes), as memcached sends.
//
// Example: a GetK hit for key "k" with flags 1 and value "hi":
//
//   writeGetHitHead(out, OP_GETK, opaque, cas, 1, key, value.length); out.writeBuffer(value)
//   -> 81 0c 0001 04 00 0000 00000007 <opaque> <cas> | 00000001 6b 6869

import { ReplyWriter } from '../reply-writer.js';
import {
  GET_HIT_EXTRAS,
  HDR_BODYLEN,
  HDR_CAS,
  HDR_DATATYPE,
  HDR_EXTLEN,
  HDR_KEYLEN,
  HDR_MAGIC,
  HDR_OPAQUE,
  HDR_OPCODE,
  HDR_STATUS,
  HEADER_BYTES,
  RESPONSE_MAGIC,
} from './opcodes.js';
import { STATUS_KEY_ENOENT, STATUS_SUCCESS, statusText, type ErrorStatus } from './status.js';

const TWO_POW_32 = 0x1_0000_0000;

function putU32(b: Buffer, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = n >>> 16;
  b[at + 2] = n >>> 8;
  b[at + 3] = n;
}

/** Write a 24-byte response header; the caller then writes `bodyLen` bytes of body. */
export function writeHeader(
  out: ReplyWriter,
  opcode: number,
  status: number,
  keyLen: number,
  extLen: number,
  bodyLen: number,
  opaque: number,
  cas: number,
): void {
  const off = out.reserve(HEADER_BYTES);
  const b = out.chunk;
  // Byte by byte: cheaper than Buffer's checked writeUInt*BE on this hot path.
  b[off + HDR_MAGIC] = RESPONSE_MAGIC;
  b[off + HDR_OPCODE] = opcode;
  b[off + HDR_KEYLEN] = keyLen >>> 8;
  b[off + HDR_KEYLEN + 1] = keyLen;
  b[off + HDR_EXTLEN] = extLen;
  b[off + HDR_DATATYPE] = 0;
  b[off + HDR_STATUS] = status >>> 8;
  b[off + HDR_STATUS + 1] = status;
  putU32(b, off + HDR_BODYLEN, bodyLen);
  putU32(b, off + HDR_OPAQUE, opaque);
  // CAS values are safe integers (< 2^53); split into two 32-bit halves.
  putU32(b, off + HDR_CAS, Math.floor(cas / TWO_POW_32));
  putU32(b, off + HDR_CAS + 4, cas % TWO_POW_32);
  out.advance(HEADER_BYTES);
}

/** Success with an empty body (stored, deleted, flushed, noop, quit, end of stats). */
export function writeEmptySuccess(out: ReplyWriter, opcode: number, opaque: number, cas = 0): void {
  writeHeader(out, opcode, STATUS_SUCCESS, 0, 0, 0, opaque, cas);
}

/** A reply whose body is `body` only (version, SASL mechanisms, "Authenticated", auth continue). */
export function writeBodyReply(out: ReplyWriter, opcode: number, status: number, opaque: number, body: Buffer): void {
  writeHeader(out, opcode, status, 0, 0, body.length, opaque, 0);
  out.writeBuffer(body);
}

/** An error: status plus memcached's short text, CAS 0. */
export function writeError(out: ReplyWriter, opcode: number, opaque: number, status: ErrorStatus): void {
  writeBodyReply(out, opcode, status, opaque, statusText(status));
}

/**
 * Header, flags extras and (GetK/GATK) key of a get hit; the caller then
 * writes exactly `valueLength` value bytes (straight from the store). Touch
 * replies use this with `valueLength` 0 and no key.
 */
export function writeGetHitHead(
  out: ReplyWriter,
  opcode: number,
  opaque: number,
  cas: number,
  flags: number,
  key: Buffer | undefined,
  valueLength: number,
): void {
  const keyLen = key === undefined ? 0 : key.length;
  writeHeader(out, opcode, STATUS_SUCCESS, keyLen, GET_HIT_EXTRAS, GET_HIT_EXTRAS + keyLen + valueLength, opaque, cas);
  const off = out.reserve(GET_HIT_EXTRAS);
  putU32(out.chunk, off, flags);
  out.advance(GET_HIT_EXTRAS);
  if (key !== undefined) out.writeBuffer(key);
}

/** GetK/GATK miss: status "not found" with the key as key and body, no text. */
export function writeMissWithKey(out: ReplyWriter, opcode: number, opaque: number, key: Buffer): void {
  writeHeader(out, opcode, STATUS_KEY_ENOENT, key.length, 0, key.length, opaque, 0);
  out.writeBuffer(key);
}

/** Increment/decrement result: the new value as an 8-byte big-endian body. */
export function writeCounter(out: ReplyWriter, opcode: number, opaque: number, cas: number, value: bigint): void {
  writeHeader(out, opcode, STATUS_SUCCESS, 0, 0, 8, opaque, cas);
  const off = out.reserve(8);
  out.chunk.writeBigUInt64BE(BigInt.asUintN(64, value), off);
  out.advance(8);
}

/**
 * One stat: name in the key, value in the body. A stats reply is a run of
 * these with the request's opaque, ended by `writeEmptySuccess`.
 * Names and values are ASCII (latin1 for anything else, byte per char).
 */
export function writeStat(out: ReplyWriter, opcode: number, opaque: number, name: string, value: string): void {
  writeHeader(out, opcode, STATUS_SUCCESS, name.length, 0, name.length + value.length, opaque, 0);
  out.writeAscii(name);
  out.writeAscii(value);
}

/** A standalone error packet, for parser results that carry their reply bytes. */
export function errorPacket(opcode: number, opaque: number, status: ErrorStatus): Buffer {
  const text = statusText(status);
  const out = new ReplyWriter(HEADER_BYTES + text.length);
  writeError(out, opcode, opaque, status);
  return out.take() as Buffer;
}
