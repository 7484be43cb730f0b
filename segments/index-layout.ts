// The hash index's shared-memory layout: how a slot, a bucket and the
// control words are laid out, and the allocation of a fresh index's
// buffers. Pure layout and constants; no lookup, placement or growth logic
// (slot-table.ts, hash-index.ts, index-migration.ts).
//
// Buckets of 8 slots (64 bytes, one cache line); a slot is two Uint32 words:
//
//   meta word: bits 31-16 tag (16 bits of the key hash), bit 15 "counted this
//              second", bits 14-8 frequency counter (0..127), bits 7-0 the
//              location's high part `hi`
//   loc word:  the location's low part `lo`, never 0 in a used slot (0 = empty)
//
// A location is item address / 8 + 1 (1 .. MAX_LOC, 40 bits: heaps up to
// 8 TiB). It is split as loc = hi * 0xffffffff + lo with lo in 1..2^32-1, so
// the loc word alone still says whether a slot is used, and below 2^32
// (heaps under 32 GiB) hi is 0 and lo is the location itself. A lookup only
// decodes (one multiply-add) after the tag matched.
//
// The index's shared state is one small control array plus two growable
// areas (each: slot words, chain links, per-bucket seconds) used alternately
// by successive table sizes.

import { growableShared } from './shared-memory.js';

export const SLOTS_PER_BUCKET = 8;
export const WORDS_PER_BUCKET = 16;
export const NO_BUCKET = -1;

// Meta-word fields.
export const TAG_SHIFT = 16;
export const COUNTED = 0x8000;
export const FREQ_SHIFT = 8;
export const FREQ_MASK = 0x7f;
/** Meta-word bits holding a location's high part. */
export const LOC_HI_MASK = 0xff;
/** The modulus of a location's low part (lo is 1..LOC_LO_SPAN). */
const LOC_LO_SPAN = 0xffffffff;
/** Largest location a slot holds: hi 255, lo 2^32-1. */
export const MAX_LOC = LOC_HI_MASK * LOC_LO_SPAN + LOC_LO_SPAN;

/** The loc word of location `loc` (1..MAX_LOC): never 0. */
export function locLo(loc: number): number {
  return loc - locHi(loc) * LOC_LO_SPAN;
}

/** The high part of location `loc`, for the meta word's low bits. */
export function locHi(loc: number): number {
  return Math.floor((loc - 1) / LOC_LO_SPAN);
}

/** The location a slot's meta and loc words hold (lo must be nonzero). */
export function locOfSlot(meta: number, lo: number): number {
  return (meta & LOC_HI_MASK) * LOC_LO_SPAN + lo;
}

/** Int32 control words of the index (IndexMemory.control). */
export const COUNT = 0;
/** Old-table primary buckets below this one have migrated. */
export const CURSOR = 1;
/** Area (0 or 1) of the current table. */
export const CUR_AREA = 2;
/** Area of the table being drained while expanding, -1 when none. */
export const OLD_AREA = 3;
export const RNG = 4;
/** Bumped whenever a table's size, buffers or role change: threads then rebuild their views. */
export const EPOCH = 5;
/** Per area a: AREA_BASE + a * AREA_WORDS + field. */
export const AREA_BASE = 8;
export const AREA_WORDS = 8;
export const A_BUCKETS = 0;
export const A_OVERFLOW_CAPACITY = 1;
export const A_OVERFLOW_USED = 2;
export const A_FREE_OVERFLOW = 3;
export const A_OVERFLOW_IN_USE = 4;
/** 1 when every slot word of the area is zero (drained by a finished migration). */
export const A_CLEAN = 5;
/** Int32 words in IndexMemory.control. */
export const CONTROL_WORDS = AREA_BASE + 2 * AREA_WORDS;

/** One table area's buffers: growable, so a table can gain overflow buckets or be reused at double size in place. */
export interface AreaMemory {
  words: SharedArrayBuffer;
  next: SharedArrayBuffer;
  second: SharedArrayBuffer;
}

/** The index's shared state: postMessage it and attach with `new HashIndex(keys, memory)`. */
export interface IndexMemory {
  control: SharedArrayBuffer;
  areas: [AreaMemory, AreaMemory];
  maxLoad: number;
  /** Largest primary bucket count the table may double to. */
  maxBuckets: number;
}

/** The largest table: 2^31 slots (as `-o hashpower` allows). */
const MAX_BUCKETS = 2 ** 31 / SLOTS_PER_BUCKET;

/** The second candidate bucket's hash: an independent remix of the key hash. */
export function altHash(hash: number): number {
  let h = (hash + 0x6a09e667) | 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Smallest power of two >= n, at least one bucket's worth of slots. */
export function ceilPowerOfTwo(n: number): number {
  let p = SLOTS_PER_BUCKET;
  while (p < n) p *= 2;
  return p;
}

/**
 * Reserve (not yet commit) the buffers of an index that starts at
 * `initialBuckets` and may double while holding up to `maxEntries` keys.
 * The caller sizes the first table (SlotTable.reset).
 */
export function newIndexMemory(initialBuckets: number, maxLoad: number, maxEntries: number, rngSeed: number): IndexMemory {
  const maxBuckets = Math.max(initialBuckets, Math.min(MAX_BUCKETS, ceilPowerOfTwo(maxEntries / maxLoad) / SLOTS_PER_BUCKET));
  // Overflow buckets: at most as many as primary ones (the pool doubles, so
  // it can reach twice what is in use), at least a few for tiny tables.
  const maxTotal = maxBuckets + Math.max(64, maxBuckets);
  const area = (): AreaMemory => ({
    words: growableShared(0, maxTotal * WORDS_PER_BUCKET * 4),
    next: growableShared(0, maxTotal * 4),
    second: growableShared(0, maxBuckets * 2),
  });
  const memory: IndexMemory = { control: new SharedArrayBuffer(CONTROL_WORDS * 4), areas: [area(), area()], maxLoad, maxBuckets };
  const c = new Int32Array(memory.control);
  c[CUR_AREA] = 0;
  c[OLD_AREA] = -1;
  c[AREA_BASE + A_CLEAN] = 1;
  c[AREA_BASE + AREA_WORDS + A_CLEAN] = 1;
  // Scramble the seed: xorshift from a small state starts with tiny outputs.
  c[RNG] = altHash(rngSeed) | 1;
  return memory;
}
