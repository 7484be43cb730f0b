// memcached's slab classes as a way to group our items, and the per-class
// counters behind `stats items` and `stats slabs`.
//
// The segment store has no slab classes: items of every size share
// segments. But operators' tools (memcached-tool, memcached_exporter,
// dashboards) read memcached's per-class tables, and `me` / metadump /
// cachedump already name the class memcached 1.6 (default -n 48, -f 1.25)
// would give an item. Here every item is counted under that class: how many
// live items and bytes it has (gauges), what happened to its items
// (evicted, reclaimed, ...) and the commands that hit them (get_hits,
// cmd_set, ...).
//
// Memory: one row of Float64 per thread slot (each thread writes only its
// own row with plain writes, as shared-counters.ts) plus a global row for
// the gauges, which change only under the store's exclusive lock; and one
// 64-bit mask per segment of the classes whose records it holds (written by
// the segment's writer: the exclusive lock holder, or the owner of an owned
// segment, who alone writes it). stats sums the rows and walks the masks.
//
// Not here: rendering (lib/observability/stats-report.ts) or any slab
// allocation: nothing is allocated by class.

import { BIT_HAS_FLAGS } from './item-layout.js';

/** Class ids 1..63 (memcached's MAX_NUMBER_OF_SLAB_CLASSES is 64, id 0 unused). */
export const CLASS_COUNT = 64;
/** memcached's item header (struct _stritem) on 64-bit. */
export const MC_ITEM_HEADER = 48;
/** The CAS unique memcached adds to each item when CAS is on. */
export const MC_CAS_BYTES = 8;
/** memcached's smallest chunk: sizeof(item) + its default -n 48. */
const SMALLEST_CHUNK = 96;
/** memcached's default growth factor (-f 1.25); chunks are 8-byte aligned. */
const FACTOR = 1.25;

/** Chunk size of each class (index = class id; 0 unused). */
const CHUNK_SIZES: number[] = [0];
{
  let chunk = SMALLEST_CHUNK;
  for (let cls = 1; cls < CLASS_COUNT; cls++) {
    CHUNK_SIZES.push(chunk);
    chunk = Math.ceil((chunk * FACTOR) / 8) * 8;
  }
}
/** Class by size in 8-byte steps, for sizes up to the table's end (a loop beyond). */
const TABLE_LIMIT = 1 << 20;
const CLASS_BY_STEP = new Uint8Array(TABLE_LIMIT / 8 + 1);
{
  let cls = 1;
  for (let step = 0; step < CLASS_BY_STEP.length; step++) {
    while (cls < CLASS_COUNT - 1 && CHUNK_SIZES[cls]! < step * 8) cls++;
    CLASS_BY_STEP[step] = cls;
  }
}

/** The slab class memcached would use for an item of `size` bytes (`me`'s cls=). */
export function slabClassFor(size: number): number {
  if (size <= TABLE_LIMIT) return CLASS_BY_STEP[(size + 7) >>> 3]!;
  let cls = 1;
  while (CHUNK_SIZES[cls]! < size && cls < CLASS_COUNT - 1) cls++;
  return cls;
}

/** The chunk size of class `cls` (memcached's `chunk_size`). */
export function chunkSizeOf(cls: number): number {
  return CHUNK_SIZES[cls] ?? 0;
}

/**
 * The size memcached would give an item: header, CAS, key + NUL, value +
 * CRLF, and 4 bytes of client flags when nonzero.
 */
export function memcachedItemSize(keyLength: number, valueLength: number, flags: number, casEnabled: boolean): number {
  return MC_ITEM_HEADER + (casEnabled ? MC_CAS_BYTES : 0) + keyLength + 1 + valueLength + 2 + (flags !== 0 ? 4 : 0);
}

// Fields of a class's counters. Gauges (global row): ITEMS, BYTES,
// EVICTED_TIME. The rest count events (per thread row).
export const F_ITEMS = 0;
export const F_BYTES = 1;
export const F_EVICTED_TIME = 2;
export const F_EVICTED = 3;
export const F_EVICTED_NONZERO = 4;
export const F_RECLAIMED = 5;
export const F_EXPIRED_UNFETCHED = 6;
export const F_EVICTED_UNFETCHED = 7;
export const F_CRAWLER_RECLAIMED = 8;
export const F_CRAWLER_ITEMS_CHECKED = 9;
export const F_GET_HITS = 10;
export const F_CMD_SET = 11;
export const F_DELETE_HITS = 12;
export const F_INCR_HITS = 13;
export const F_DECR_HITS = 14;
export const F_CAS_HITS = 15;
export const F_CAS_BADVAL = 16;
export const F_TOUCH_HITS = 17;
export const F_OUTOFMEMORY = 18;
const FIELDS = 19;
const ROW = CLASS_COUNT * FIELDS;
/** Fields kept in the global row. */
const GAUGES = [F_ITEMS, F_BYTES, F_EVICTED_TIME];

/** Shared memory for `maxThreads` rows, the global row and `segments` class masks. */
export interface ClassMemory {
  cells: SharedArrayBuffer;
  masks: SharedArrayBuffer;
}

export function newClassMemory(maxThreads: number, segments: number): ClassMemory {
  return { cells: new SharedArrayBuffer((maxThreads + 1) * ROW * 8), masks: new SharedArrayBuffer(Math.max(1, segments) * 8) };
}

/** One class's figures, summed over threads (stats). */
export interface ClassFigures {
  cls: number;
  items: number;
  bytes: number;
  evictedTime: number;
  evicted: number;
  evictedNonzero: number;
  reclaimed: number;
  expiredUnfetched: number;
  evictedUnfetched: number;
  crawlerReclaimed: number;
  crawlerItemsChecked: number;
  getHits: number;
  cmdSet: number;
  deleteHits: number;
  incrHits: number;
  decrHits: number;
  casHits: number;
  casBadval: number;
  touchHits: number;
  outOfMemory: number;
  /** Segments in use holding records (live or dead) of the class. */
  segments: number;
  /** Creation time (s) of the oldest such segment, or -1. */
  oldestSegmentS: number;
}

/** One thread's view of the per-class counters. */
export class ClassCounters {
  readonly cells: Float64Array;
  readonly masks: Uint32Array;
  private readonly row: number;
  private readonly global: number;
  private readonly casBytes: number;
  /** Set by the expiry sweep while it frees a segment: reclaims then also count as crawler_reclaimed. */
  crawling = false;

  constructor(
    readonly memory: ClassMemory,
    slot: number,
    casEnabled: boolean,
  ) {
    this.cells = new Float64Array(memory.cells);
    this.masks = new Uint32Array(memory.masks);
    const slots = this.cells.length / ROW - 1;
    if (!(slot >= 0 && slot < slots)) throw new RangeError(`thread slot ${slot} outside 0..${slots - 1}`);
    this.row = slot * ROW;
    this.global = slots * ROW;
    this.casBytes = casEnabled ? MC_CAS_BYTES : 0;
  }

  /** Class of a record from its word A (key length, header bits) and value length. */
  classOf(wordA: number, valueLength: number): number {
    const flagBytes = ((wordA >>> 8) & BIT_HAS_FLAGS) !== 0 ? 4 : 0;
    return slabClassFor(MC_ITEM_HEADER + this.casBytes + (wordA & 0xff) + 1 + valueLength + 2 + flagBytes);
  }

  /**
   * Class of a record about to be written: key length, value length and
   * client flags (the same figure classOf() gives from its header). A set
   * works it out once and passes it to writeRecord and link.
   */
  classFor(keyLength: number, valueLength: number, flags: number): number {
    return slabClassFor(MC_ITEM_HEADER + this.casBytes + keyLength + 1 + valueLength + 2 + (flags !== 0 ? 4 : 0));
  }

  /** Count one event of `field` for class `cls` in this thread's row. */
  count(cls: number, field: number): void {
    this.cells[this.row + cls * FIELDS + field]!++;
  }

  /** A record of `size` bytes became a live item (exclusive lock). */
  added(cls: number, size: number): void {
    const at = this.global + cls * FIELDS;
    this.cells[at + F_ITEMS]!++;
    this.cells[at + F_BYTES]! += size;
  }

  /** A live item of `size` bytes is gone (exclusive lock). */
  removed(cls: number, size: number): void {
    const at = this.global + cls * FIELDS;
    this.cells[at + F_ITEMS]!--;
    this.cells[at + F_BYTES]! -= size;
  }

  /** An eviction of a class `cls` item last read `idleS` seconds ago. */
  evicted(cls: number, idleS: number, hasDeadline: boolean, fetched: boolean): void {
    const at = this.row + cls * FIELDS;
    this.cells[at + F_EVICTED]!++;
    if (hasDeadline) this.cells[at + F_EVICTED_NONZERO]!++;
    if (!fetched) this.cells[at + F_EVICTED_UNFETCHED]!++;
    this.cells[this.global + cls * FIELDS + F_EVICTED_TIME] = idleS;
  }

  /** An expired item of class `cls` reclaimed (its memory given back or made reusable). */
  reclaimed(cls: number, fetched: boolean): void {
    const at = this.row + cls * FIELDS;
    this.cells[at + F_RECLAIMED]!++;
    if (!fetched) this.cells[at + F_EXPIRED_UNFETCHED]!++;
    if (this.crawling) this.cells[at + F_CRAWLER_RECLAIMED]!++;
  }

  /** Segment `seg` holds a record of class `cls`. */
  mark(seg: number, cls: number): void {
    this.masks[seg * 2 + (cls >>> 5)]! |= 1 << (cls & 31);
  }

  /** Segment `seg` starts empty (taken from the free pool). */
  clearMarks(seg: number): void {
    this.masks[seg * 2] = 0;
    this.masks[seg * 2 + 1] = 0;
  }

  /** Every class's gauges to zero and masks cleared (flush_all); event counts stay. */
  clearGauges(): void {
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      const at = this.global + cls * FIELDS;
      this.cells[at + F_ITEMS] = 0;
      this.cells[at + F_BYTES] = 0;
    }
    this.masks.fill(0);
  }

  /** stats reset: every thread's event counts to zero; the gauges stay. */
  resetEvents(): void {
    this.cells.fill(0, 0, this.global);
    for (let cls = 0; cls < CLASS_COUNT; cls++) this.cells[this.global + cls * FIELDS + F_EVICTED_TIME] = 0;
  }

  private anyEvent(cls: number, rows: number): boolean {
    for (let r = 0; r < rows; r++) {
      const at = r * ROW + cls * FIELDS;
      for (let f = 0; f < FIELDS; f++) if (this.cells[at + f] !== 0) return true;
    }
    return false;
  }

  /**
   * Figures of every class that holds or has held items, in class order. `inUse(seg)` says whether a segment is taken;
   * `createdS(seg)` its creation time.
   */
  figures(segmentCount: number, inUse: (seg: number) => boolean, createdS: (seg: number) => number): ClassFigures[] {
    const segments = new Array<number>(CLASS_COUNT).fill(0);
    const oldest = new Array<number>(CLASS_COUNT).fill(-1);
    const masks = this.masks;
    const limit = Math.min(segmentCount, masks.length / 2);
    for (let seg = 0; seg < limit; seg++) {
      const lo = masks[seg * 2]!;
      const hi = masks[seg * 2 + 1]!;
      if ((lo | hi) === 0 || !inUse(seg)) continue;
      const created = createdS(seg);
      for (let cls = 1; cls < CLASS_COUNT; cls++) {
        const word = cls < 32 ? lo : hi;
        if ((word & (1 << (cls & 31))) === 0) continue;
        segments[cls]!++;
        if (oldest[cls]! < 0 || created < oldest[cls]!) oldest[cls] = created;
      }
    }
    const rows = this.global / ROW;
    const out: ClassFigures[] = [];
    for (let cls = 1; cls < CLASS_COUNT; cls++) {
      const sum = (field: number): number => {
        if (GAUGES.includes(field)) return this.cells[this.global + cls * FIELDS + field]!;
        let total = 0;
        for (let r = 0; r < rows; r++) total += this.cells[r * ROW + cls * FIELDS + field]!;
        return total;
      };
      const items = sum(F_ITEMS);
      // A class is listed once it has held an item (memcached keeps a
      // class's pages, and so its lines, once it has any).
      if (items === 0 && segments[cls] === 0 && !this.anyEvent(cls, rows)) continue;
      out.push({
        cls,
        items,
        bytes: sum(F_BYTES),
        evictedTime: sum(F_EVICTED_TIME),
        evicted: sum(F_EVICTED),
        evictedNonzero: sum(F_EVICTED_NONZERO),
        reclaimed: sum(F_RECLAIMED),
        expiredUnfetched: sum(F_EXPIRED_UNFETCHED),
        evictedUnfetched: sum(F_EVICTED_UNFETCHED),
        crawlerReclaimed: sum(F_CRAWLER_RECLAIMED),
        crawlerItemsChecked: sum(F_CRAWLER_ITEMS_CHECKED),
        getHits: sum(F_GET_HITS),
        cmdSet: sum(F_CMD_SET),
        deleteHits: sum(F_DELETE_HITS),
        incrHits: sum(F_INCR_HITS),
        decrHits: sum(F_DECR_HITS),
        casHits: sum(F_CAS_HITS),
        casBadval: sum(F_CAS_BADVAL),
        touchHits: sum(F_TOUCH_HITS),
        outOfMemory: sum(F_OUTOFMEMORY),
        segments: segments[cls]!,
        oldestSegmentS: oldest[cls]!,
      });
    }
    return out;
  }
}
