// TTL buckets: Segcache's 1024 buckets grouping segments by item lifetime,
// plus one bucket for items that never expire. Each bucket is a doubly
// linked chain of segments in creation order (links live in the heap's
// segment headers); writes append to the chain's tail segment.
//
// Widths as Segcache: 8 s up to 2047 s, 128 s up to 32767 s, 2048 s up to
// 524287 s, 32768 s beyond (the last bucket takes everything longer). Bucket
// rounding never decides when an item dies (each item has its own deadline);
// it only groups items that die at about the same time so whole segments
// free up together.
//
// The chain heads, tails, counts and merge cursors live in SharedArrayBuffers
// (`memory`); another thread attaches with `new TtlChains(heap, chains.memory)`.

import { NO_SEGMENT, type SegmentHeap } from './segment-heap.js';

/** Buckets for expiring items. */
export const TTL_BUCKETS = 1024;
/** The bucket for items without a deadline: never swept, only evicted. */
export const NEVER_BUCKET = TTL_BUCKETS;
export const BUCKET_COUNT = TTL_BUCKETS + 1;

/** Bucket index for an item living `ttl` more seconds (ttl >= 1). */
export function bucketForTtl(ttl: number): number {
  if (ttl < 2048) return ttl <= 0 ? 0 : ttl >>> 3;
  if (ttl < 32768) return (ttl >>> 7) + 256;
  if (ttl < 524288) return (ttl >>> 11) + 512;
  if (ttl < 8388608) return (ttl >>> 15) + 768;
  return TTL_BUCKETS - 1;
}

/**
 * A heap of fewer segments than this puts every expiring item in one
 * bucket. Each bucket in use keeps a part-filled tail segment open and
 * merges only within itself, so on a heap of a few segments four TTLs
 * leave four segments half empty and the merges' choice thin (issue 17,
 * benchmarks/RESULTS.md: at -m 8-9 capacity misses fell to half on mixed-TTL
 * profiles). Expiry still frees whole segments by each one's latest deadline
 * (sweep), and merges drop expired items first, so nothing is served late.
 */
export const SHARED_BUCKET_BELOW = 32;
/** The one bucket of a small heap's expiring items. */
export const SHARED_BUCKET = TTL_BUCKETS - 1;

/** Bucket for an expiring item living `ttl` more seconds in a heap of `segmentCount` segments. */
export function placementBucket(ttl: number, segmentCount: number): number {
  return segmentCount < SHARED_BUCKET_BELOW ? SHARED_BUCKET : bucketForTtl(ttl);
}

/** The chains' shared buffers: Int32 head, tail, count, mergeCursor, BUCKET_COUNT each. */
export interface ChainsMemory {
  head: SharedArrayBuffer;
  tail: SharedArrayBuffer;
  count: SharedArrayBuffer;
  mergeCursor: SharedArrayBuffer;
}

/** Chains of segments per bucket. */
export class TtlChains {
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly count: Int32Array;
  /** Merge eviction resumes here (a segment id, validated before use). */
  readonly mergeCursor: Int32Array;
  readonly memory: ChainsMemory;

  /** New empty chains, or a view of existing ones (`memory` from another thread). */
  constructor(
    private readonly heap: SegmentHeap,
    memory?: ChainsMemory,
  ) {
    const fresh = memory === undefined;
    const sab = (): SharedArrayBuffer => new SharedArrayBuffer(BUCKET_COUNT * 4);
    this.memory = memory ?? { head: sab(), tail: sab(), count: sab(), mergeCursor: sab() };
    this.head = new Int32Array(this.memory.head);
    this.tail = new Int32Array(this.memory.tail);
    this.count = new Int32Array(this.memory.count);
    this.mergeCursor = new Int32Array(this.memory.mergeCursor);
    if (fresh) this.clear();
  }

  /** Append `seg` as the new tail of `bucket`. */
  append(bucket: number, seg: number): void {
    const heap = this.heap;
    const tail = this.tail[bucket]!;
    heap.bucket[seg] = bucket;
    heap.prev[seg] = tail;
    heap.next[seg] = NO_SEGMENT;
    if (tail === NO_SEGMENT) this.head[bucket] = seg;
    else heap.next[tail] = seg;
    this.tail[bucket] = seg;
    this.count[bucket]!++;
  }

  /** Remove `seg` from its bucket's chain (the header's bucket stays until released). */
  unlink(seg: number): void {
    const heap = this.heap;
    const bucket = heap.bucket[seg]!;
    const prev = heap.prev[seg]!;
    const next = heap.next[seg]!;
    if (prev === NO_SEGMENT) this.head[bucket] = next;
    else heap.next[prev] = next;
    if (next === NO_SEGMENT) this.tail[bucket] = prev;
    else heap.prev[next] = prev;
    heap.prev[seg] = NO_SEGMENT;
    heap.next[seg] = NO_SEGMENT;
    if (this.mergeCursor[bucket] === seg) this.mergeCursor[bucket] = NO_SEGMENT;
    this.count[bucket]!--;
  }

  /** Forget every chain (flush_all). */
  clear(): void {
    this.head.fill(NO_SEGMENT);
    this.tail.fill(NO_SEGMENT);
    this.count.fill(0);
    this.mergeCursor.fill(NO_SEGMENT);
  }
}
