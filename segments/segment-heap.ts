// The segment heap: every byte the store may hold, allocated up front for the
// memory limit as fixed-size segments, plus one header per segment kept in
// typed arrays (never JS objects), and the pool of free segments.
//
// Run-time limit (cache_memlimit): the heap reserves `segmentCount`
// segments, more than the start-up limit needs (reservedSegments()), and
// keeps only `activeCount` of them in circulation (taken or free); the rest
// are retired (flag `retired`, a second stack at the top of the free stack's
// array). setTarget() moves the goal: growing un-retires segments at once;
// shrinking retires free segments now, and every later take() and release()
// retires rather than circulates until activeCount reaches the target, so
// evictions that free segments bring the heap down (segment-store.ts
// setMemoryLimit drives them). Retired segments look free to every walker.
//
// Data lives in a few large SharedArrayBuffers (at most ~1 GiB each, well
// under Node's 4 GiB Buffer cap); each segment gets a Buffer and a
// Uint32Array view so records are read with aligned word loads. Buffers are
// zero-filled lazily by the OS, so untouched segments cost no resident
// memory. Every header, the free stack and its top, and the generation
// counter live in SharedArrayBuffers too (`memory`, structured-cloneable):
// another thread attaches with `new SegmentHeap(heap.memory)` and sees the
// same heap. Callers serialize mutations (segment-store.ts's lock).
//
// Addresses: an item's address (ItemRef) is segment * segmentSize + offset,
// a plain number below MAX_HEAP_BYTES (8 TiB); hash slots keep address / 8 + 1
// in 40 bits (index-layout.ts). Arithmetic on addresses is plain double
// arithmetic (Math.floor, *, /), never 32-bit integer operators.
//
// Access times: each record keeps its last access in 16 bits of word A, as
// steps of `accessUnit[seg]` seconds since the segment's createTime (rounded
// down to a unit; times are kept as multiples of the unit). The unit is 1 s
// until the segment is 2^16 s (18.2 h) old; whenever a time to record lies
// beyond 16 bits the unit doubles (as often as needed) and every stamp in
// the segment is re-stamped to match. So times stay right for any uptime,
// reported less than one unit early, and a unit is at most 1/32768 of the
// segment's age (1 s for its first 18.2 h, 2 s to 36 h, 512 s at a year);
// no byte per item.
//
// Memory put to use (stats slabs total_malloced, committedBytes): the OS
// backs a segment's bytes only once written, a page at a time, and keeps
// them backed after (a SharedArrayBuffer never hands pages back). So each
// segment keeps its high-water mark, the furthest offset ever written,
// across release, reuse, compaction and flush_all; it is updated only where
// the write offset moves back (take, release, setCompactedEnd), never on
// the append path, and the sum is worked out when asked (a sliced merge
// paused mid-way may have written its destination past the offset: counted
// once it closes). A preallocation
// (memcached's T_MEMD_INITIAL_MALLOC test hook, lib/cli) counts against the
// limit before any segment: the heap gets what the limit leaves.

import { recordBytesAt } from './item-layout.js';
import { MAX_LOC } from './index-layout.js';

/** Segment header value for "no segment". */
export const NO_SEGMENT = -1;
/** `bucket` header value of a free segment. */
export const FREE_BUCKET = -1;
/** `latestDeadline` of a segment holding an item that never expires. */
export const LATEST_NEVER = 0xffffffff;
/** Largest heap the 40-bit slot locations address (index-layout.ts MAX_LOC, units of 8 bytes): about 8 TiB. */
export const MAX_HEAP_BYTES = (MAX_LOC - 1) * 8;
/**
 * Segments a heap reserves headers, views and (lazily committed) data for:
 * the start-up count times this, so cache_memlimit can grow the cache...
 */
export const GROWTH_FACTOR = 8;
/** ...but never more than this many segments in all (per-thread views cost ~150 bytes a segment). */
export const MAX_RESERVED_SEGMENTS = 65536;
/** What last happened to a segment (`eventKind`): nothing yet. */
export const EVENT_NONE = 0;
/** Freed by the expiry sweep (its items' deadlines passed). */
export const EVENT_EXPIRED = 1;
/** Freed whole by eviction (fifo, random, or merge's unread-run fallback). */
export const EVENT_EVICTED = 2;
/** Part of a merge-eviction pass: compacted into, or freed by it. */
export const EVENT_MERGED = 3;
/** Freed by the sweep after deletes and overwrites left nothing live. */
export const EVENT_EMPTIED = 4;
/** Offsets within a segment are handled as 31-bit integers. */
export const MAX_SEGMENT_BYTES = 0x7ffffff8;
/** Data per ArrayBuffer: a few large buffers instead of one per segment. */
const CHUNK_BYTES = 1 << 30;
/** Largest access stamp (16 bits of word A). */
export const MAX_ACCESS_STAMP = 0xffff;
/** SegmentHeap.busy: a paused merge holds the segment. Values from OWNED_MARK up: a writer thread owns it (2 + its slot). */
export const MERGE_BUSY = 1;
export const OWNED_MARK = 2;

/** Everything a SegmentHeap is, as SharedArrayBuffers and numbers: postMessage-able. */
export interface HeapMemory {
  segmentSize: number;
  segmentCount: number;
  chunks: SharedArrayBuffer[];
  /** One per header array, named as the SegmentHeap field. */
  writeOffset: SharedArrayBuffer;
  liveBytes: SharedArrayBuffer;
  liveItems: SharedArrayBuffer;
  prev: SharedArrayBuffer;
  next: SharedArrayBuffer;
  bucket: SharedArrayBuffer;
  createTime: SharedArrayBuffer;
  latestDeadline: SharedArrayBuffer;
  generation: SharedArrayBuffer;
  read: SharedArrayBuffer;
  eventAt: SharedArrayBuffer;
  eventKind: SharedArrayBuffer;
  accessUnit: SharedArrayBuffer;
  accessBase: SharedArrayBuffer;
  /** 1 for a segment out of circulation (see the header). */
  retired: SharedArrayBuffer;
  /** Free stack from the bottom, retired stack from the top. */
  freeStack: SharedArrayBuffer;
  /** Uint8 per segment: 1 while a sliced merge works on it (see `busy`). */
  busy: SharedArrayBuffer;
  /** Int32 per segment: the furthest offset ever written (see the header). */
  highWater: SharedArrayBuffer;
  /** Int32 [free top, retired count, target active count, clears]. */
  control: SharedArrayBuffer;
  /** Float64 [next generation, memory limit in bytes, flush cliff, preallocated bytes]. */
  counters: SharedArrayBuffer;
}

const FREE_TOP = 0;
const RETIRED_COUNT = 1;
const TARGET = 2;
/** releaseAll() calls so far: a merge paused across one gives up. */
const CLEARS = 3;
/** flushBelowNext() calls so far: a merge paused across one drops what is left of its run. */
const FLUSHES = 4;
const NEXT_GENERATION = 0;
const LIMIT_BYTES = 1;
/**
 * The flush cliff (lazy flush_all): every segment whose generation is below
 * it holds only flushed items. 0 = no flush yet. A segment opened or
 * compacted after the flush gets a generation at or above it.
 */
const FLUSH_CLIFF = 2;
/** Bytes counted against the limit before the heap (T_MEMD_INITIAL_MALLOC). */
const PREALLOCATED = 3;
/** The OS commits memory in pages of this size (x86-64 and arm64 Linux base pages). */
export const OS_PAGE_BYTES = 4096;

/** Segments to reserve for a heap that starts with `count`: room for cache_memlimit to grow it. */
export function reservedSegments(count: number): number {
  return Math.max(count, Math.min(MAX_RESERVED_SEGMENTS, count * GROWTH_FACTOR));
}

function newHeapMemory(memoryLimitBytes: number, segmentSize: number, growthRoom: boolean, preallocatedBytes: number): HeapMemory {
  if (segmentSize % 8 !== 0 || segmentSize < 64 || segmentSize > MAX_SEGMENT_BYTES) {
    throw new RangeError(`segment size ${segmentSize} must be a multiple of 8 from 64 to ${MAX_SEGMENT_BYTES}`);
  }
  if (!(preallocatedBytes >= 0)) throw new RangeError(`preallocated bytes ${preallocatedBytes} must be 0 or more`);
  const active = Math.floor(Math.min(memoryLimitBytes - preallocatedBytes, MAX_HEAP_BYTES) / segmentSize);
  if (active < 1) {
    const less = preallocatedBytes > 0 ? ` less ${preallocatedBytes} preallocated` : '';
    throw new RangeError(`memory limit ${memoryLimitBytes}${less} is smaller than one segment (${segmentSize})`);
  }
  const count = growthRoom ? Math.min(reservedSegments(active), Math.floor(MAX_HEAP_BYTES / segmentSize)) : active;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / segmentSize));
  const chunks: SharedArrayBuffer[] = [];
  for (let first = 0; first < count; first += perChunk) chunks.push(new SharedArrayBuffer(Math.min(perChunk, count - first) * segmentSize));
  const sab = (bytesEach: number): SharedArrayBuffer => new SharedArrayBuffer(count * bytesEach);
  const memory: HeapMemory = {
    segmentSize,
    segmentCount: count,
    chunks,
    writeOffset: sab(4),
    liveBytes: sab(4),
    liveItems: sab(4),
    prev: sab(4),
    next: sab(4),
    bucket: sab(2),
    createTime: sab(8),
    latestDeadline: sab(8),
    generation: sab(8),
    read: sab(1),
    eventAt: sab(4),
    eventKind: sab(1),
    accessUnit: sab(8),
    accessBase: sab(8),
    retired: sab(1),
    freeStack: sab(4),
    busy: sab(1),
    highWater: sab(4),
    control: new SharedArrayBuffer(20),
    counters: new SharedArrayBuffer(32),
  };
  new Int32Array(memory.prev).fill(NO_SEGMENT);
  new Int32Array(memory.next).fill(NO_SEGMENT);
  new Int16Array(memory.bucket).fill(FREE_BUCKET);
  new Float64Array(memory.accessUnit).fill(1);
  new Float64Array(memory.counters)[NEXT_GENERATION] = 1;
  new Float64Array(memory.counters)[LIMIT_BYTES] = memoryLimitBytes;
  new Float64Array(memory.counters)[PREALLOCATED] = preallocatedBytes;
  new Int32Array(memory.control)[TARGET] = active;
  return memory;
}

export class SegmentHeap {
  readonly segmentSize: number;
  readonly segmentCount: number;
  /** Called before a segment gets a fresh generation (its record words are about to be rewritten): the store waits for optimistic readers' marks there. */
  onRenew: (() => void) | null = null;
  /** Per-segment Buffer view over its data. */
  readonly bytes: Buffer[] = [];
  /** Per-segment Uint32Array view over the same data (word = byte offset / 4). */
  readonly words: Uint32Array[] = [];
  /** Per-segment DataView over the same data: small values are copied out 4 bytes at a time through it. */
  readonly views: DataView[] = [];

  // Segment headers, indexed by segment id.
  /** End of written data (next record offset). */
  readonly writeOffset: Int32Array;
  /** Bytes / count of live (linked) records. */
  readonly liveBytes: Int32Array;
  readonly liveItems: Int32Array;
  /** TTL bucket chain links (NO_SEGMENT = none). */
  readonly prev: Int32Array;
  readonly next: Int32Array;
  /** TTL bucket index, FREE_BUCKET when free. */
  readonly bucket: Int16Array;
  /** Unix second the segment was opened (merges keep the oldest). */
  readonly createTime: Float64Array;
  /** Latest deadline of any item written here (LATEST_NEVER, 0 = none yet). */
  readonly latestDeadline: Float64Array;
  /** Global opening number, fresh each time the segment is (re)written: CAS tokens derive from it. */
  readonly generation: Float64Array;
  /** 1 once any item in the segment has been read (merge eviction skips ranking runs never read). */
  readonly read: Uint8Array;
  /** Unix second of the segment's last EVENT_* (0 = none): only the live page reads these two. */
  readonly eventAt: Uint32Array;
  readonly eventKind: Uint8Array;
  /** Seconds per step of the segment's access stamps (a power of two; see the header). */
  readonly accessUnit: Float64Array;
  /** createTime in access units, rounded down: stamp 0 is this many units since the epoch. */
  readonly accessBase: Float64Array;

  /**
   * MERGE_BUSY (1) while a merge that releases the store lock between
   * slices works on the segment (merge-eviction.ts): its records may be
   * half compacted, so nothing else may walk, sweep, free, merge or append
   * to it meanwhile (item-space.ts, eviction.ts, item-walk.ts check).
   * Lookups of items in it stay valid: every slot points at a whole record.
   * OWNED_MARK + slot while a writer thread owns it (segment-store.ts, "own
   * segments"): no one else appends to it; an exclusive holder may still
   * sweep, evict, merge or free it, which ends the ownership (release()
   * clears the mark, merges clear it first).
   */
  readonly busy: Uint8Array;

  /** The shared buffers behind this heap (hand to another thread to attach). */
  readonly memory: HeapMemory;
  /** 1 for a segment out of circulation. */
  private readonly retired: Uint8Array;
  /** Free segment ids (a stack: the most recently freed is reused first, still warm); retired ids stacked from the top. */
  private readonly freeStack: Int32Array;
  /** Furthest offset each segment was ever written to, as of its write offset's last move back. */
  private readonly highWater: Int32Array;
  /** [free top, retired count, target] */
  private readonly control: Int32Array;
  /** [next generation, limit bytes, flush cliff] */
  private readonly sharedCounters: Float64Array;

  /**
   * A new heap for `memoryLimitBytes` less `preallocatedBytes` (every
   * segment free; with `growthRoom` more segments reserved for
   * cache_memlimit), or one more view of an existing heap's memory.
   */
  constructor(memoryLimitBytes: number, segmentSize: number, growthRoom?: boolean, preallocatedBytes?: number);
  constructor(memory: HeapMemory);
  constructor(limitOrMemory: number | HeapMemory, segmentSizeArg = 0, growthRoom = true, preallocatedBytes = 0) {
    const fresh = typeof limitOrMemory === 'number';
    const memory = fresh ? newHeapMemory(limitOrMemory, segmentSizeArg, growthRoom, preallocatedBytes) : limitOrMemory;
    this.memory = memory;
    const segmentSize = memory.segmentSize;
    this.segmentSize = segmentSize;
    this.segmentCount = memory.segmentCount;
    for (const buffer of memory.chunks) {
      const n = buffer.byteLength / segmentSize;
      for (let i = 0; i < n; i++) {
        this.bytes.push(Buffer.from(buffer, i * segmentSize, segmentSize));
        this.words.push(new Uint32Array(buffer, i * segmentSize, segmentSize / 4));
        this.views.push(new DataView(buffer, i * segmentSize, segmentSize));
      }
    }
    this.writeOffset = new Int32Array(memory.writeOffset);
    this.liveBytes = new Int32Array(memory.liveBytes);
    this.liveItems = new Int32Array(memory.liveItems);
    this.prev = new Int32Array(memory.prev);
    this.next = new Int32Array(memory.next);
    this.bucket = new Int16Array(memory.bucket);
    this.createTime = new Float64Array(memory.createTime);
    this.latestDeadline = new Float64Array(memory.latestDeadline);
    this.generation = new Float64Array(memory.generation);
    this.read = new Uint8Array(memory.read);
    this.eventAt = new Uint32Array(memory.eventAt);
    this.eventKind = new Uint8Array(memory.eventKind);
    this.accessUnit = new Float64Array(memory.accessUnit);
    this.accessBase = new Float64Array(memory.accessBase);
    this.retired = new Uint8Array(memory.retired);
    this.freeStack = new Int32Array(memory.freeStack);
    this.busy = new Uint8Array(memory.busy);
    this.highWater = new Int32Array(memory.highWater);
    this.control = new Int32Array(memory.control);
    this.sharedCounters = new Float64Array(memory.counters);
    if (fresh) {
      // Retire the reserve above the start-up count (highest ids at the bottom of its stack).
      const target = this.control[TARGET]!;
      for (let seg = this.segmentCount - 1; seg >= target; seg--) this.retire(seg);
      this.releaseAll();
    }
  }

  /** Mean size of the segment's live records (1 when it has none): merge ranking's yardstick. */
  meanLiveBytes(seg: number): number {
    const items = this.liveItems[seg]!;
    return items > 0 ? this.liveBytes[seg]! / items : 1;
  }

  get freeCount(): number {
    return this.control[FREE_TOP]!;
  }

  /** Segments in circulation (taken or free): the run-time limit in segments once a shrink is done. */
  get activeCount(): number {
    return this.segmentCount - this.control[RETIRED_COUNT]!;
  }

  /** The active count the heap is moving to (cache_memlimit). */
  get targetCount(): number {
    return this.control[TARGET]!;
  }

  /** The memory limit in bytes as last set (cache_memlimit reports it as limit_maxbytes). */
  get limitBytes(): number {
    return this.sharedCounters[LIMIT_BYTES]!;
  }

  /** Bytes counted against the limit before the heap (0 unless T_MEMD_INITIAL_MALLOC). */
  get preallocatedBytes(): number {
    return this.sharedCounters[PREALLOCATED]!;
  }

  /** Segments in circulation a memory limit of `limitBytes` allows (after the preallocation). */
  segmentsFor(limitBytes: number): number {
    return Math.floor((limitBytes - this.preallocatedBytes) / this.segmentSize);
  }

  /** Fold `seg`'s write offset into its high-water mark: before the offset moves back. */
  private keepHighWater(seg: number): void {
    const written = this.writeOffset[seg]!;
    if (written > this.highWater[seg]!) this.highWater[seg] = written;
  }

  /**
   * A compaction rewrote `seg` up to `offset` (less or more than before):
   * set its write offset, remembering how far it had been written.
   */
  setCompactedEnd(seg: number, offset: number): void {
    this.keepHighWater(seg);
    this.writeOffset[seg] = offset;
  }

  /**
   * Bytes of the heap in circulation the OS has had to back: per segment
   * its high-water mark (or its write offset, if further), rounded up to
   * whole pages; retired segments left out. One pass over the headers.
   */
  get committedBytes(): number {
    let total = 0;
    for (let seg = 0; seg < this.segmentCount; seg++) {
      if (this.retired[seg] === 1) continue;
      const wo = this.writeOffset[seg]!;
      const hw = this.highWater[seg]!;
      total += Math.ceil((wo > hw ? wo : hw) / OS_PAGE_BYTES) * OS_PAGE_BYTES;
    }
    return total;
  }

  /**
   * Aim for `target` segments in circulation (1..segmentCount) and record
   * `limitBytes`. Growing takes effect at once; shrinking retires the free
   * segments now and returns how many more must still be freed (evicted).
   */
  setTarget(target: number, limitBytes: number): number {
    if (!(target >= 1 && target <= this.segmentCount)) throw new RangeError(`target ${target} segments is outside 1..${this.segmentCount}`);
    const control = this.control;
    control[TARGET] = target;
    this.sharedCounters[LIMIT_BYTES] = limitBytes;
    while (this.activeCount < target) {
      const n = control[RETIRED_COUNT]!;
      const seg = this.freeStack[this.segmentCount - n]!;
      control[RETIRED_COUNT] = n - 1;
      this.retired[seg] = 0;
      this.pushFree(seg);
    }
    this.retireSurplusFree();
    return this.activeCount - target;
  }

  /** Retire free segments while more than the target circulate. */
  private retireSurplusFree(): void {
    const control = this.control;
    while (this.activeCount > control[TARGET]! && control[FREE_TOP]! > 0) {
      const top = control[FREE_TOP]! - 1;
      control[FREE_TOP] = top;
      this.retire(this.freeStack[top]!);
    }
  }

  /** Put free (unlisted) `seg` out of circulation. */
  private retire(seg: number): void {
    const n = this.control[RETIRED_COUNT]! + 1;
    this.control[RETIRED_COUNT] = n;
    this.freeStack[this.segmentCount - n] = seg;
    this.retired[seg] = 1;
    this.bucket[seg] = FREE_BUCKET;
  }

  /** One past the highest segment id in circulation (the live page maps segments below it). */
  get span(): number {
    let seg = this.segmentCount;
    while (seg > 0 && this.retired[seg - 1] === 1) seg--;
    return seg;
  }

  isRetired(seg: number): boolean {
    return this.retired[seg] === 1;
  }

  /** Take a free segment and reset its header for writing; NO_SEGMENT if none. */
  take(nowS: number): number {
    if (this.activeCount > this.control[TARGET]!) this.retireSurplusFree();
    const top = this.control[FREE_TOP]!;
    if (top === 0) return NO_SEGMENT;
    this.control[FREE_TOP] = top - 1;
    const seg = this.freeStack[top - 1]!;
    this.keepHighWater(seg);
    this.writeOffset[seg] = 0;
    this.liveBytes[seg] = 0;
    this.liveItems[seg] = 0;
    this.createTime[seg] = nowS;
    this.latestDeadline[seg] = 0;
    this.read[seg] = 0;
    this.accessUnit[seg] = 1;
    this.accessBase[seg] = Math.floor(nowS);
    this.renew(seg);
    return seg;
  }

  /** Note what just happened to `seg` (an EVENT_* kind) for the live page. */
  mark(seg: number, kind: number, nowS: number): void {
    this.eventAt[seg] = nowS;
    this.eventKind[seg] = kind;
  }

  /**
   * The access stamp for unix second `atS` in `seg`. When `atS` lies beyond
   * the 16 bits, the segment's unit widens first and the stamps of its
   * records in [0, `end`) are rewritten; `end` must bound complete records.
   */
  accessStamp(seg: number, atS: number, end: number): number {
    const stamp = Math.floor(atS / this.accessUnit[seg]!) - this.accessBase[seg]!;
    if (!(stamp > 0)) return 0;
    if (stamp <= MAX_ACCESS_STAMP) return stamp;
    this.widenAccessUnit(seg, atS, end);
    return Math.max(0, Math.floor(atS / this.accessUnit[seg]!) - this.accessBase[seg]!);
  }

  /** Unix second of the access stamped in word A `wordA` of a record of `seg` (less than one unit early). */
  accessTime(seg: number, wordA: number): number {
    return (this.accessBase[seg]! + (wordA >>> 16)) * this.accessUnit[seg]!;
  }

  /** Widen `seg`'s unit now, while all its records are whole, so any time up to `nowS` fits. */
  coverAccessTime(seg: number, nowS: number): void {
    if (Math.floor(nowS / this.accessUnit[seg]!) - this.accessBase[seg]! > MAX_ACCESS_STAMP) {
      this.widenAccessUnit(seg, nowS, this.writeOffset[seg]!);
    }
  }

  /**
   * Double the unit until `atS` fits and re-stamp the records in [0, end).
   * Times are multiples of the unit and a wider unit is a multiple of the
   * narrower, so re-stamping rounds each time once, never twice.
   */
  private widenAccessUnit(seg: number, atS: number, end: number): void {
    const unit = this.accessUnit[seg]!;
    const base = this.accessBase[seg]!;
    const created = this.createTime[seg]!;
    let wider = unit;
    while (Math.floor(atS / wider) - Math.floor(created / wider) > MAX_ACCESS_STAMP) wider *= 2;
    const widerBase = Math.floor(created / wider);
    this.accessUnit[seg] = wider;
    this.accessBase[seg] = widerBase;
    const words = this.words[seg]!;
    for (let off = 0; off < end; off += recordBytesAt(words, off >>> 2)) {
      const w = off >>> 2;
      const a = words[w]!;
      const time = (base + (a >>> 16)) * unit;
      const stamp = Math.max(0, Math.floor(time / wider) - widerBase);
      words[w] = ((a & 0xffff) | (stamp << 16)) >>> 0;
    }
  }

  /** Give the segment a fresh generation: every location token in it changes. */
  renew(seg: number): void {
    this.onRenew?.();
    const generation = this.sharedCounters[NEXT_GENERATION]!;
    this.sharedCounters[NEXT_GENERATION] = generation + 1;
    this.generation[seg] = generation;
  }

  /** Return an unlinked segment to the pool. */
  release(seg: number): void {
    this.bucket[seg] = FREE_BUCKET;
    this.prev[seg] = NO_SEGMENT;
    this.next[seg] = NO_SEGMENT;
    this.keepHighWater(seg);
    this.writeOffset[seg] = 0;
    this.liveBytes[seg] = 0;
    this.liveItems[seg] = 0;
    this.busy[seg] = 0;
    if (this.activeCount > this.control[TARGET]!) this.retire(seg);
    else this.pushFree(seg);
  }

  private pushFree(seg: number): void {
    const top = this.control[FREE_TOP]!;
    this.freeStack[top] = seg;
    this.control[FREE_TOP] = top + 1;
  }

  /** Every segment in circulation free (flush_all); data bytes are left as they are. */
  releaseAll(): void {
    this.control[FREE_TOP] = 0;
    this.control[CLEARS]!++;
    for (let seg = this.segmentCount - 1; seg >= 0; seg--) if (this.retired[seg] === 0) this.release(seg);
  }

  /**
   * flush_all, lazily: every segment in circulation now becomes flushed
   * (isFlushed) in one store: its items are misses from here on, and the
   * sweep frees it. A merge paused across it drops the rest of its run.
   */
  flushBelowNext(): void {
    this.sharedCounters[FLUSH_CLIFF] = this.sharedCounters[NEXT_GENERATION]!;
    this.control[FLUSHES]!++;
  }

  /** flush_all calls so far (flushBelowNext). */
  get flushes(): number {
    return this.control[FLUSHES]!;
  }

  /**
   * True when `seg` was in circulation at the last flush_all: none of its
   * records is live. One read of a header word readers already read (an
   * out-of-range `seg` from a torn read answers false).
   */
  isFlushed(seg: number): boolean {
    return (this.generation[seg] as number) < this.sharedCounters[FLUSH_CLIFF]!;
  }

  /** The generation the next opened segment gets (warm restart saves it: tokens must never repeat). */
  get generationCounter(): number {
    return this.sharedCounters[NEXT_GENERATION]!;
  }

  /**
   * Warm restart (segments/persist/): after the image wrote the headers of
   * the segments it restored, continue generations from `nextGeneration`
   * and rebuild the free pool from every segment still marked free.
   */
  adoptRestored(nextGeneration: number): void {
    this.sharedCounters[NEXT_GENERATION] = Math.max(this.sharedCounters[NEXT_GENERATION]!, nextGeneration);
    // Restored segments circulate whatever their id; free ones fill up to
    // the target (lowest ids first), the rest are retired.
    const control = this.control;
    let used = 0;
    for (let seg = 0; seg < this.segmentCount; seg++) if (this.bucket[seg] !== FREE_BUCKET) used++;
    let freeWanted = Math.max(0, control[TARGET]! - used);
    const freeIds: number[] = [];
    control[RETIRED_COUNT] = 0;
    for (let seg = 0; seg < this.segmentCount; seg++) {
      this.retired[seg] = 0;
      if (this.bucket[seg] !== FREE_BUCKET) continue;
      if (freeWanted > 0) {
        freeIds.push(seg);
        freeWanted--;
      }
    }
    for (let seg = this.segmentCount - 1; seg >= 0; seg--) {
      if (this.bucket[seg] === FREE_BUCKET && (freeIds.length === 0 || seg > freeIds[freeIds.length - 1]!)) this.retire(seg);
    }
    let top = 0;
    for (let i = freeIds.length - 1; i >= 0; i--) this.freeStack[top++] = freeIds[i]!;
    control[FREE_TOP] = top;
  }

  /** Times the whole heap was released (flush_all): a sliced merge started before a change gives up. */
  get clears(): number {
    return this.control[CLEARS]!;
  }

  isFree(seg: number): boolean {
    return this.bucket[seg] === FREE_BUCKET;
  }

  /** Bytes of segment data in circulation (the -m heap). */
  get dataBytes(): number {
    return this.activeCount * this.segmentSize;
  }

  /** Bytes of segment data reserved (what cache_memlimit may grow to). */
  get reservedBytes(): number {
    return this.segmentCount * this.segmentSize;
  }
}
