// Small helpers the text and meta responders share for writing item data
// into a ReplyWriter: the value bytes straight from the store (one copy,
// segment -> reply chunk) and memcached's status-code mapping for stores.

import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { CacheStore, ItemRef } from '../segments/types.js';

/** Copy the item's value and a CRLF into `out` (the data block of VALUE/VA). */
export function writeValueBlock(out: ReplyWriter, store: CacheStore, ref: ItemRef, length: number): void {
  const off = out.reserve(length + 2);
  store.copyValue(ref, out.chunk, off);
  out.chunk[off + length] = 13;
  out.chunk[off + length + 1] = 10;
  out.advance(length + 2);
}

/** Write an unsigned 64-bit number in decimal. */
export function writeBigDecimal(out: ReplyWriter, n: bigint): void {
  out.writeAscii(n.toString());
}

/**
 * Write a CAS or other non-negative integer that may exceed 2^53 in theory;
 * the store hands out JS numbers, so this is writeDecimal with a guard.
 */
export function writeUnsigned(out: ReplyWriter, n: number): void {
  if (Number.isSafeInteger(n) && n >= 0) out.writeDecimal(n);
  else out.writeAscii(String(Math.max(0, Math.trunc(n))));
}
