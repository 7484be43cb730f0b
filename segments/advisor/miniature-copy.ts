// One miniature copy of the store for the sizing advisor: a real
// SegmentStore (same item layout, TTL buckets, merge eviction, expiry, hash
// index and frequency counting, so it follows any change to the policy),
// sized rate x a candidate memory with segments scaled by the same rate, so
// it has as many segments as a full-size store of that size would. It is fed
// only the sampled keys and holds no values: a record's key is the key's
// 32-bit hash padded to the real key length and its value is zero bytes of
// the real value length, so every record is exactly as long as the real
// one and eviction sees the same sizes. Memory is the copy's segments
// (rate x candidate) plus its hash index and chain tables (memoryBytes()).
//
// Items larger than a scaled segment cannot be held (the real store could
// hold them): they count in `oversize` and their gets miss.
//
// Not here: sampling (key-sampler.ts) or the set of copies (sizing-advisor.ts).

import { SegmentStore, type SharedStoreHandle } from '../segment-store.js';
import { MAX_KEY_BYTES } from '../item-layout.js';
import type { Clock, EvictionPolicy } from '../types.js';

/** Smallest copy segment the heap accepts. */
const MIN_SEGMENT = 64;
/** Values are zero bytes; one shared buffer up to this length, larger ones allocated (they are oversize anyway). */
const ZERO_BYTES = 1 << 20;
let zeros = Buffer.alloc(0);
/** One key buffer per length, reused: the copy's key is the hash in the first 4 bytes, zeros after. */
const keyBuffers: Buffer[] = [];

/** Allocated with the first copy, so a server without the advisor pays nothing. */
function allocateShared(): void {
  if (keyBuffers.length > 0) return;
  zeros = Buffer.alloc(ZERO_BYTES);
  for (let n = 0; n <= MAX_KEY_BYTES; n++) keyBuffers.push(Buffer.alloc(Math.max(4, n)));
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
  /** Ghost keys of the copy's store (StoreTuning.ghostEntries); the store's default when absent. */
  ghostEntries?: number;
}

/** The copy's segment size and memory for a shape (segments scaled by the rate, same count as full size). */
export function copyGeometry(shape: Pick<CopyShape, 'memoryBytes' | 'segmentSize' | 'rate'>): { segmentSize: number; segments: number; memoryBytes: number } {
  const segmentSize = Math.max(MIN_SEGMENT, Math.floor((shape.segmentSize * shape.rate) / 8) * 8);
  const segments = Math.max(1, Math.floor(shape.memoryBytes / shape.segmentSize));
  return { segmentSize, segments, memoryBytes: segments * segmentSize };
}

export class MiniatureCopy {
  readonly store: SegmentStore;
  readonly segmentSize: number;
  /** Sampled gets seen and how many the copy would have hit. */
  gets = 0;
  hits = 0;
  /** Writes of items too large for a scaled segment. */
  oversize = 0;

  constructor(readonly shape: CopyShape) {
    allocateShared();
    const g = copyGeometry(shape);
    this.segmentSize = g.segmentSize;
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
      { maxThreads: 1, expiryIntervalMs: 1000, ghostEntries: shape.ghostEntries },
    );
    // The copy is this thread's alone (its memory is never shared): hold its
    // (reentrant) lock for good, exclusively since a sampled get may be
    // followed by a set, so each call only counts depth instead of two
    // atomic operations.
    this.store.beginWrite();
  }

  /** A sampled get; true when the copy holds the key. */
  get(hash: number, keyLength: number): boolean {
    this.gets++;
    if (this.store.get(keyFor(hash, keyLength)) < 0) return false;
    this.hits++;
    return true;
  }

  /** Does the copy hold the key (no counting, no frequency bump)? */
  has(hash: number, keyLength: number): boolean {
    return this.store.peek(keyFor(hash, keyLength)) >= 0;
  }

  /** A write of `valueLength` bytes with memcached's exptime semantics. */
  set(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    const value = valueLength <= ZERO_BYTES ? zeros.subarray(0, valueLength) : Buffer.alloc(valueLength);
    const status = this.store.store('set', keyFor(hash, keyLength), value, 0, exptime, 0);
    if (status === 'too_large') this.oversize++;
  }

  delete(hash: number, keyLength: number): void {
    this.store.delete(keyFor(hash, keyLength), 0);
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

/** The copy's key: the hash in 4 bytes, zero padded to the real key length (at least 4). */
function keyFor(hash: number, keyLength: number): Buffer {
  const key = keyBuffers[keyLength > MAX_KEY_BYTES ? MAX_KEY_BYTES : keyLength]!;
  key.writeUInt32LE(hash >>> 0, 0);
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
