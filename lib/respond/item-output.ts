// Small helpers the text and meta responders share for writing item data
// into a ReplyWriter: the value bytes straight from the store (one copy,
// segment -> reply chunk) and memcached's status-code mapping for stores.

import { putBytes, putDecimal, type ReplyWriter } from '../../protocol/reply-writer.js';
import type { CacheStore, ItemRef } from '../../segments/types.js';

/** `VALUE ` + ' ' + flags (10 digits) + ' ' + length (10) + ' ' + CAS (20) + CRLF: all but key and data. */
const VALUE_HEADER_MAX = 6 + 1 + 10 + 1 + 10 + 1 + 20 + 2;
/** Largest CAS written by the fast path; beyond it (never, in practice) String() does it. */
const MAX_FAST_CAS = Number.MAX_SAFE_INTEGER;

/**
 * A get of `key` whose hit is written as writeValueItem writes it, in read
 * attempts (CacheStore.beginReadAttempt): the lookup and the copy may run
 * without the store lock, and an attempt a writer overlapped is rolled
 * back out of `out` and tried again, so only a value that stands is ever
 * sent, and the store counts only the attempt that stands. Returns the
 * value's length, or -1 on a miss.
 */
export function writeGetHit(out: ReplyWriter, store: CacheStore, key: Uint8Array & Buffer, withCas: boolean): number {
  for (let attempt = 0; ; attempt++) {
    const mark = out.length;
    store.beginReadAttempt(attempt);
    let length = -1;
    try {
      const ref = store.get(key);
      if (ref >= 0) {
        length = store.itemValueLength(ref);
        writeValueItem(out, store, key, ref, withCas);
      }
    } catch (err) {
      // Torn data may throw (a range check); anything else is a real error.
      if (!store.readTorn()) {
        store.endReadAttempt();
        throw err;
      }
    }
    if (store.endReadAttempt()) return length;
    out.truncate(mark);
  }
}

/**
 * One text-protocol hit, `VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n`,
 * written straight into the reply chunk with one reserve: the get hot path
 * (a 10-key multi-get writes ten of these per request).
 */
export function writeValueItem(out: ReplyWriter, store: CacheStore, key: Uint8Array, ref: ItemRef, withCas: boolean): void {
  const length = store.itemValueLength(ref);
  const flags = store.itemFlags(ref);
  const cas = withCas ? store.itemCas(ref) : 0;
  if (withCas && !(cas >= 0 && cas <= MAX_FAST_CAS)) {
    writeValueItemSlow(out, store, key, ref, length, flags, cas);
    return;
  }
  let p = out.reserve(VALUE_HEADER_MAX + key.length + length + 2);
  const c = out.chunk;
  c[p] = 86; // V
  c[p + 1] = 65; // A
  c[p + 2] = 76; // L
  c[p + 3] = 85; // U
  c[p + 4] = 69; // E
  c[p + 5] = 32;
  p = putBytes(c, p + 6, key, 0, key.length);
  c[p] = 32;
  p = putDecimal(c, p + 1, flags);
  c[p] = 32;
  p = putDecimal(c, p + 1, length);
  if (withCas) {
    c[p] = 32;
    p = putDecimal(c, p + 1, cas);
  }
  c[p] = 13;
  c[p + 1] = 10;
  p += 2;
  store.copyValue(ref, c, p, out.view);
  p += length;
  c[p] = 13;
  c[p + 1] = 10;
  out.pos = p + 2;
}

function writeValueItemSlow(out: ReplyWriter, store: CacheStore, key: Uint8Array, ref: ItemRef, length: number, flags: number, cas: number): void {
  out.writeAscii('VALUE ');
  out.writeBuffer(key);
  out.writeByte(32);
  out.writeDecimal(flags);
  out.writeByte(32);
  out.writeDecimal(length);
  out.writeByte(32);
  writeUnsigned(out, cas);
  out.writeCRLF();
  writeValueBlock(out, store, ref, length);
}

/** Copy the item's value and a CRLF into `out` (the data block of VALUE/VA). */
export function writeValueBlock(out: ReplyWriter, store: CacheStore, ref: ItemRef, length: number): void {
  const off = out.reserve(length + 2);
  store.copyValue(ref, out.chunk, off, out.view);
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
