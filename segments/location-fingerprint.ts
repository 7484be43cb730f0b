// A per-segment fingerprint of a multiset of record locations, for the warm
// restore's check that the saved hash index holds exactly the live records
// (segments/persist/store-image.ts): the record walk adds every live
// record's location, the index pass subtracts every location a slot holds,
// and the two agree when every segment ends at zero in all three counters.
//
// Why not an exact bitmap (what this replaced): marking bit loc-1 of a
// heap-sized bitmap from the index is one random access per item into a
// 16 MiB array for a 1 GiB heap, a cache miss each: it was the largest
// single cost of a restore of small items (1.7-2.3 s/GiB measured under
// load). Here both passes touch only three arrays of one word per segment
// (12 KiB for 1024 segments), which stay in L1.
//
// What it guarantees: counts are exact, so a missing or extra slot in a
// segment is always caught. A slot moved within a segment (or two slots
// swapped for other locations) is caught unless the two sums of a keyed mix
// (murmur3's 32-bit finalizer of the in-segment word offset xor a key drawn
// at random for each restore) both happen to agree: for any difference that
// does not depend on the keys, about 2^-32 each, 2^-64 together
// (heuristic: the mix is not a proven universal hash). This is a second
// line only: the index bytes themselves are covered by CRC-32, which
// catches random damage with 1 - 2^-32; this check is against an index
// that is consistent with its checksums but wrong (a bug in a save, a
// hand-made file).
//
// Not here: walking records (persist/record-walk.ts) or reading index
// slots (index-image.ts).

import { randomBytes } from 'node:crypto';
import { finalMix } from './key-hash.js';

export class LocationFingerprint {
  /** Per segment: locations added minus locations subtracted. */
  readonly count: Int32Array;
  readonly sum1: Int32Array;
  readonly sum2: Int32Array;
  readonly key1: number;
  readonly key2: number;

  /**
   * For a heap of `segmentCount` segments of `segmentSize` bytes (a
   * multiple of 8). Keys are random unless given (tests).
   */
  constructor(
    readonly segmentCount: number,
    readonly segmentSize: number,
    keys?: [number, number],
  ) {
    this.count = new Int32Array(segmentCount);
    this.sum1 = new Int32Array(segmentCount);
    this.sum2 = new Int32Array(segmentCount);
    const k = keys ?? ((b) => [b.readInt32LE(0), b.readInt32LE(4)] as [number, number])(randomBytes(8));
    this.key1 = k[0] | 0;
    this.key2 = k[1] | 0;
  }

  /** Add `items` locations to segment `seg` whose mixes sum to s1, s2 (a walk sums a segment locally first). */
  addSegment(seg: number, items: number, s1: number, s2: number): void {
    this.count[seg] = (this.count[seg]! + items) | 0;
    this.sum1[seg] = (this.sum1[seg]! + s1) | 0;
    this.sum2[seg] = (this.sum2[seg]! + s2) | 0;
  }

  /** Every segment's additions and subtractions cancel. */
  balanced(): boolean {
    for (let s = 0; s < this.segmentCount; s++) if (this.count[s] !== 0 || this.sum1[s] !== 0 || this.sum2[s] !== 0) return false;
    return true;
  }
}

/** murmur3's 32-bit finalizer of `x ^ key` (a bijection that mixes every input bit into every output bit). */
export function mixLocation(x: number, key: number): number {
  return finalMix((x ^ key) | 0);
}
