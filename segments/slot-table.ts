// One hash table generation as this thread sees it: fixed-length views
// over one shared area, placement of new slots (first bucket, else second,
// else one cuckoo step, else an overflow chain), the overflow pool and the
// clean-up after a removal. Not lookups, frequencies or growth between
// generations (hash-index.ts, slot-frequency.ts, index-migration.ts).
//
// Two-choice hashing: an insert goes to the key's first bucket while it has
// room, else to the second, and a lookup checks the first, then the second.
// First-fit rather than emptier-of-two keeps most keys in their first bucket
// (all of them at low load, 87% at 0.9), so a hit usually reads one cache
// line of the table instead of two; at loads near 0.9 one choice would
// overflow a quarter of the buckets. Overflow buckets come from a pool grown
// by doubling; emptied ones are recycled and entries pulled back into freed
// primary slots, so an insert never fails.

import { growShared } from './shared-memory.js';
import {
  A_BUCKETS,
  A_CLEAN,
  A_FREE_OVERFLOW,
  A_OVERFLOW_CAPACITY,
  A_OVERFLOW_IN_USE,
  A_OVERFLOW_USED,
  AREA_BASE,
  AREA_WORDS,
  EPOCH,
  NO_BUCKET,
  WORDS_PER_BUCKET,
  altHash,
  locOfSlot,
  type AreaMemory,
} from './index-layout.js';

export interface KeySource {
  /** Does the record at slot location `loc` hold exactly `key`? */
  keyMatches(loc: number, key: Uint8Array): boolean;
  /** Hash of the key stored at `loc` (migration recomputes buckets). */
  hashAt(loc: number): number;
}

/**
 * One generation of the table (primary buckets plus their overflow pool)
 * as seen by this thread: fixed-length views over an area's shared
 * buffers, rebuilt by sync() when the area changes.
 */
export class SlotTable {
  buckets = 1;
  mask = 0;
  /** 16 words per bucket: primary buckets first, then overflow buckets. */
  words: Uint32Array = new Uint32Array(0);
  /** Next bucket in the chain, NO_BUCKET at the end; links the free overflow list too. */
  next: Int32Array = new Int32Array(0);
  /** Per primary bucket: the second (mod 2^16) of its last frequency count. */
  second: Uint16Array = new Uint16Array(0);
  private readonly base: number;

  constructor(
    private readonly keys: KeySource,
    private readonly area: AreaMemory,
    private readonly control: Int32Array,
    areaIndex: number,
  ) {
    this.base = AREA_BASE + areaIndex * AREA_WORDS;
  }

  /** Rebuild the views after the area's size or contents changed (any thread). */
  sync(): void {
    const buckets = this.control[this.base + A_BUCKETS]!;
    const total = buckets + this.control[this.base + A_OVERFLOW_CAPACITY]!;
    this.buckets = buckets;
    this.mask = buckets - 1;
    if (this.words.length !== total * WORDS_PER_BUCKET || this.words.buffer !== this.area.words) {
      this.words = new Uint32Array(this.area.words, 0, total * WORDS_PER_BUCKET);
      this.next = new Int32Array(this.area.next, 0, total);
    }
    if (this.second.length !== buckets) this.second = new Uint16Array(this.area.second, 0, buckets);
  }

  /** Make this area an empty table of `buckets` primary buckets (caller bumps the epoch). */
  reset(buckets: number): void {
    const c = this.control;
    const base = this.base;
    const capacity = Math.max(16, buckets >>> 6);
    const total = buckets + capacity;
    const usedBefore = c[base + A_BUCKETS]! + c[base + A_OVERFLOW_CAPACITY]!;
    const area = this.area;
    if (!growShared(area.words, total * WORDS_PER_BUCKET * 4) || !growShared(area.next, total * 4) || !growShared(area.second, buckets * 2)) {
      throw new RangeError(`hash table of ${buckets} buckets exceeds its reserved memory`);
    }
    // Grown bytes are zero; what an earlier table left needs clearing, all
    // of it: a smaller overflow pool grows back over it later (takeOverflow
    // does not clear slot words).
    if (c[base + A_CLEAN] !== 1) new Uint32Array(area.words).fill(0, 0, usedBefore * WORDS_PER_BUCKET);
    new Int32Array(area.next, 0, total).fill(NO_BUCKET);
    new Uint16Array(area.second, 0, buckets).fill(0);
    c[base + A_BUCKETS] = buckets;
    c[base + A_OVERFLOW_CAPACITY] = capacity;
    c[base + A_OVERFLOW_USED] = 0;
    c[base + A_FREE_OVERFLOW] = NO_BUCKET;
    c[base + A_OVERFLOW_IN_USE] = 0;
    c[base + A_CLEAN] = 0;
    this.sync();
  }

  /** Every slot word is zero now (a migration drained it). */
  markClean(): void {
    this.control[this.base + A_CLEAN] = 1;
  }

  get overflowInUse(): number {
    return this.control[this.base + A_OVERFLOW_IN_USE]!;
  }

  /** An empty overflow bucket: a recycled one, else a new one (the pool doubles when full). */
  private takeOverflow(): number {
    const c = this.control;
    const base = this.base;
    c[base + A_OVERFLOW_IN_USE]!++;
    const free = c[base + A_FREE_OVERFLOW]!;
    if (free !== NO_BUCKET) {
      c[base + A_FREE_OVERFLOW] = this.next[free]!;
      this.next[free] = NO_BUCKET;
      return free;
    }
    const used = c[base + A_OVERFLOW_USED]!;
    if (used === c[base + A_OVERFLOW_CAPACITY]) {
      const capacity = used * 2;
      const total = this.buckets + capacity;
      if (!growShared(this.area.words, total * WORDS_PER_BUCKET * 4) || !growShared(this.area.next, total * 4)) {
        throw new RangeError(`hash table overflow pool of ${capacity} buckets exceeds its reserved memory`);
      }
      new Int32Array(this.area.next, (this.buckets + used) * 4, capacity - used).fill(NO_BUCKET);
      c[base + A_OVERFLOW_CAPACITY] = capacity;
      Atomics.add(c, EPOCH, 1);
      this.sync();
    }
    c[base + A_OVERFLOW_USED] = used + 1;
    return this.buckets + used;
  }

  /** Empty slots in bucket `b` itself (not its overflow chain). */
  emptySlots(b: number): number {
    const words = this.words;
    const base = b * WORDS_PER_BUCKET;
    let empty = 0;
    for (let i = base + 1; i < base + WORDS_PER_BUCKET; i += 2) if (words[i] === 0) empty++;
    return empty;
  }

  /**
   * Place a slot for a key with `hash`: in its first bucket if that has
   * room, else in its second. When both are full, first try to move one of
   * their entries to that entry's other bucket (one cuckoo step, re-reading
   * its key); chain into overflow only when that fails too.
   */
  place(hash: number, meta: number, lo: number): void {
    const b1 = hash & this.mask;
    let bucket = b1;
    if (this.emptySlots(b1) === 0) {
      const b2 = altHash(hash) & this.mask;
      if (b2 !== b1 && this.emptySlots(b2) > 0) bucket = b2;
      else if (!this.displaceOne(b1) && b2 !== b1 && this.displaceOne(b2)) bucket = b2;
    }
    this.placeInChain(bucket, meta, lo);
  }

  /** Move one entry of full primary bucket `b` to its other bucket if that has room. */
  private displaceOne(b: number): boolean {
    const words = this.words;
    const base = b * WORDS_PER_BUCKET;
    for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
      const hash = this.keys.hashAt(locOfSlot(words[i]!, words[i + 1]!));
      const h1 = hash & this.mask;
      const other = h1 === b ? altHash(hash) & this.mask : h1;
      if (other === b || this.emptySlots(other) === 0) continue;
      this.placeInChain(other, words[i]!, words[i + 1]!);
      words[i] = 0;
      words[i + 1] = 0;
      return true;
    }
    return false;
  }

  private placeInChain(bucket: number, meta: number, lo: number): void {
    let b = bucket;
    for (;;) {
      const words = this.words;
      const base = b * WORDS_PER_BUCKET;
      for (let i = base + 1; i < base + WORDS_PER_BUCKET; i += 2) {
        if (words[i] === 0) {
          words[i - 1] = meta;
          words[i] = lo;
          return;
        }
      }
      let nb = this.next[b]!;
      if (nb === NO_BUCKET) {
        nb = this.takeOverflow();
        this.next[b] = nb;
      }
      b = nb;
    }
  }

  /**
   * After emptying word `slot` of the chain starting at primary bucket
   * `primary`: a freed primary slot takes an entry back from the chain's
   * first overflow bucket (so overflow entries exist only while the primary
   * bucket is full), and an emptied overflow bucket is recycled.
   */
  afterRemoval(primary: number, slot: number): void {
    const words = this.words;
    let b = Math.floor(slot / WORDS_PER_BUCKET);
    if (b < this.buckets) {
      const ob = this.next[b]!;
      if (ob === NO_BUCKET) return;
      const base = ob * WORDS_PER_BUCKET;
      for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
        if (words[i + 1] !== 0) {
          words[slot] = words[i]!;
          words[slot + 1] = words[i + 1]!;
          words[i] = 0;
          words[i + 1] = 0;
          break;
        }
      }
      b = ob;
    }
    const base = b * WORDS_PER_BUCKET;
    for (let i = base + 1; i < base + WORDS_PER_BUCKET; i += 2) if (words[i] !== 0) return;
    let prev = primary;
    while (this.next[prev] !== b) prev = this.next[prev]!;
    this.next[prev] = this.next[b]!;
    const c = this.control;
    this.next[b] = c[this.base + A_FREE_OVERFLOW]!;
    c[this.base + A_FREE_OVERFLOW] = b;
    c[this.base + A_OVERFLOW_IN_USE]!--;
  }

  get bytes(): number {
    return this.words.byteLength + this.next.byteLength + this.second.byteLength;
  }
}
