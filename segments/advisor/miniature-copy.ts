// One miniature copy of the store for the sizing advisor: a real
// SegmentStore (same item layout, TTL buckets, merge eviction, expiry, hash
// index and frequency counting, so it follows any change to the policy),
// sized rate x a candidate memory with segments scaled by the same rate, so
// it has as many segments as a full-size store of that size would. It is fed
// only the sampled keys and holds no values.
//
// Records are shrunk by a fixed factor, the record scale k (default 4 below
// rate 1 unless the scaled segment would be under 64 bytes, 1 at rate 1): a record's key is the key's 32-bit hash (4 bytes)
// and its value is zero bytes chosen so the whole record takes 1/k of the
// real record's bytes, and the copy's segments are 1/k of rate x the real
// segment size. A segment then holds the same items it would with real-size
// records, in 1/k of the memory. The 8-byte record alignment makes a record
// a multiple of 8 bytes: the size is rounded down or up, up with the
// probability of the remainder (a fixed function of the key's hash, so a
// key always gets the same size), so a segment's fill is right on average.
// The floor: a copy record is at least 16 bytes (header and key), so real
// records smaller than 16k bytes weigh a little more than they should.
// At k = 1 every record is exactly as long as the real one (the exactness
// test in test/advisor/sizing-advisor.test.ts). Memory is the copy's
// segments (rate x candidate / k) plus its hash index and chain tables
// (memoryBytes()).
//
// Items larger than a scaled segment cannot be held (the real store could
// hold them): they count in `oversize` and their gets miss.
//
// Not here: sampling (key-sampler.ts) or the set of copies (sizing-advisor.ts).

import { SegmentStore, type SharedStoreHandle } from '../segment-store.js';
import { HEADER_BYTES } from '../item-layout.js';
import { ghostEntries } from '../ghost-keys.js';
import type { Clock, EvictionPolicy } from '../types.js';

/** Smallest copy segment the heap accepts. */
const MIN_SEGMENT = 64;
/** Values are zero bytes; one shared buffer up to this length, larger ones allocated (they are oversize anyway). */
const ZERO_BYTES = 1 << 20;
let zeros = Buffer.alloc(0);
/** The copy's key, reused: the key's hash in 4 bytes. */
const KEY_BYTES = 4;
const keyBuffer = Buffer.alloc(KEY_BYTES);
/** Bytes of the optional deadline field (item-layout.ts) when the item expires. */
const DEADLINE_BYTES = 4;
/**
 * The record scale of a sampled copy (rate below 1): copy records take 1/4
 * of the real bytes. Measured (benchmarks/RESULTS.md, advisor section): at 8
 * the offline error rose past a point of hit ratio (the 8-byte rounding is
 * a coarser share of a record), at 4 it stayed where exact records were.
 */
export const DEFAULT_RECORD_SCALE = 4;

/** Allocated with the first copy, so a server without the advisor pays nothing. */
function allocateShared(): void {
  if (zeros.length === 0) zeros = Buffer.alloc(ZERO_BYTES);
}

export interface CopyShape {
  /** The full-size memory this copy stands for, in bytes. */
  memoryBytes: number;
  /** The full-size store's segment size. */
  segmentSize: number;
  /** Sampling rate. */
  rate: number;
  evictionPolicy: EvictionPolicy;
  mergeSegments: number;
  clock: Clock;
  /** Records (and segments) take 1/recordScale of the real bytes; default recordScaleFor(rate, segmentSize). */
  recordScale?: number;
  /** Ghost keys of the copy's store (StoreTuning.ghostEntries); absent: the real store's default for memoryBytes x rate. */
  ghostEntries?: number;
}

/**
 * The default record scale: 1 at full rate (a copy is then the real store,
 * exactly), else DEFAULT_RECORD_SCALE, less when the scaled segment would
 * fall below the smallest segment the heap takes.
 */
export function recordScaleFor(rate: number, segmentSize: number): number {
  if (rate >= 1) return 1;
  return Math.max(1, Math.min(DEFAULT_RECORD_SCALE, Math.floor((segmentSize * rate) / MIN_SEGMENT)));
}

/** The copy's segment size and memory for a shape (segments scaled by rate / record scale, same count as full size). */
export function copyGeometry(shape: Pick<CopyShape, 'memoryBytes' | 'segmentSize' | 'rate' | 'recordScale'>): { segmentSize: number; segments: number; memoryBytes: number; recordScale: number } {
  const recordScale = shape.recordScale ?? recordScaleFor(shape.rate, shape.segmentSize);
  if (!(recordScale >= 1)) throw new RangeError(`record scale ${recordScale} is below 1`);
  const segmentSize = Math.max(MIN_SEGMENT, Math.floor((shape.segmentSize * shape.rate) / recordScale / 8) * 8);
  const segments = Math.max(1, Math.floor(shape.memoryBytes / shape.segmentSize));
  return { segmentSize, segments, memoryBytes: segments * segmentSize, recordScale };
}

/**
 * Value bytes of the copy's record for a real item: the copy record (header,
 * deadline when it expires, 4-byte key, value) takes realRecord / scale
 * bytes, rounded to a multiple of 8 down or up with the probability of the
 * remainder, decided by the hash's top byte (uniform over the sample: the
 * sampler keys on a remix of the whole hash). At scale 1
 * the copy record is exactly the real one's length (a key shorter than 4
 * bytes counts as 4).
 */
export function copyValueLength(hash: number, keyLength: number, valueLength: number, expires: boolean, scale: number): number {
  const fixed = HEADER_BYTES + (expires ? DEADLINE_BYTES : 0);
  const payload = (keyLength > KEY_BYTES ? keyLength : KEY_BYTES) + valueLength;
  if (scale === 1) return payload - KEY_BYTES;
  const n = fixed + payload;
  const real = n + ((8 - (n & 7)) & 7);
  const target = real / scale;
  let bytes = Math.floor(target / 8) * 8;
  // Round up with probability (target - bytes) / 8, by the hash's top byte.
  if (((hash >>> 24) + 0.5) / 256 < (target - bytes) / 8) bytes += 8;
  const value = bytes - fixed - KEY_BYTES;
  return value > 0 ? value : 0;
}

export class MiniatureCopy {
  readonly store: SegmentStore;
  readonly segmentSize: number;
  readonly recordScale: number;
  /** Sampled gets seen and how many the copy would have hit. */
  gets = 0;
  hits = 0;
  /** Writes of items too large for a scaled segment. */
  oversize = 0;

  constructor(readonly shape: CopyShape) {
    allocateShared();
    const g = copyGeometry(shape);
    this.segmentSize = g.segmentSize;
    this.recordScale = g.recordScale;
    this.store = new SegmentStore(
      {
        memoryLimitBytes: g.memoryBytes,
        itemSizeMax: g.segmentSize,
        segmentSize: g.segmentSize,
        evictionPolicy: shape.evictionPolicy,
        mergeSegments: shape.mergeSegments,
        clock: shape.clock,
        hashSeed: 0x5eed,
        // A copy never grows: no segments reserved for cache_memlimit.
        fixedSize: true,
      },
      // Ghost keys sized for the real store's memory times the rate (the copy
      // sees R of its keys), not for the copy's own scaled-down bytes, which
      // would give it k times too short a memory of evicted keys.
      { maxThreads: 1, expiryIntervalMs: 1000, ghostEntries: shape.ghostEntries ?? ghostEntries(shape.memoryBytes * shape.rate) },
    );
    // The copy is this thread's alone (its memory is never shared): hold its
    // (reentrant) lock for good, exclusively since a sampled get may be
    // followed by a set, so each call only counts depth instead of two
    // atomic operations.
    this.store.beginWrite();
  }

  /** A sampled get; true when the copy holds the key. */
  get(hash: number): boolean {
    this.gets++;
    if (this.store.get(keyFor(hash)) < 0) return false;
    this.hits++;
    return true;
  }

  /** Does the copy hold the key (no counting, no frequency bump)? */
  has(hash: number): boolean {
    return this.store.peek(keyFor(hash)) >= 0;
  }

  /** A write of `valueLength` bytes with memcached's exptime semantics. */
  set(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    const n = copyValueLength(hash, keyLength, valueLength, exptime !== 0, this.recordScale);
    const value = n <= ZERO_BYTES ? zeros.subarray(0, n) : Buffer.alloc(n);
    const status = this.store.store('set', keyFor(hash), value, 0, exptime, 0);
    if (status === 'too_large') this.oversize++;
  }

  delete(hash: number): void {
    this.store.delete(keyFor(hash), 0);
  }

  /** A touch: a held item takes the new exptime (the store's own touch). */
  touch(hash: number, exptime: number): void {
    this.store.touch(keyFor(hash), exptime);
  }

  /** incr/decr: a held item is rewritten when its copy record would grow (the real store rewrites in place otherwise). */
  arith(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    const ref = this.store.peek(keyFor(hash));
    if (ref < 0) return;
    if (copyValueLength(hash, keyLength, valueLength, exptime !== 0, this.recordScale) <= this.store.itemValueLength(ref)) return;
    this.set(hash, keyLength, valueLength, exptime);
  }

  /** The once-a-second expiry tick. */
  expireNow(): void {
    this.store.expireNow();
  }

  /** Items the copy holds now. */
  items(): number {
    return this.store.counters.items;
  }

  /** Bytes this copy holds: every SharedArrayBuffer of its store. */
  memoryBytes(): number {
    return sharedBytes(this.store.handle);
  }

  /** Forget everything and zero the counts (flush_all, stats reset). */
  reset(): void {
    this.store.flushAll(0);
    this.gets = 0;
    this.hits = 0;
    this.oversize = 0;
  }
}

/** The copy's key: the hash in 4 bytes. */
function keyFor(hash: number): Buffer {
  const key = keyBuffer;
  key[0] = hash;
  key[1] = hash >>> 8;
  key[2] = hash >>> 16;
  key[3] = hash >>> 24;
  return key;
}

/** Sum of the byte lengths of every SharedArrayBuffer reachable from a store handle. */
function sharedBytes(handle: SharedStoreHandle): number {
  let total = 0;
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof SharedArrayBuffer) {
      total += v.byteLength;
      return;
    }
    if (ArrayBuffer.isView(v)) {
      walk(v.buffer);
      return;
    }
    for (const x of Object.values(v)) walk(x);
  };
  walk(handle);
  return total;
}
