// Byte layout of one item record inside a segment. Records start at 8-byte
// aligned offsets so the header is read as two aligned Uint32 words and hash
// slots can address records in units of 8 bytes.
//
//   offset 0        4        8
//          +--------+--------+----------------+--------+----------+-----+-------+-----+
//          | word A | word B | cas (8, opt.)  | flags  | deadline | key | value | pad |
//          +--------+--------+----------------+ (opt.) +  (opt.)  +-----+-------+-----+
//   word A: bits 0-7 key length (1..250), bits 8-15 item bits (below),
//           bits 16-31 last access, in steps of the segment's access unit
//           since its create time (segment-heap.ts; meta `l`/`la`)
//   word B: value length in bytes
//
// Optional fields are present only when their bit is set: client flags when
// nonzero, the deadline when the item expires, an explicit CAS only when an
// item had to be copied but must keep its token (touch) or when the store
// runs with stored per-item CAS (the measured alternative, see cas-token.ts).
// A 14-byte key and 50-byte value with flags 0 and no expiry take 72 bytes.
//
// Words are host-endian (Uint32Array over the segment): the heap is never
// persisted or sent anywhere, only shared with threads of this process.

import { ITEM_FETCHED, ITEM_STALE, ITEM_WIN_SENT } from './types.js';
import { NEVER } from './expiry-time.js';

export const HEADER_BYTES = 8;
export const MAX_KEY_BYTES = 250;
/** The largest header a record can have (header + cas + flags + deadline). */
export const MAX_HEADER_BYTES = HEADER_BYTES + 8 + 4 + 4;

/** The meta-protocol bits kept in the header, as exposed by the store. */
export const META_BITS = ITEM_FETCHED | ITEM_STALE | ITEM_WIN_SENT;
/** Set once the record no longer backs a live item (deleted, replaced, moved). */
export const BIT_DEAD = 0x08;
export const BIT_HAS_FLAGS = 0x10;
export const BIT_HAS_DEADLINE = 0x20;
export const BIT_HAS_CAS = 0x40;

/** Bytes of the optional fields for header bits `bits` (item bits, not word A). */
export function optionalBytes(bits: number): number {
  return (bits & BIT_HAS_CAS ? 8 : 0) + (bits & BIT_HAS_FLAGS ? 4 : 0) + (bits & BIT_HAS_DEADLINE ? 4 : 0);
}

/** Record size in bytes, padded to 8. */
export function recordBytes(keyLength: number, valueLength: number, bits: number): number {
  const n = HEADER_BYTES + optionalBytes(bits) + keyLength + valueLength;
  // Not (n + 7) & ~7: that wraps for values near 2^31 bytes.
  return n + ((8 - (n & 7)) & 7);
}

/** Word A for a new record. */
export function makeWordA(keyLength: number, bits: number, accessStamp: number): number {
  return (keyLength | ((bits & 0xff) << 8) | ((accessStamp & 0xffff) << 16)) >>> 0;
}

/** Size of the record at word index `w` of a segment. */
export function recordBytesAt(words: Uint32Array, w: number): number {
  const a = words[w]!;
  return recordBytes(a & 0xff, words[w + 1]!, (a >>> 8) & 0xff);
}

/** Byte offset of the key of the record at byte offset `off` with word A `a`. */
export function keyOffset(off: number, wordA: number): number {
  return off + HEADER_BYTES + optionalBytes((wordA >>> 8) & 0xff);
}

/** Deadline of the record at word index `w` with word A `wordA`; NEVER when it has none. */
export function recordDeadline(words: Uint32Array, w: number, wordA: number): number {
  return wordA & (BIT_HAS_DEADLINE << 8) ? words[fieldWord(w, wordA, BIT_HAS_DEADLINE)]! : NEVER;
}

/**
 * Word index of an optional field: `field` is one of BIT_HAS_CAS,
 * BIT_HAS_FLAGS, BIT_HAS_DEADLINE and must be present in `wordA`.
 */
export function fieldWord(w: number, wordA: number, field: number): number {
  const bits = (wordA >>> 8) & 0xff;
  let at = w + 2;
  if (field === BIT_HAS_CAS) return at;
  if (bits & BIT_HAS_CAS) at += 2;
  if (field === BIT_HAS_FLAGS) return at;
  if (bits & BIT_HAS_FLAGS) at += 1;
  return at;
}
