// Whole-segment eviction policies, used when a writer needs a segment and
// neither the free pool nor the expiry sweep has one: 'fifo' frees the
// oldest segment (the oldest chain head), 'random' a random one. Both drop
// every item of the victim. 'merge' (merge-eviction.ts) falls back to FIFO
// when no bucket has segments it can merge. The segment holding an item
// that is being rewritten (ItemSpace.pinned) is never chosen, nor one a
// paused merge holds (SegmentHeap.busy MERGE_BUSY). A segment a writer
// thread owns may be chosen: freeing it ends the ownership.

import type { Evictor, ItemSpace } from './item-space.js';
import { MERGE_BUSY, NO_SEGMENT, FREE_BUCKET } from './segment-heap.js';
import { BUCKET_COUNT } from './ttl-buckets.js';
import { MergeEvictor } from './merge-eviction.js';
import type { EvictionPolicy } from './types.js';

/** Free the oldest segment: the chain head with the earliest create time. */
export function evictOldest(space: ItemSpace, nowS: number): boolean {
  const heap = space.heap;
  const chains = space.chains;
  let victim = NO_SEGMENT;
  let oldest = Infinity;
  for (let b = 0; b < BUCKET_COUNT; b++) {
    let seg = chains.head[b]!;
    while (seg !== NO_SEGMENT && (seg === space.pinned || heap.busy[seg] === MERGE_BUSY)) seg = heap.next[seg]!;
    if (seg !== NO_SEGMENT && heap.createTime[seg]! < oldest) {
      oldest = heap.createTime[seg]!;
      victim = seg;
    }
  }
  if (victim === NO_SEGMENT) return false;
  space.freeSegment(victim, nowS);
  return true;
}

/** Free a random segment in use. */
export function evictRandom(space: ItemSpace, nowS: number): boolean {
  const heap = space.heap;
  const n = heap.segmentCount;
  const start = Math.floor(Math.random() * n);
  for (let i = 0; i < n; i++) {
    const seg = (start + i) % n;
    if (heap.bucket[seg] !== FREE_BUCKET && seg !== space.pinned && heap.busy[seg] !== MERGE_BUSY) {
      space.freeSegment(seg, nowS);
      return true;
    }
  }
  return false;
}

/**
 * The evictor for a policy; null for 'none' (writes answer out_of_memory).
 * `mergeSegments` tunes 'merge'; `turnoverMemory` shares its heap-turnover
 * measurement between threads (heap-turnover.ts).
 */
export function evictorFor(policy: EvictionPolicy, mergeSegments?: number, turnoverMemory?: SharedArrayBuffer): Evictor | null {
  switch (policy) {
    case 'fifo':
      return evictOldest;
    case 'random':
      return evictRandom;
    case 'merge': {
      const merger = new MergeEvictor(mergeSegments, turnoverMemory);
      const evict: Evictor = (space, nowS) => merger.evict(space, nowS) || evictOldest(space, nowS);
      evict.slices = function* (space, nowS, sliceRecords) {
        return (yield* merger.evictSteps(space, nowS, sliceRecords)) || evictOldest(space, nowS);
      };
      return evict;
    }
    case 'none':
      return null;
  }
}
