// The live page's view of the store (issue 15): one compact row per segment,
// read from the segment headers, plus totals per TTL bucket, encoded as a
// small binary "segment map" the page draws.
//
// Headers only: no item record, key or value is ever read here. The build
// goes through the heap in slices (SLICE_SEGMENTS rows, then the event loop
// gets a turn), so a 65,536-segment heap never holds clients up for long;
// rows of different slices may therefore be a few milliseconds apart, which
// a picture refreshed every second does not show. Nothing here runs unless
// someone asks for a map.
//
// Map layout (little-endian, version 1), n = segment count:
//   0  u32 MAP_MAGIC ('GSM1')     4  u32 n
//   8  u32 segment size (bytes)  12  u32 server unix second of the build
//   16           u16[n] TTL bucket (0..1024, MAP_FREE for a free segment)
//   16 + 2n      u8[n]  live bytes / segment size, 0..255 (1+ if any live)
//   16 + 3n      u8[n]  written bytes / segment size, 0..255
//   16 + 4n      u8[n]  flags: bits 0-2 last EVENT_* kind, FLAG_READ, FLAG_TAIL
//   16 + 5n      u8[n]  seconds since that event, 0..254; AGE_NONE if none
// Total 16 + 6n bytes (393 KiB at 65,536 segments).

import type { CacheStore } from './types.js';
import { SegmentStore } from './segment-store.js';
import { FREE_BUCKET, LATEST_NEVER, NO_SEGMENT } from './segment-heap.js';
import { BUCKET_COUNT, NEVER_BUCKET, TTL_BUCKETS } from './ttl-buckets.js';

export const MAP_MAGIC = 0x314d5347;
export const MAP_HEADER_BYTES = 16;
/** Bucket column value of a free segment. */
export const MAP_FREE = 0xffff;
/** Flags column: some item in the segment has been read. */
export const FLAG_READ = 1 << 3;
/** Flags column: the tail of its TTL chain, the segment writes go to (filling). */
export const FLAG_TAIL = 1 << 4;
/** Flags column: the EVENT_* kind bits. */
export const FLAG_EVENT_MASK = 7;
/** Event-age column: no event recorded (or longer ago than 254 s). */
export const AGE_NONE = 255;
/** Rows per slice: measured well under a millisecond (see README, "Live page"). */
export const SLICE_SEGMENTS = 4096;

/**
 * The segment header arrays, by the names segment-heap.ts gives them. The
 * one place that knows where they live: if they move (shared memory,
 * per-thread stores), only segmentHeaders() changes.
 */
export interface SegmentHeaders {
  readonly segmentCount: number;
  readonly segmentSize: number;
  readonly writeOffset: ArrayLike<number>;
  readonly liveBytes: ArrayLike<number>;
  readonly liveItems: ArrayLike<number>;
  readonly next: ArrayLike<number>;
  readonly bucket: ArrayLike<number>;
  readonly createTime: ArrayLike<number>;
  readonly latestDeadline: ArrayLike<number>;
  readonly generation: ArrayLike<number>;
  readonly read: ArrayLike<number>;
  readonly eventAt: ArrayLike<number>;
  readonly eventKind: ArrayLike<number>;
}

/** The headers of `store`'s heap; null for a store that is not a segment store. */
export function segmentHeaders(store: CacheStore): SegmentHeaders | null {
  if (!(store instanceof SegmentStore)) return null;
  const heap = store.itemSpace.heap;
  const { segmentSize, writeOffset, liveBytes, liveItems, next, bucket, createTime, latestDeadline, generation, read, eventAt, eventKind } = heap;
  return {
    // The segments up to the last one in circulation (cache_memlimit leaves the reserve beyond out).
    get segmentCount() {
      return heap.span;
    },
    segmentSize,
    writeOffset,
    liveBytes,
    liveItems,
    next,
    bucket,
    createTime,
    latestDeadline,
    generation,
    read,
    eventAt,
    eventKind,
  };
}

/** Totals of one TTL bucket in use. */
export interface BucketRow {
  bucket: number;
  /** Shortest and longest TTL (seconds) landing in this bucket; max null = unbounded or never. */
  ttlMin: number;
  ttlMax: number | null;
  never: boolean;
  segments: number;
  items: number;
  bytes: number;
  /** Earliest unix second at which one of its segments expires whole; null if none will. */
  nextExpiry: number | null;
}

/** How the build went: the figures the 1 ms promise is checked against. */
export interface BuildTiming {
  slices: number;
  maxSliceMs: number;
  totalMs: number;
}

export interface SegmentMap {
  /** The encoded map (layout above). */
  bytes: Uint8Array;
  buckets: BucketRow[];
  /** Bytes of live items, and bytes written (live + dead), over all segments. */
  liveBytes: number;
  writtenBytes: number;
  usedSegments: number;
  timing: BuildTiming;
}

/** TTL range of bucket `b`, the inverse of ttl-buckets.ts's bucketForTtl. */
export function bucketTtlRange(b: number): { min: number; max: number | null } {
  if (b >= TTL_BUCKETS) return { min: 0, max: null };
  if (b < 256) return { min: b * 8, max: b * 8 + 7 };
  if (b < 512) return { min: (b - 256) * 128, max: (b - 256) * 128 + 127 };
  if (b < 768) return { min: (b - 512) * 2048, max: (b - 512) * 2048 + 2047 };
  if (b < TTL_BUCKETS - 1) return { min: (b - 768) * 32768, max: (b - 768) * 32768 + 32767 };
  return { min: (b - 768) * 32768, max: null };
}

/** One map being built: call step() until it returns true, then finish(). */
export class SegmentMapBuilder {
  readonly bytes: Uint8Array;
  private readonly bucketCol: Uint16Array;
  private readonly liveCol: Uint8Array;
  private readonly fillCol: Uint8Array;
  private readonly flagCol: Uint8Array;
  private readonly ageCol: Uint8Array;
  private readonly segs = new Float64Array(BUCKET_COUNT);
  private readonly items = new Float64Array(BUCKET_COUNT);
  private readonly bucketBytes = new Float64Array(BUCKET_COUNT);
  private readonly nextExpiry = new Float64Array(BUCKET_COUNT).fill(Infinity);
  private done = 0;
  private liveTotal = 0;
  private writtenTotal = 0;
  private used = 0;

  constructor(
    private readonly h: SegmentHeaders,
    private readonly nowS: number,
  ) {
    const n = h.segmentCount;
    this.bytes = new Uint8Array(MAP_HEADER_BYTES + 6 * n);
    const view = new DataView(this.bytes.buffer);
    view.setUint32(0, MAP_MAGIC, true);
    view.setUint32(4, n, true);
    view.setUint32(8, h.segmentSize, true);
    view.setUint32(12, nowS >>> 0, true);
    const buf = this.bytes.buffer;
    // Uint16Array needs platform byte order; every platform Node runs on is little-endian.
    this.bucketCol = new Uint16Array(buf, MAP_HEADER_BYTES, n);
    this.liveCol = new Uint8Array(buf, MAP_HEADER_BYTES + 2 * n, n);
    this.fillCol = new Uint8Array(buf, MAP_HEADER_BYTES + 3 * n, n);
    this.flagCol = new Uint8Array(buf, MAP_HEADER_BYTES + 4 * n, n);
    this.ageCol = new Uint8Array(buf, MAP_HEADER_BYTES + 5 * n, n);
  }

  /** Read up to `limit` more segments; true once every segment has been read. */
  step(limit: number): boolean {
    // Locals, not `this.` loads, in the loop: a third faster measured.
    const h = this.h;
    const { writeOffset, liveBytes, liveItems, next, bucket: bucketOf, latestDeadline, read, eventAt, eventKind } = h;
    const { bucketCol, liveCol, fillCol, flagCol, ageCol, segs, items, bucketBytes, nextExpiry } = this;
    const size = h.segmentSize;
    const nowS = this.nowS;
    const end = Math.min(h.segmentCount, this.done + limit);
    let used = 0;
    let liveTotal = 0;
    let writtenTotal = 0;
    for (let seg = this.done; seg < end; seg++) {
      const kind = eventKind[seg]! & FLAG_EVENT_MASK;
      const at = eventAt[seg]!;
      ageCol[seg] = kind === 0 ? AGE_NONE : at >= nowS ? 0 : Math.min(AGE_NONE, nowS - at);
      const bucket = bucketOf[seg]!;
      if (bucket === FREE_BUCKET) {
        bucketCol[seg] = MAP_FREE;
        liveCol[seg] = 0;
        fillCol[seg] = 0;
        flagCol[seg] = kind;
        continue;
      }
      const live = liveBytes[seg]!;
      const written = writeOffset[seg]!;
      bucketCol[seg] = bucket;
      liveCol[seg] = live > 0 ? Math.max(1, ((live * 255) / size) | 0) : 0;
      fillCol[seg] = written > 0 ? Math.max(1, ((written * 255) / size) | 0) : 0;
      flagCol[seg] = kind | (read[seg] ? FLAG_READ : 0) | (next[seg] === NO_SEGMENT ? FLAG_TAIL : 0);
      used++;
      liveTotal += live;
      writtenTotal += written;
      segs[bucket]!++;
      items[bucket]! += liveItems[seg]!;
      bucketBytes[bucket]! += live;
      const latest = latestDeadline[seg]!;
      if (latest !== 0 && latest !== LATEST_NEVER && latest < nextExpiry[bucket]!) nextExpiry[bucket] = latest;
    }
    this.used += used;
    this.liveTotal += liveTotal;
    this.writtenTotal += writtenTotal;
    this.done = end;
    return end >= h.segmentCount;
  }

  finish(timing: BuildTiming): SegmentMap {
    const buckets: BucketRow[] = [];
    for (let b = 0; b < BUCKET_COUNT; b++) {
      if (this.segs[b] === 0) continue;
      const range = bucketTtlRange(b);
      const next = this.nextExpiry[b]!;
      buckets.push({
        bucket: b,
        ttlMin: range.min,
        ttlMax: range.max,
        never: b === NEVER_BUCKET,
        segments: this.segs[b]!,
        items: this.items[b]!,
        bytes: this.bucketBytes[b]!,
        nextExpiry: Number.isFinite(next) ? next : null,
      });
    }
    return {
      bytes: this.bytes,
      buckets,
      liveBytes: this.liveTotal,
      writtenBytes: this.writtenTotal,
      usedSegments: this.used,
      timing,
    };
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Build the map of `headers` at second `nowS`, SLICE_SEGMENTS rows per
 * event-loop turn (`slice` overrides it), timing each slice.
 */
export async function buildSegmentMap(headers: SegmentHeaders, nowS: number, slice = SLICE_SEGMENTS): Promise<SegmentMap> {
  const builder = new SegmentMapBuilder(headers, nowS);
  const started = performance.now();
  let slices = 0;
  let maxSliceMs = 0;
  for (;;) {
    const t0 = performance.now();
    const done = builder.step(slice);
    const ms = performance.now() - t0;
    slices++;
    if (ms > maxSliceMs) maxSliceMs = ms;
    if (done) break;
    await nextTurn();
  }
  return builder.finish({ slices, maxSliceMs, totalMs: performance.now() - started });
}

/** A decoded map (tests, and the layout the page's script reads). */
export interface DecodedMap {
  segmentCount: number;
  segmentSize: number;
  nowS: number;
  bucket: Uint16Array;
  live: Uint8Array;
  fill: Uint8Array;
  flags: Uint8Array;
  eventAge: Uint8Array;
}

export function decodeSegmentMap(bytes: Uint8Array): DecodedMap {
  if (bytes.byteLength < MAP_HEADER_BYTES) throw new RangeError('segment map shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAP_MAGIC) throw new RangeError('not a segment map (bad magic)');
  const n = view.getUint32(4, true);
  if (bytes.byteLength !== MAP_HEADER_BYTES + 6 * n) throw new RangeError(`segment map of ${n} segments must be ${MAP_HEADER_BYTES + 6 * n} bytes`);
  // Copy so the columns are aligned whatever the source buffer's offset.
  const own = bytes.slice().buffer;
  return {
    segmentCount: n,
    segmentSize: view.getUint32(8, true),
    nowS: view.getUint32(12, true),
    bucket: new Uint16Array(own, MAP_HEADER_BYTES, n),
    live: new Uint8Array(own, MAP_HEADER_BYTES + 2 * n, n),
    fill: new Uint8Array(own, MAP_HEADER_BYTES + 3 * n, n),
    flags: new Uint8Array(own, MAP_HEADER_BYTES + 4 * n, n),
    eventAge: new Uint8Array(own, MAP_HEADER_BYTES + 5 * n, n),
  };
}

/** One segment's header as the page's hover shows it (aggregates only); null if out of range. */
export function segmentDetail(h: SegmentHeaders, seg: number): Record<string, number | boolean | null> | null {
  if (!Number.isInteger(seg) || seg < 0 || seg >= h.segmentCount) return null;
  const free = h.bucket[seg] === FREE_BUCKET;
  const latest = h.latestDeadline[seg]!;
  return {
    segment: seg,
    free,
    bucket: free ? null : h.bucket[seg]!,
    createTime: free ? null : h.createTime[seg]!,
    latestDeadline: free || latest === 0 ? null : latest === LATEST_NEVER ? -1 : latest,
    liveItems: h.liveItems[seg]!,
    liveBytes: h.liveBytes[seg]!,
    writtenBytes: h.writeOffset[seg]!,
    read: h.read[seg] !== 0,
    tail: !free && h.next[seg] === NO_SEGMENT,
    generation: h.generation[seg]!,
    eventKind: h.eventKind[seg]!,
    eventAt: h.eventAt[seg] || null,
  };
}
