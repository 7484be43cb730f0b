// The per-record part of a warm restore, over one restored segment's words:
// a read-only check pass (records tile the written bytes, agree with the
// saved live counts; counts what is kept and what expired while down, and
// adds every live record's location to a per-segment fingerprint the
// restored hash index is checked against, ../location-fingerprint.ts), then one of two finishing passes: expire (mark the
// expired records dead and take them out of a restored index) or rebuild
// (mark them dead and insert every other live record into an empty index).
// No file I/O, no segment headers or chains (store-image.ts).

import type { StoreImagePort } from './image-port.js';
import type { SegmentEntry } from './image-format.js';
import { ImageRejected } from './image-format.js';
import { BIT_DEAD, MAX_KEY_BYTES, recordBytes, recordDeadline } from '../item-layout.js';
import { NEVER } from '../expiry-time.js';
import { mixLocation, type LocationFingerprint } from '../location-fingerprint.js';

/** What the check pass found in one segment. */
export interface SegmentCounts {
  /** Live records still within their TTL. */
  kept: number;
  keptBytes: number;
  /** Live records whose deadline passed while the server was down. */
  expired: number;
}

/**
 * Check segment `e` (entry `i` of the table) record by record without
 * changing it: every record has a sane key and value length, the records
 * tile [0, writeOffset), and the live (not dead) ones add up to the saved
 * live counts. Adds every live record's location to `live` when given.
 * Throws ImageRejected.
 */
export function checkSegment(port: StoreImagePort, e: SegmentEntry, i: number, nowS: number, live: LocationFingerprint | null): SegmentCounts {
  const { itemSizeMax } = port.settings;
  const words = port.heap.words[e.seg]!;
  const end = e.writeOffset;
  const key1 = live?.key1 ?? 0;
  const key2 = live?.key2 ?? 0;
  let sum1 = 0;
  let sum2 = 0;
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
      // The in-segment offset in words of 8 bytes (as index slots hold it, less the segment's base).
      sum1 = (sum1 + mixLocation(off >>> 3, key1)) | 0;
      sum2 = (sum2 + mixLocation(off >>> 3, key2)) | 0;
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
  live?.addSegment(e.seg, liveItems, sum1, sum2);
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
