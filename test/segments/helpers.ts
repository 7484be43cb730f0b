// Shared helpers for the segment store tests: a hand-driven clock, a store
// factory with small, test-friendly defaults and a seeded PRNG.

import { SegmentStore, type StoreTuning } from '../../segments/segment-store.js';
import type { Clock, StoreOptions } from '../../segments/types.js';
import { tagOf } from '../../segments/key-hash.js';
export { prng } from '../prng.js';

/** A clock the test advances by hand. Starts at a fixed unix time. */
export class ManualClock implements Clock {
  ms = 1_700_000_000_000;
  nowMs(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
  get seconds(): number {
    return Math.floor(this.ms / 1000);
  }
}

export function makeStore(options: Partial<StoreOptions> = {}, tuning: StoreTuning = {}): { store: SegmentStore; clock: ManualClock } {
  const clock = new ManualClock();
  const store = new SegmentStore(
    {
      memoryLimitBytes: 8 * 1024 * 1024,
      itemSizeMax: 1024 * 1024,
      clock,
      hashSeed: 12345,
      ...options,
    },
    tuning,
  );
  return { store, clock };
}


export const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Value of `key` as a string, or undefined on a miss (counts as a get). */
export function getString(store: SegmentStore, key: string): string | undefined {
  const ref = store.get(b(key));
  return ref < 0 ? undefined : store.itemValue(ref).toString('latin1');
}

/** CAS of `key` via peek (no counters), or -1. */
export function casOf(store: SegmentStore, key: string): number {
  const ref = store.peek(b(key));
  return ref < 0 ? -1 : store.itemCas(ref);
}

/**
 * Cross-check the store's internal structures: live counts per segment,
 * store counters, hash index entries, chains and the free pool all agree.
 * Returns a list of problems (empty when consistent).
 */
export function audit(store: SegmentStore): string[] {
  const space = store.itemSpace;
  const heap = space.heap;
  const problems: string[] = [];
  let linked = 0;
  let liveItems = 0;
  let liveBytes = 0;
  for (let seg = 0; seg < heap.segmentCount; seg++) {
    if (heap.isFree(seg)) continue;
    linked++;
    liveItems += heap.liveItems[seg]!;
    liveBytes += heap.liveBytes[seg]!;
    if (heap.writeOffset[seg]! > heap.segmentSize) problems.push(`segment ${seg} written past its end`);
  }
  if (linked + heap.freeCount !== heap.activeCount) problems.push(`linked ${linked} + free ${heap.freeCount} != ${heap.activeCount}`);
  let chained = 0;
  for (let bucket = 0; bucket < space.chains.count.length; bucket++) {
    let n = 0;
    for (let seg = space.chains.head[bucket]!; seg !== -1; seg = heap.next[seg]!) {
      if (heap.bucket[seg] !== bucket) problems.push(`segment ${seg} in chain ${bucket} says bucket ${heap.bucket[seg]}`);
      n++;
    }
    if (n !== space.chains.count[bucket]) problems.push(`chain ${bucket} has ${n} segments, count says ${space.chains.count[bucket]}`);
    chained += n;
  }
  if (chained !== linked) problems.push(`chains hold ${chained} segments, ${linked} are linked`);
  const c = store.counters;
  if (c.items !== liveItems) problems.push(`counters.items ${c.items} != segment live items ${liveItems}`);
  if (c.bytes !== liveBytes) problems.push(`counters.bytes ${c.bytes} != segment live bytes ${liveBytes}`);
  if (space.index.count !== c.items) problems.push(`index count ${space.index.count} != items ${c.items}`);
  const locations = space.index.locations();
  if (locations.length !== c.items) problems.push(`index holds ${locations.length} locations, items ${c.items}`);
  const seen = new Set<number>();
  for (const loc of locations) {
    const addr = space.addrOf(loc);
    const seg = space.segmentOf(addr);
    if (seen.has(loc)) problems.push(`location ${loc} linked twice`);
    seen.add(loc);
    if (heap.isFree(seg)) problems.push(`slot points into free segment ${seg}`);
    else if (addr - seg * heap.segmentSize >= heap.writeOffset[seg]!) problems.push(`slot points past the data of segment ${seg}`);
    else if ((space.wordA(addr) >>> 8) & 0x08) problems.push(`slot points at a dead record in segment ${seg}`);
    else {
      const hash = space.hashAt(loc);
      if (space.index.find(store.itemKey(addr), hash, tagOf(hash)) !== loc) problems.push(`location ${loc} not found by its key`);
    }
  }
  if (c.bytes > store.shape().limitBytes) problems.push(`bytes ${c.bytes} over the memory limit`);
  return problems;
}
