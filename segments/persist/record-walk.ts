// The per-record part of a warm restore, over one restored segment's words:
// a read-only check pass (records tile the written bytes, agree with the
// saved live counts; counts what is kept and what expired while down, and
// marks every live record's location in a bitmap the restored hash index
// is checked against), then one of two finishing passes: expire (mark the
// expired records dead and take them out of a restored index) or rebuild
// (mark them dead and insert every other live record into an empty index).
// No file I/O, no segment headers or chains (store-image.ts).

import type { StoreImagePort } from './image-port.js';
import type { SegmentEntry } from './image-format.js';
import { ImageRejected } from './image-format.js';
import { BIT_DEAD, MAX_KEY_BYTES, recordBytes, recordDeadline } from '../item-layout.js';
import { NEVER } from '../expiry-time.js';

/** What the check pass found in one segment. */
export interface SegmentCounts {
  /** Live records still within their TTL. */
  kept: number;
  keptBytes: number;
  /** Live records whose deadline passed while the server was down. */
  expired: number;
}

/** A bitmap with one bit per 8 heap bytes: bit loc - 1 for a record at location loc. */
export function locationBitmap(heapBytes: number): Uint32Array {
  return new Uint32Array(Math.ceil(heapBytes / 8 / 32));
}

/**
 * Check segment `e` (entry `i` of the table) record by record without
 * changing it: every record has a sane key and value length, the records
 * tile [0, writeOffset), and the live (not dead) ones add up to the saved
 * live counts. Sets the bit of every live record in `live` when given.
 * Throws ImageRejected.
 */
export function checkSegment(port: StoreImagePort, e: SegmentEntry, i: number, nowS: number, live: Uint32Array | null): SegmentCounts {
  const { segmentSize, itemSizeMax } = port.settings;
  const words = port.heap.words[e.seg]!;
  const firstBit = (e.seg * segmentSize) / 8;
  const end = e.writeOffset;
  let liveItems = 0;
  let liveBytes = 0;
  let kept = 0;
  let keptBytes = 0;
  for (let off = 0; off < end; ) {
    const w = off >>> 2;
    const a = words[w]!;
    const keyLength = a & 0xff;
    const bits = (a >>> 8) & 0xff;
    const valueLength = words[w + 1]!;
    if (off + 8 > end || keyLength === 0 || keyLength > MAX_KEY_BYTES || valueLength > itemSizeMax) {
      throw new ImageRejected(`bad record in segment ${i + 1} at offset ${off}`);
    }
    const size = recordBytes(keyLength, valueLength, bits);
    if (off + size > end) throw new ImageRejected(`record overruns segment ${i + 1} at offset ${off}`);
    if (!(bits & BIT_DEAD)) {
      liveItems++;
      liveBytes += size;
      if (live !== null) {
        const bit = firstBit + off / 8;
        // Bits pass 2^32 in heaps over 32 GiB: no 32-bit shifts on them.
        const w32 = Math.floor(bit / 32);
        live[w32] = live[w32]! | (1 << (bit % 32));
      }
      const deadline = recordDeadline(words, w, a);
      if (deadline === NEVER || nowS < deadline) {
        kept++;
        keptBytes += size;
      }
    }
    off += size;
  }
  if (liveItems !== e.liveItems || liveBytes !== e.liveBytes) {
    throw new ImageRejected(`segment ${i + 1}'s records disagree with its header`);
  }
  return { kept, keptBytes, expired: liveItems - kept };
}

/**
 * Mark the records of checked segment `e` that expired while down as dead
 * and remove them from the restored index. False when the index lacks one
 * (it then disagrees with the records; the caller rebuilds it).
 */
export function expireSegment(port: StoreImagePort, e: SegmentEntry, nowS: number): boolean {
  const words = port.heap.words[e.seg]!;
  const base = e.seg * port.settings.segmentSize;
  for (let off = 0; off < e.writeOffset; ) {
    const w = off >>> 2;
    const a = words[w]!;
    const bits = (a >>> 8) & 0xff;
    if (!(bits & BIT_DEAD)) {
      const deadline = recordDeadline(words, w, a);
      if (deadline !== NEVER && nowS >= deadline) {
        if (!port.unindexRecord(base + off)) return false;
        words[w] = (a | (BIT_DEAD << 8)) >>> 0;
      }
    }
    off += recordBytes(a & 0xff, words[w + 1]!, bits);
  }
  return true;
}

/** Insert every live, unexpired record of checked segment `e` into the (empty) index; mark expired ones dead. */
export function rebuildSegment(port: StoreImagePort, e: SegmentEntry, nowS: number): void {
  const words = port.heap.words[e.seg]!;
  const base = e.seg * port.settings.segmentSize;
  for (let off = 0; off < e.writeOffset; ) {
    const w = off >>> 2;
    const a = words[w]!;
    const bits = (a >>> 8) & 0xff;
    if (!(bits & BIT_DEAD)) {
      const deadline = recordDeadline(words, w, a);
      if (deadline !== NEVER && nowS >= deadline) words[w] = (a | (BIT_DEAD << 8)) >>> 0;
      else port.insertRecord(base + off);
    }
    off += recordBytes(a & 0xff, words[w + 1]!, bits);
  }
}
