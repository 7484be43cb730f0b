// The segment heap: every byte the store may hold, allocated up front for the
// memory limit as fixed-size segments, plus one header per segment kept in
// typed arrays (never JS objects), and the pool of free segments.
//
// Data lives in a few large ArrayBuffers (at most ~1 GiB each, well under
// Node's 4 GiB Buffer cap); each segment gets a Buffer and a Uint32Array view
// so records are read with aligned word loads. ArrayBuffers are zero-filled
// lazily by the OS, so untouched segments cost no resident memory. Everything
// here is plain typed arrays so it can move to SharedArrayBuffer later.
//
// Addresses: an item's address (ItemRef) is segment * segmentSize + offset,
// a plain number below 2^35; hash slots keep address / 8 + 1 in a Uint32.

/** Segment header value for "no segment". */
export const NO_SEGMENT = -1;
/** `bucket` header value of a free segment. */
export const FREE_BUCKET = -1;
/** `latestDeadline` of a segment holding an item that never expires. */
export const LATEST_NEVER = 0xffffffff;
/** Largest heap addressable by 32-bit slot locations (units of 8 bytes). */
export const MAX_HEAP_BYTES = 0xffffffff * 8 - 8;
/** Offsets within a segment are handled as 31-bit integers. */
export const MAX_SEGMENT_BYTES = 0x7ffffff8;
/** Data per ArrayBuffer: a few large buffers instead of one per segment. */
const CHUNK_BYTES = 1 << 30;

export class SegmentHeap {
  readonly segmentSize: number;
  readonly segmentCount: number;
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

  /** Free segment ids (a stack: the most recently freed is reused first, still warm). */
  private readonly freeStack: Int32Array;
  private freeTop = 0;
  private nextGeneration = 1;

  constructor(memoryLimitBytes: number, segmentSize: number) {
    if (segmentSize % 8 !== 0 || segmentSize < 64 || segmentSize > MAX_SEGMENT_BYTES) {
      throw new RangeError(`segment size ${segmentSize} must be a multiple of 8 from 64 to ${MAX_SEGMENT_BYTES}`);
    }
    const count = Math.floor(Math.min(memoryLimitBytes, MAX_HEAP_BYTES) / segmentSize);
    if (count < 1) throw new RangeError(`memory limit ${memoryLimitBytes} is smaller than one segment (${segmentSize})`);
    this.segmentSize = segmentSize;
    this.segmentCount = count;
    const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / segmentSize));
    for (let first = 0; first < count; first += perChunk) {
      const n = Math.min(perChunk, count - first);
      const buffer = new ArrayBuffer(n * segmentSize);
      for (let i = 0; i < n; i++) {
        this.bytes.push(Buffer.from(buffer, i * segmentSize, segmentSize));
        this.words.push(new Uint32Array(buffer, i * segmentSize, segmentSize / 4));
        this.views.push(new DataView(buffer, i * segmentSize, segmentSize));
      }
    }
    this.writeOffset = new Int32Array(count);
    this.liveBytes = new Int32Array(count);
    this.liveItems = new Int32Array(count);
    this.prev = new Int32Array(count).fill(NO_SEGMENT);
    this.next = new Int32Array(count).fill(NO_SEGMENT);
    this.bucket = new Int16Array(count).fill(FREE_BUCKET);
    this.createTime = new Float64Array(count);
    this.latestDeadline = new Float64Array(count);
    this.generation = new Float64Array(count);
    this.read = new Uint8Array(count);
    this.freeStack = new Int32Array(count);
    this.releaseAll();
  }

  /** Mean size of the segment's live records (1 when it has none): merge ranking's yardstick. */
  meanLiveBytes(seg: number): number {
    const items = this.liveItems[seg]!;
    return items > 0 ? this.liveBytes[seg]! / items : 1;
  }

  get freeCount(): number {
    return this.freeTop;
  }

  /** Take a free segment and reset its header for writing; NO_SEGMENT if none. */
  take(nowS: number): number {
    if (this.freeTop === 0) return NO_SEGMENT;
    const seg = this.freeStack[--this.freeTop]!;
    this.writeOffset[seg] = 0;
    this.liveBytes[seg] = 0;
    this.liveItems[seg] = 0;
    this.createTime[seg] = nowS;
    this.latestDeadline[seg] = 0;
    this.read[seg] = 0;
    this.renew(seg);
    return seg;
  }

  /** Give the segment a fresh generation: every location token in it changes. */
  renew(seg: number): void {
    this.generation[seg] = this.nextGeneration++;
  }

  /** Return an unlinked segment to the pool. */
  release(seg: number): void {
    this.bucket[seg] = FREE_BUCKET;
    this.prev[seg] = NO_SEGMENT;
    this.next[seg] = NO_SEGMENT;
    this.writeOffset[seg] = 0;
    this.liveBytes[seg] = 0;
    this.liveItems[seg] = 0;
    this.freeStack[this.freeTop++] = seg;
  }

  /** Every segment free (flush_all); data bytes are left as they are. */
  releaseAll(): void {
    this.freeTop = 0;
    for (let seg = this.segmentCount - 1; seg >= 0; seg--) this.release(seg);
  }

  /** The generation the next opened segment gets (warm restart saves it: tokens must never repeat). */
  get generationCounter(): number {
    return this.nextGeneration;
  }

  /**
   * Warm restart (segments/persist/): after the image wrote the headers of
   * the segments it restored, continue generations from `nextGeneration`
   * and rebuild the free pool from every segment still marked free.
   */
  adoptRestored(nextGeneration: number): void {
    this.nextGeneration = Math.max(this.nextGeneration, nextGeneration);
    this.freeTop = 0;
    for (let seg = this.segmentCount - 1; seg >= 0; seg--) if (this.bucket[seg] === FREE_BUCKET) this.freeStack[this.freeTop++] = seg;
  }

  isFree(seg: number): boolean {
    return this.bucket[seg] === FREE_BUCKET;
  }

  /** Bytes of segment data (the -m heap). */
  get dataBytes(): number {
    return this.segmentCount * this.segmentSize;
  }
}
