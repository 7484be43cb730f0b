// The narrow view of a store that warm restart (store-image.ts) works
// through: the settings an image must match, the segment headers and data,
// the TTL chain heads, the hash index's shared memory and seed, the scalar
// state (generation counter, pending flush_all, per-item CAS counter) and
// the few calls a restore needs to rebuild the rest. SegmentStore.imagePort()
// builds it.
//
// Kept small on purpose: the store's layout may change (typed arrays moving
// into SharedArrayBuffers, scalars into a shared control block) and only
// this port's implementation has to follow; the image format does not care
// where the fields live.

import type { IndexMemory } from '../index-layout.js';

/** What an image must agree on with the store it is restored into. */
export interface ImageSettings {
  segmentSize: number;
  segmentCount: number;
  /** -m in bytes. */
  memoryLimitBytes: number;
  /** -I in bytes. */
  itemSizeMax: number;
  /** -C turns this off: tokens read 0. */
  casEnabled: boolean;
  /** The store keeps an 8-byte CAS in every item (a benchmark tuning). */
  perItemCas: boolean;
}

/** Store state that is not in any segment. */
export interface ImageScalars {
  /** Generation the next opened segment gets: restored, so no CAS token repeats. */
  nextGeneration: number;
  /** Unix second a delayed flush_all takes effect, -1 when none. */
  pendingFlushAt: number;
  /** Last per-item CAS handed out (perItemCas only, else 0). */
  casCounter: number;
}

/** Per-segment headers (indexed by segment id) and data views; the heap's own field names. */
export interface ImageHeap {
  readonly segmentSize: number;
  readonly segmentCount: number;
  readonly bytes: readonly Uint8Array[];
  readonly words: readonly Uint32Array[];
  readonly writeOffset: Int32Array;
  readonly liveBytes: Int32Array;
  readonly liveItems: Int32Array;
  /** TTL chain successor (NO_SEGMENT = -1 at the tail). */
  readonly next: Int32Array;
  /** TTL bucket, -1 when free. */
  readonly bucket: Int16Array;
  readonly createTime: Float64Array;
  readonly latestDeadline: Float64Array;
  readonly generation: Float64Array;
  readonly read: Uint8Array;
  /** Seconds per last-access stamp step (a power of two); the base follows from createTime. */
  readonly accessUnit: Float64Array;
  readonly accessBase: Float64Array;
}

export interface StoreImagePort {
  readonly settings: ImageSettings;
  readonly heap: ImageHeap;
  /** First segment of each TTL bucket's chain (-1 = empty), buckets 0..BUCKET_COUNT-1. */
  readonly chainHeads: Int32Array;
  /** The hash index's shared arrays (segments/index-image.ts saves and restores them). */
  readonly indexMemory: IndexMemory;
  /** Seed of the key hash: a saved index is usable only by a store with the same one. */
  readonly hashSeed: number;
  /** Entries in the hash index (a save checks it against the segments' live counts). */
  indexedItems(): number;
  scalars(): ImageScalars;
  /** The store's current unix second. */
  nowS(): number;
  /** Free every segment a flush_all left (lazy flush: their items are gone, so they are never saved); true if one could not be (a paused merge holds it). */
  reclaimFlushed(): boolean;
  /** Nothing stored and every segment free: a restore starts only from here. */
  isPristine(): boolean;
  /** Append `seg` (its headers already written) to the tail of `bucket`'s chain. */
  appendSegment(bucket: number, seg: number): void;
  /** Enter the record at heap address `addr` into the hash index (rebuilding it; not counted). */
  insertRecord(addr: number): void;
  /** Remove the record at `addr` from the hash index; false when the index has no slot for it. */
  unindexRecord(addr: number): boolean;
  /** Add restored items to curr_items and bytes. */
  countRestored(items: number, bytes: number): void;
  /** Finish a restore: continue generations, rebuild the free pool, set the flush and CAS state. */
  adopt(scalars: ImageScalars): void;
  /** Forget everything (a restore that failed after it began writing the store). */
  reset(): void;
}
