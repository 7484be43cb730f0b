// The hash index from keys to item locations, in typed arrays only.
//
// Buckets of 8 slots (64 bytes, one cache line); a slot is two Uint32 words:
//
//   meta word: bits 31-16 tag (16 bits of the key hash), bit 15 "counted this
//              second", bits 14-8 frequency counter (0..127), bits 7-0 spare
//   loc word:  item address / 8 + 1 (0 = empty slot)
//
// Each key has two candidate buckets (two-choice hashing): an insert goes to
// the first while it has room, else to the second, and a lookup checks the
// first, then the second; when both are full one entry moves to its own
// other bucket (one cuckoo step). First-fit rather than emptier-of-two keeps
// most keys in their first bucket (all of them at low load, 87% at 0.9), so
// a hit usually reads one cache line of the table instead of two. That keeps overflow near zero at
// loads near 0.9, where one choice overflows a quarter of the buckets. Only
// when that fails does the first bucket chain into overflow buckets from a
// pool (grown by doubling, emptied buckets recycled, entries pulled back into
// freed primary slots), so an insert never fails. When items exceed `maxLoad` of the primary slots the table doubles:
// new keys go to the new table and old buckets migrate a few at a time (on
// each insert and each expiry tick), never in one long pause; lookups check
// the old table for keys whose buckets have not migrated yet. Slots keep
// only a 16-bit tag, so migration re-reads each key from its segment.
//
// The result of the last find is kept in fields (table, bucket, slot) rather
// than returned as an object, so the hot path allocates nothing; it stays
// valid until the next insert, removal or migration step.
//
// Frequency as Segcache: a hit counts at most once per second per item
// (a per-bucket 16-bit second clears the "counted" bits when it changes),
// +1 up to 16, then +1 with probability 1/counter, capped at 127.

import { growShared, growableShared } from './shared-memory.js';

export interface KeySource {
  /** Does the record at slot location `loc` hold exactly `key`? */
  keyMatches(loc: number, key: Uint8Array): boolean;
  /** Hash of the key stored at `loc` (migration recomputes buckets). */
  hashAt(loc: number): number;
}

const SLOTS_PER_BUCKET = 8;
const WORDS_PER_BUCKET = 16;
const COUNTED = 0x8000;
const FREQ_SHIFT = 8;
const FREQ_MASK = 0x7f;
const FREQ_MAX = 127;
const FREQ_EXACT = 16;
const NO_BUCKET = -1;
/** Old-table buckets migrated per insert while expanding. */
const MIGRATE_PER_INSERT = 2;

/** The second candidate bucket's hash: an independent remix of the key hash. */
function altHash(hash: number): number {
  let h = (hash + 0x6a09e667) | 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Int32 control words of the index (IndexMemory.control). */
const COUNT = 0;
/** Old-table primary buckets below this one have migrated. */
const CURSOR = 1;
/** Area (0 or 1) of the current table. */
const CUR_AREA = 2;
/** Area of the table being drained while expanding, -1 when none. */
const OLD_AREA = 3;
const RNG = 4;
/** Bumped whenever a table's size, buffers or role change: threads then rebuild their views. */
const EPOCH = 5;
/** Per area a: AREA_BASE + a * AREA_WORDS + field. */
const AREA_BASE = 8;
const AREA_WORDS = 8;
const A_BUCKETS = 0;
const A_OVERFLOW_CAPACITY = 1;
const A_OVERFLOW_USED = 2;
const A_FREE_OVERFLOW = 3;
const A_OVERFLOW_IN_USE = 4;
/** 1 when every slot word of the area is zero (drained by a finished migration). */
const A_CLEAN = 5;
const CONTROL_WORDS = AREA_BASE + 2 * AREA_WORDS;

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

/**
 * One generation of the table (primary buckets plus their overflow pool)
 * as seen by this thread: fixed-length views over an area's shared
 * buffers, rebuilt by sync() when the area changes.
 */
class SlotTable {
  buckets = 1;
  mask = 0;
  /** 16 words per bucket: primary buckets first, then overflow buckets. */
  words: Uint32Array = new Uint32Array(0);
  /** Next bucket in the chain, NO_BUCKET at the end; links the free overflow list too. */
  next: Int32Array = new Int32Array(0);
  /** Per primary bucket: the second (mod 2^16) of its last frequency count. */
  second: Uint16Array = new Uint16Array(0);
  private readonly base: number;

  constructor(
    private readonly keys: KeySource,
    private readonly area: AreaMemory,
    private readonly control: Int32Array,
    areaIndex: number,
  ) {
    this.base = AREA_BASE + areaIndex * AREA_WORDS;
  }

  /** Rebuild the views after the area's size or contents changed (any thread). */
  sync(): void {
    const buckets = this.control[this.base + A_BUCKETS]!;
    const total = buckets + this.control[this.base + A_OVERFLOW_CAPACITY]!;
    this.buckets = buckets;
    this.mask = buckets - 1;
    if (this.words.length !== total * WORDS_PER_BUCKET || this.words.buffer !== this.area.words) {
      this.words = new Uint32Array(this.area.words, 0, total * WORDS_PER_BUCKET);
      this.next = new Int32Array(this.area.next, 0, total);
    }
    if (this.second.length !== buckets) this.second = new Uint16Array(this.area.second, 0, buckets);
  }

  /** Make this area an empty table of `buckets` primary buckets (caller bumps the epoch). */
  reset(buckets: number): void {
    const c = this.control;
    const base = this.base;
    const capacity = Math.max(16, buckets >>> 6);
    const total = buckets + capacity;
    const usedBefore = c[base + A_BUCKETS]! + c[base + A_OVERFLOW_CAPACITY]!;
    const area = this.area;
    if (!growShared(area.words, total * WORDS_PER_BUCKET * 4) || !growShared(area.next, total * 4) || !growShared(area.second, buckets * 2)) {
      throw new RangeError(`hash table of ${buckets} buckets exceeds its reserved memory`);
    }
    // Grown bytes are zero; what an earlier table left needs clearing.
    if (c[base + A_CLEAN] !== 1) new Uint32Array(area.words).fill(0, 0, Math.min(usedBefore, total) * WORDS_PER_BUCKET);
    new Int32Array(area.next, 0, total).fill(NO_BUCKET);
    new Uint16Array(area.second, 0, buckets).fill(0);
    c[base + A_BUCKETS] = buckets;
    c[base + A_OVERFLOW_CAPACITY] = capacity;
    c[base + A_OVERFLOW_USED] = 0;
    c[base + A_FREE_OVERFLOW] = NO_BUCKET;
    c[base + A_OVERFLOW_IN_USE] = 0;
    c[base + A_CLEAN] = 0;
    this.sync();
  }

  /** Every slot word is zero now (a migration drained it). */
  markClean(): void {
    this.control[this.base + A_CLEAN] = 1;
  }

  get overflowInUse(): number {
    return this.control[this.base + A_OVERFLOW_IN_USE]!;
  }

  /** An empty overflow bucket: a recycled one, else a new one (the pool doubles when full). */
  private takeOverflow(): number {
    const c = this.control;
    const base = this.base;
    c[base + A_OVERFLOW_IN_USE]!++;
    const free = c[base + A_FREE_OVERFLOW]!;
    if (free !== NO_BUCKET) {
      c[base + A_FREE_OVERFLOW] = this.next[free]!;
      this.next[free] = NO_BUCKET;
      return free;
    }
    const used = c[base + A_OVERFLOW_USED]!;
    if (used === c[base + A_OVERFLOW_CAPACITY]) {
      const capacity = used * 2;
      const total = this.buckets + capacity;
      if (!growShared(this.area.words, total * WORDS_PER_BUCKET * 4) || !growShared(this.area.next, total * 4)) {
        throw new RangeError(`hash table overflow pool of ${capacity} buckets exceeds its reserved memory`);
      }
      new Int32Array(this.area.next, (this.buckets + used) * 4, capacity - used).fill(NO_BUCKET);
      c[base + A_OVERFLOW_CAPACITY] = capacity;
      Atomics.add(c, EPOCH, 1);
      this.sync();
    }
    c[base + A_OVERFLOW_USED] = used + 1;
    return this.buckets + used;
  }

  /** Empty slots in primary bucket `b`. */
  private emptySlots(b: number): number {
    const words = this.words;
    const base = b * WORDS_PER_BUCKET;
    let empty = 0;
    for (let i = base + 1; i < base + WORDS_PER_BUCKET; i += 2) if (words[i] === 0) empty++;
    return empty;
  }

  /**
   * Place a slot for a key with `hash`: in its first bucket if that has
   * room, else in its second. When both are full, first try to move one of
   * their entries to that entry's other bucket (one cuckoo step, re-reading
   * its key); chain into overflow only when that fails too.
   */
  place(hash: number, meta: number, loc: number): void {
    const b1 = hash & this.mask;
    let bucket = b1;
    if (this.emptySlots(b1) === 0) {
      const b2 = altHash(hash) & this.mask;
      if (b2 !== b1 && this.emptySlots(b2) > 0) bucket = b2;
      else if (!this.displaceOne(b1) && b2 !== b1 && this.displaceOne(b2)) bucket = b2;
    }
    this.placeInChain(bucket, meta, loc);
  }

  /** Move one entry of full primary bucket `b` to its other bucket if that has room. */
  private displaceOne(b: number): boolean {
    const words = this.words;
    const base = b * WORDS_PER_BUCKET;
    for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
      const hash = this.keys.hashAt(words[i + 1]!);
      const h1 = hash & this.mask;
      const other = h1 === b ? altHash(hash) & this.mask : h1;
      if (other === b || this.emptySlots(other) === 0) continue;
      this.placeInChain(other, words[i]!, words[i + 1]!);
      words[i] = 0;
      words[i + 1] = 0;
      return true;
    }
    return false;
  }

  private placeInChain(bucket: number, meta: number, loc: number): void {
    let b = bucket;
    for (;;) {
      const words = this.words;
      const base = b * WORDS_PER_BUCKET;
      for (let i = base + 1; i < base + WORDS_PER_BUCKET; i += 2) {
        if (words[i] === 0) {
          words[i - 1] = meta;
          words[i] = loc;
          return;
        }
      }
      let nb = this.next[b]!;
      if (nb === NO_BUCKET) {
        nb = this.takeOverflow();
        this.next[b] = nb;
      }
      b = nb;
    }
  }

  /**
   * After emptying word `slot` of the chain starting at primary bucket
   * `primary`: a freed primary slot takes an entry back from the chain's
   * first overflow bucket (so overflow entries exist only while the primary
   * bucket is full), and an emptied overflow bucket is recycled.
   */
  afterRemoval(primary: number, slot: number): void {
    const words = this.words;
    let b = Math.floor(slot / WORDS_PER_BUCKET);
    if (b < this.buckets) {
      const ob = this.next[b]!;
      if (ob === NO_BUCKET) return;
      const base = ob * WORDS_PER_BUCKET;
      for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
        if (words[i + 1] !== 0) {
          words[slot] = words[i]!;
          words[slot + 1] = words[i + 1]!;
          words[i] = 0;
          words[i + 1] = 0;
          break;
        }
      }
      b = ob;
    }
    const base = b * WORDS_PER_BUCKET;
    for (let i = base + 1; i < base + WORDS_PER_BUCKET; i += 2) if (words[i] !== 0) return;
    let prev = primary;
    while (this.next[prev] !== b) prev = this.next[prev]!;
    this.next[prev] = this.next[b]!;
    const c = this.control;
    this.next[b] = c[this.base + A_FREE_OVERFLOW]!;
    c[this.base + A_FREE_OVERFLOW] = b;
    c[this.base + A_OVERFLOW_IN_USE]!--;
  }

  get bytes(): number {
    return this.words.byteLength + this.next.byteLength + this.second.byteLength;
  }
}

/** Entries assumed when no bound is given (tests building a bare index). */
const DEFAULT_MAX_ENTRIES = 1 << 24;
/** The largest table: 2^31 slots (as `-o hashpower` allows). */
const MAX_BUCKETS = 2 ** 31 / SLOTS_PER_BUCKET;

function newIndexMemory(initialBuckets: number, maxLoad: number, maxEntries: number, rngSeed: number): IndexMemory {
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

/**
 * The index over shared memory. Every method must be called with the
 * store's lock held (segment-store.ts): the found slot and the views are
 * this thread's, the tables are everyone's. Tables live in two growable
 * areas used alternately: a doubling builds the new table in the area the
 * previous-but-one table used (drained by its migration), so two tables
 * exist at most and no buffer is ever handed between threads.
 */
export class HashIndex {
  readonly memory: IndexMemory;
  private readonly control: Int32Array;
  private readonly maxLoad: number;
  private readonly areas: [SlotTable, SlotTable];
  private cur: SlotTable;
  /** The table being drained while expanding, else null. */
  private old: SlotTable | null = null;
  /** The epoch this thread's views were built at. */
  private epoch = -1;

  // The last successful find / findLoc.
  private foundTable: SlotTable;
  private foundBucket = 0;
  private foundSlot = 0;

  /**
   * A new index sized for `initialSlots` that may double while it holds up to
   * `maxEntries` keys, or a view of an existing one (`memory` from another thread).
   */
  constructor(keys: KeySource, initialSlots: number, maxLoad: number, rngSeed: number, maxEntries?: number);
  constructor(keys: KeySource, memory: IndexMemory);
  constructor(
    private readonly keys: KeySource,
    slotsOrMemory: number | IndexMemory,
    maxLoad = 0.9,
    rngSeed = 1,
    maxEntries = DEFAULT_MAX_ENTRIES,
  ) {
    const fresh = typeof slotsOrMemory === 'number';
    const buckets = fresh ? Math.max(1, ceilPowerOfTwo(slotsOrMemory) / SLOTS_PER_BUCKET) : 0;
    this.memory = fresh ? newIndexMemory(buckets, maxLoad, maxEntries, rngSeed) : slotsOrMemory;
    this.control = new Int32Array(this.memory.control);
    this.maxLoad = this.memory.maxLoad;
    const [a0, a1] = this.memory.areas;
    this.areas = [new SlotTable(keys, a0, this.control, 0), new SlotTable(keys, a1, this.control, 1)];
    this.cur = this.areas[0];
    this.foundTable = this.cur;
    if (fresh) {
      this.cur.reset(buckets);
      for (let i = 0; i < 8; i++) this.random();
    }
    this.sync();
  }

  /** Rebuild this thread's views if any thread changed a table since. */
  private sync(): void {
    const c = this.control;
    const epoch = Atomics.load(c, EPOCH);
    if (epoch === this.epoch) return;
    this.epoch = epoch;
    this.areas[0].sync();
    this.areas[1].sync();
    this.cur = this.areas[c[CUR_AREA]!]!;
    const old = c[OLD_AREA]!;
    this.old = old < 0 ? null : this.areas[old]!;
  }

  /** A table change this thread made: others rebuild their views on their next call. */
  private publish(): void {
    Atomics.add(this.control, EPOCH, 1);
    this.sync();
  }

  /** Live entries. */
  get count(): number {
    return this.control[COUNT]!;
  }

  /** Find `key`; returns its location or 0. On success the slot is remembered. */
  find(key: Uint8Array, hash: number, tag: number): number {
    if (this.control[EPOCH] !== this.epoch) this.sync();
    const old = this.old;
    if (old !== null && this.unmigrated(old, hash)) {
      const loc = this.findIn(old, key, hash, tag);
      if (loc !== 0) return loc;
    }
    return this.findIn(this.cur, key, hash, tag);
  }

  /** Could a key with `hash` still sit in the old table (one of its buckets not migrated)? */
  private unmigrated(old: SlotTable, hash: number): boolean {
    const cursor = this.control[CURSOR]!;
    return (hash & old.mask) >= cursor || (altHash(hash) & old.mask) >= cursor;
  }

  private findIn(t: SlotTable, key: Uint8Array, hash: number, tag: number): number {
    const b1 = hash & t.mask;
    const loc = this.findInChain(t, b1, key, tag);
    if (loc !== 0) return loc;
    const b2 = altHash(hash) & t.mask;
    return b2 === b1 ? 0 : this.findInChain(t, b2, key, tag);
  }

  private findInChain(t: SlotTable, primary: number, key: Uint8Array, tag: number): number {
    const words = t.words;
    let b = primary;
    do {
      const base = b * WORDS_PER_BUCKET;
      for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
        const loc = words[i + 1]!;
        if (loc !== 0 && words[i]! >>> 16 === tag && this.keys.keyMatches(loc, key)) {
          this.foundTable = t;
          this.foundBucket = primary;
          this.foundSlot = i;
          return loc;
        }
      }
      b = t.next[b]!;
    } while (b !== NO_BUCKET);
    return 0;
  }

  /** Find the slot holding exactly `loc` for a key with `hash`; remembers it. */
  findLoc(hash: number, loc: number): boolean {
    if (this.control[EPOCH] !== this.epoch) this.sync();
    const old = this.old;
    if (old !== null && this.unmigrated(old, hash) && this.findLocIn(old, hash, loc)) return true;
    return this.findLocIn(this.cur, hash, loc);
  }

  private findLocIn(t: SlotTable, hash: number, loc: number): boolean {
    const b1 = hash & t.mask;
    if (this.findLocInChain(t, b1, loc)) return true;
    const b2 = altHash(hash) & t.mask;
    return b2 !== b1 && this.findLocInChain(t, b2, loc);
  }

  private findLocInChain(t: SlotTable, primary: number, loc: number): boolean {
    const words = t.words;
    let b = primary;
    do {
      const base = b * WORDS_PER_BUCKET;
      for (let i = base + 1; i < base + WORDS_PER_BUCKET; i += 2) {
        if (words[i] === loc) {
          this.foundTable = t;
          this.foundBucket = primary;
          this.foundSlot = i - 1;
          return true;
        }
      }
      b = t.next[b]!;
    } while (b !== NO_BUCKET);
    return false;
  }

  /** Point the found slot at a new location (a new version or a moved copy); frequency restarts at 0. */
  relinkFound(loc: number): void {
    const words = this.foundTable.words;
    words[this.foundSlot] = words[this.foundSlot]! & 0xffff0000;
    words[this.foundSlot + 1] = loc;
  }

  /** Point the found slot at a moved copy with frequency `freq` (0..127): merge eviction carries it over. */
  relinkFoundWithFrequency(loc: number, freq: number): void {
    const words = this.foundTable.words;
    words[this.foundSlot] = ((words[this.foundSlot]! & 0xffff0000) | ((freq & FREQ_MASK) << FREQ_SHIFT)) >>> 0;
    words[this.foundSlot + 1] = loc;
  }

  /** Empty the found slot (another entry of its chain may move into it). */
  removeFound(): void {
    const t = this.foundTable;
    t.words[this.foundSlot] = 0;
    t.words[this.foundSlot + 1] = 0;
    t.afterRemoval(this.foundBucket, this.foundSlot);
    this.control[COUNT]!--;
  }

  /** Frequency counter of the found slot. */
  foundFrequency(): number {
    return (this.foundTable.words[this.foundSlot]! >>> FREQ_SHIFT) & FREQ_MASK;
  }

  /** Count a read of the found slot (at most once per second). */
  countHit(nowS: number): void {
    const t = this.foundTable;
    const words = t.words;
    const second = nowS & 0xffff;
    if (t.second[this.foundBucket] !== second) {
      t.second[this.foundBucket] = second;
      let b = this.foundBucket;
      do {
        const base = b * WORDS_PER_BUCKET;
        for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) words[i] = words[i]! & ~COUNTED;
        b = t.next[b]!;
      } while (b !== NO_BUCKET);
    }
    const meta = words[this.foundSlot]!;
    if (meta & COUNTED) return;
    let freq = (meta >>> FREQ_SHIFT) & FREQ_MASK;
    if (freq < FREQ_MAX && (freq < FREQ_EXACT || this.random() * freq < 1)) freq++;
    words[this.foundSlot] = ((meta & 0xffff00ff) | COUNTED | (freq << FREQ_SHIFT)) >>> 0;
  }

  /** Insert a key known to be absent. May start or advance a table expansion. */
  insert(hash: number, tag: number, loc: number): void {
    if (this.control[EPOCH] !== this.epoch) this.sync();
    this.cur.place(hash, (tag << 16) >>> 0, loc);
    const count = ++this.control[COUNT]!;
    if (this.old !== null) this.migrate(MIGRATE_PER_INSERT);
    if (count > this.maxLoad * this.slots && this.cur.buckets < this.memory.maxBuckets) {
      // Rare: the new table filled up before the old one drained. Finish the
      // migration at once (stop-the-world) rather than chain without bound.
      if (this.old !== null) this.migrate(this.old.buckets);
      this.startExpansion();
    }
  }

  /** Migrate up to `buckets` old-table buckets into the new table. */
  migrate(buckets: number): void {
    if (this.control[EPOCH] !== this.epoch) this.sync();
    const old = this.old;
    if (old === null) return;
    const cur = this.cur;
    const c = this.control;
    let cursor = c[CURSOR]!;
    const end = Math.min(old.buckets, cursor + buckets);
    for (; cursor < end; cursor++) {
      let b = cursor;
      do {
        const base = b * WORDS_PER_BUCKET;
        for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
          const loc = old.words[i + 1]!;
          if (loc !== 0) cur.place(this.keys.hashAt(loc), old.words[i]! & ~COUNTED, loc);
          // Empty the old slot: a lookup still searches this bucket while the
          // key's other bucket has not migrated, and must not find (and
          // relink or remove) a stale copy instead of the one in `cur`.
          old.words[i] = 0;
          old.words[i + 1] = 0;
        }
        b = old.next[b]!;
      } while (b !== NO_BUCKET);
      // cur.place may have grown cur's overflow pool (its views follow).
      c[CURSOR] = cursor + 1;
    }
    if (cursor === old.buckets) {
      old.markClean();
      c[OLD_AREA] = -1;
      this.publish();
    }
  }

  private startExpansion(): void {
    const c = this.control;
    const from = c[CUR_AREA]!;
    const to = 1 - from;
    this.areas[to]!.reset(this.cur.buckets * 2);
    c[OLD_AREA] = from;
    c[CUR_AREA] = to;
    c[CURSOR] = 0;
    this.publish();
  }

  /** Drop every entry (flush_all); keeps the current size. */
  clear(): void {
    if (this.control[EPOCH] !== this.epoch) this.sync();
    const c = this.control;
    if (this.old !== null) {
      c[OLD_AREA] = -1;
      c[CURSOR] = 0;
    }
    this.cur.reset(this.cur.buckets);
    c[COUNT] = 0;
    this.publish();
    this.foundTable = this.cur;
  }

  /** Every live location (tests and audits; allocates). */
  locations(): number[] {
    this.sync();
    const out: number[] = [];
    for (const t of this.old === null ? [this.cur] : [this.cur, this.old]) {
      const words = t.words;
      for (let i = 1; i < words.length; i += 2) if (words[i] !== 0) out.push(words[i]!);
    }
    return out;
  }

  /** Primary slots of the current table. */
  get slots(): number {
    this.sync();
    return this.cur.buckets * SLOTS_PER_BUCKET;
  }

  get power(): number {
    return Math.log2(this.slots);
  }

  get isExpanding(): boolean {
    return this.control[OLD_AREA] !== -1;
  }

  /** Overflow buckets in chains (current table). */
  get overflowBuckets(): number {
    this.sync();
    return this.cur.overflowInUse;
  }

  /** Bytes of all table arrays, both tables while expanding. */
  get bytes(): number {
    this.sync();
    return this.cur.bytes + (this.old === null ? 0 : this.old.bytes);
  }

  /** xorshift32 in [0, 1): the 1/counter coin for frequencies above 16. */
  private random(): number {
    let x = this.control[RNG]!;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.control[RNG] = x;
    return (x >>> 0) / 0x100000000;
  }
}

/** Smallest power of two >= n, at least one bucket's worth of slots. */
export function ceilPowerOfTwo(n: number): number {
  let p = SLOTS_PER_BUCKET;
  while (p < n) p *= 2;
  return p;
}
