// The hash index's side of warm restart: which of its arrays a save writes
// (the control words, and for each table in use the used prefix of its
// slot words and chain links plus its per-bucket seconds), and how a
// restore puts them back into a fresh index: control words checked, areas
// sized, parts read in place by the caller, chain links checked, then the
// control words adopted; or everything discarded so the caller can rebuild
// the index item by item instead. Arrays only: no file I/O and no record
// format (segments/persist/ does both), no lookups (hash-index.ts).
//
// A restored table is only meaningful with the hash seed, the slot layout
// and the hash functions (key-hash.ts hashBytes and tagOf, index-layout.ts
// altHash) it was built with: the caller compares the seed, and
// INDEX_IMAGE_LAYOUT must change whenever any of those change.

import {
  A_BUCKETS,
  A_CLEAN,
  A_FREE_OVERFLOW,
  A_OVERFLOW_CAPACITY,
  A_OVERFLOW_IN_USE,
  A_OVERFLOW_USED,
  AREA_BASE,
  AREA_WORDS,
  CONTROL_WORDS,
  COUNT,
  CUR_AREA,
  CURSOR,
  EPOCH,
  NO_BUCKET,
  OLD_AREA,
  RNG,
  WORDS_PER_BUCKET,
  locOfSlot,
  type IndexMemory,
} from './index-layout.js';
import { growShared } from './shared-memory.js';
import { mixLocation, type LocationFingerprint } from './location-fingerprint.js';

/** Identifies the slot layout and hash functions a saved table depends on. */
export const INDEX_IMAGE_LAYOUT = 1;
/** Parts per table in use: slot words, chain links, per-bucket seconds. */
export const PARTS_PER_AREA = 3;

/** The tables in use: the current one, then the one being drained while the index doubles. */
function areasInUse(c: Int32Array): number[] {
  const cur = c[CUR_AREA]!;
  const old = c[OLD_AREA]!;
  return old < 0 ? [cur] : [cur, old];
}

function field(c: Int32Array, area: number, f: number): number {
  return c[AREA_BASE + area * AREA_WORDS + f]!;
}

/** Byte lengths of the parts an image with control words `c` holds, in order (c already checked). */
export function indexPartLengths(c: Int32Array): number[] {
  const out: number[] = [];
  for (const a of areasInUse(c)) {
    const buckets = field(c, a, A_BUCKETS);
    const used = buckets + field(c, a, A_OVERFLOW_USED);
    out.push(used * WORDS_PER_BUCKET * 4, used * 4, buckets * 2);
  }
  return out;
}

/** What a save writes: a copy of the control words and views of the used parts (no copy). */
export function indexImageParts(memory: IndexMemory): { control: Int32Array; parts: Uint8Array[] } {
  const control = new Int32Array(memory.control).slice();
  const lengths = indexPartLengths(control);
  const parts: Uint8Array[] = [];
  let i = 0;
  for (const a of areasInUse(control)) {
    const area = memory.areas[a as 0 | 1];
    parts.push(new Uint8Array(area.words, 0, lengths[i++]!), new Uint8Array(area.next, 0, lengths[i++]!), new Uint8Array(area.second, 0, lengths[i++]!));
  }
  return { control, parts };
}

/**
 * An index nothing was ever stored in: one table, in area 0, that never
 * took an overflow bucket, and area 1 never used. Its buffers are then all
 * zero beyond what a restore writes, which the restore relies on.
 */
export function isFreshIndex(memory: IndexMemory): boolean {
  const c = new Int32Array(memory.control);
  return (
    c[COUNT] === 0 &&
    c[CUR_AREA] === 0 &&
    c[OLD_AREA] === -1 &&
    field(c, 0, A_OVERFLOW_USED) === 0 &&
    field(c, 0, A_FREE_OVERFLOW) === NO_BUCKET &&
    field(c, 1, A_BUCKETS) === 0 &&
    field(c, 1, A_CLEAN) === 1
  );
}

/** Why control words `c` from an image cannot be adopted by `memory`'s index ('' when they can). */
export function checkIndexControl(memory: IndexMemory, c: Int32Array): string {
  if (c.length !== CONTROL_WORDS) return 'index control words missing';
  const cur = c[CUR_AREA]!;
  const old = c[OLD_AREA]!;
  if ((cur !== 0 && cur !== 1) || (old !== -1 && old !== 1 - cur)) return 'index table roles invalid';
  if (c[COUNT]! < 0) return 'index entry count invalid';
  for (const a of areasInUse(c)) {
    const buckets = field(c, a, A_BUCKETS);
    const capacity = field(c, a, A_OVERFLOW_CAPACITY);
    const used = field(c, a, A_OVERFLOW_USED);
    const inUse = field(c, a, A_OVERFLOW_IN_USE);
    const free = field(c, a, A_FREE_OVERFLOW);
    if (buckets < 1 || (buckets & (buckets - 1)) !== 0 || buckets > memory.maxBuckets) return `index table of ${buckets} buckets does not fit this index`;
    if (capacity < 1 || used < 0 || used > capacity || inUse < 0 || inUse > used) return 'index overflow pool invalid';
    if (free !== NO_BUCKET && (free < buckets || free >= buckets + used)) return 'index free overflow list invalid';
  }
  if (old >= 0) {
    if (field(c, cur, A_BUCKETS) !== 2 * field(c, old, A_BUCKETS)) return 'index doubling sizes invalid';
    if (c[CURSOR]! < 0 || c[CURSOR]! > field(c, old, A_BUCKETS)) return 'index migration cursor invalid';
  }
  return '';
}

/**
 * Size `memory`'s areas (a fresh index, isFreshIndex) for the tables of
 * control words `c` (checkIndexControl passed) and return the views a
 * restore reads the parts into, in indexPartLengths order; null when the
 * reserved memory is too small. Writes no control word: until
 * adoptIndexImage the index is still the empty one (call
 * discardIndexImage if the parts turn out bad).
 */
export function indexImageTargets(memory: IndexMemory, c: Int32Array): Uint8Array[] | null {
  const lengths = indexPartLengths(c);
  const targets: Uint8Array[] = [];
  let i = 0;
  for (const a of areasInUse(c)) {
    const area = memory.areas[a as 0 | 1];
    const buckets = field(c, a, A_BUCKETS);
    const total = buckets + field(c, a, A_OVERFLOW_CAPACITY);
    if (!growShared(area.words, total * WORDS_PER_BUCKET * 4) || !growShared(area.next, total * 4) || !growShared(area.second, buckets * 2)) return null;
    targets.push(new Uint8Array(area.words, 0, lengths[i++]!), new Uint8Array(area.next, 0, lengths[i++]!), new Uint8Array(area.second, 0, lengths[i++]!));
  }
  return targets;
}

/**
 * Adopt control words `c` after the parts were read into the targets and
 * their checksums matched: checks that every chain link points into its
 * table's used overflow pool and that no bucket is linked from two places
 * (so every chain ends), sets the unused overflow links to "none", then
 * sets the control words (the epoch moves on, so every view resyncs).
 * Returns why not ('' when adopted).
 */
export function adoptIndexImage(memory: IndexMemory, c: Int32Array): string {
  for (const a of areasInUse(c)) {
    const area = memory.areas[a as 0 | 1];
    const buckets = field(c, a, A_BUCKETS);
    const used = buckets + field(c, a, A_OVERFLOW_USED);
    const total = buckets + field(c, a, A_OVERFLOW_CAPACITY);
    const next = new Int32Array(area.next, 0, total);
    const linked = new Uint8Array(used - buckets);
    for (let b = 0; b < used; b++) {
      const n = next[b]!;
      if (n === NO_BUCKET) continue;
      if (n < buckets || n >= used || linked[n - buckets] !== 0) return 'index chain links invalid';
      linked[n - buckets] = 1;
    }
    const free = field(c, a, A_FREE_OVERFLOW);
    if (free !== NO_BUCKET && linked[free - buckets] !== 0) return 'index free overflow list invalid';
    next.fill(NO_BUCKET, used, total);
  }
  const control = new Int32Array(memory.control);
  const epoch = control[EPOCH]!;
  const inUse = areasInUse(c);
  for (const a of inUse) {
    const from = AREA_BASE + a * AREA_WORDS;
    control.set(c.subarray(from, from + AREA_WORDS), from);
    control[from + A_CLEAN] = 0;
  }
  control[COUNT] = c[COUNT]!;
  control[CUR_AREA] = c[CUR_AREA]!;
  control[OLD_AREA] = c[OLD_AREA]!;
  control[CURSOR] = c[OLD_AREA]! >= 0 ? c[CURSOR]! : 0;
  // Any nonzero value serves (xorshift); 0 would stick.
  control[RNG] = c[RNG]! !== 0 ? c[RNG]! : 1;
  Atomics.store(control, EPOCH, epoch + 1);
  return '';
}

/**
 * Subtract every location the tables in use hold from `fp` (the record
 * walk added the live records' locations; ../location-fingerprint.ts).
 * Returns how many locations there are, or -1 at the first one outside the
 * heap. Reads the slot words front to back; the only other memory touched
 * is `fp`'s three words per segment.
 */
export function subtractIndexedLocations(memory: IndexMemory, fp: LocationFingerprint): number {
  const c = new Int32Array(memory.control);
  const span = fp.segmentSize / 8;
  const segments = fp.segmentCount;
  const { count: counts, sum1, sum2, key1, key2 } = fp;
  let count = 0;
  for (const a of areasInUse(c)) {
    const used = field(c, a, A_BUCKETS) + field(c, a, A_OVERFLOW_USED);
    const words = new Uint32Array(memory.areas[a as 0 | 1].words, 0, used * WORDS_PER_BUCKET);
    for (let i = 1; i < words.length; i += 2) {
      const lo = words[i]!;
      if (lo === 0) continue;
      // Locations pass 2^32 in heaps over 32 GiB: no 32-bit operations on them.
      const at = locOfSlot(words[i - 1]!, lo) - 1;
      const seg = Math.floor(at / span);
      if (seg >= segments) return -1;
      const x = at - seg * span;
      counts[seg] = (counts[seg]! - 1) | 0;
      sum1[seg] = (sum1[seg]! - mixLocation(x, key1)) | 0;
      sum2[seg] = (sum2[seg]! - mixLocation(x, key2)) | 0;
      count++;
    }
  }
  return count;
}

/**
 * Put `memory`'s index back to the empty state `fresh` (its control words
 * saved before indexImageTargets) after a failed or refused restore: both
 * areas' slot words zeroed (a restore may have written anywhere in them),
 * the first table's links reset. Slow (touches every reserved page) but
 * only on that failure path.
 */
export function discardIndexImage(memory: IndexMemory, fresh: Int32Array): void {
  const control = new Int32Array(memory.control);
  const epoch = control[EPOCH]!;
  for (const area of memory.areas) {
    new Uint32Array(area.words).fill(0);
    new Int32Array(area.next).fill(NO_BUCKET);
    new Uint16Array(area.second).fill(0);
  }
  control.set(fresh);
  Atomics.store(control, EPOCH, epoch + 1);
}
