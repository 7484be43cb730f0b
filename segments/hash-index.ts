// The hash index from keys to item locations, in typed arrays only: the
// lookups and the updates the store makes through it. Its parts, one job
// each: index-layout.ts (the shared-memory layout of slots, buckets and
// control words), slot-table.ts (one table generation: placement, cuckoo
// step, overflow chains), slot-frequency.ts (Segcache's read counter in
// each slot), index-migration.ts (doubling without a pause).
//
// While the table doubles, lookups check the old table for keys whose
// buckets have not migrated yet. The result of the last find is kept in
// fields (table, bucket, slot) rather than returned as an object, so the hot
// path allocates nothing; it stays valid until the next insert, removal or
// migration step.

import {
  COUNT,
  CUR_AREA,
  CURSOR,
  EPOCH,
  NO_BUCKET,
  OLD_AREA,
  SLOTS_PER_BUCKET,
  LOC_HI_MASK,
  TAG_SHIFT,
  WORDS_PER_BUCKET,
  altHash,
  locHi,
  locLo,
  locOfSlot,
  ceilPowerOfTwo,
  newIndexMemory,
  type IndexMemory,
} from './index-layout.js';
import { migrateBuckets, mayBeUnmigrated } from './index-migration.js';
import { coin, countRead, countReadSeen, frequencyOf, withFrequency } from './slot-frequency.js';
import { SlotTable, type KeySource } from './slot-table.js';

export type { KeySource } from './slot-table.js';
export type { AreaMemory, IndexMemory } from './index-layout.js';
export { ceilPowerOfTwo } from './index-layout.js';

/** Old-table buckets migrated per insert while expanding. */
const MIGRATE_PER_INSERT = 2;
/** Entries assumed when no bound is given (tests building a bare index). */
const DEFAULT_MAX_ENTRIES = 1 << 24;

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
      for (let i = 0; i < 8; i++) coin(this.control);
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
    if (old !== null && mayBeUnmigrated(old, this.control, hash)) {
      const loc = this.findIn(old, key, hash, tag);
      if (loc !== 0) return loc;
    }
    return this.findIn(this.cur, key, hash, tag);
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
    // Bounded: an optimistic reader (segment-store.ts) may follow links a writer is rewriting.
    let hops = t.next.length;
    let b = primary;
    do {
      const base = b * WORDS_PER_BUCKET;
      for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
        const lo = words[i + 1]!;
        const meta = words[i]!;
        if (lo !== 0 && meta >>> TAG_SHIFT === tag) {
          const loc = locOfSlot(meta, lo);
          if (this.keys.keyMatches(loc, key)) {
            this.foundTable = t;
            this.foundBucket = primary;
            this.foundSlot = i;
            return loc;
          }
        }
      }
      b = t.next[b]!;
    } while (b !== NO_BUCKET && --hops >= 0);
    return 0;
  }

  /** Find the slot holding exactly `loc` for a key with `hash`; remembers it. */
  findLoc(hash: number, loc: number): boolean {
    if (this.control[EPOCH] !== this.epoch) this.sync();
    const old = this.old;
    if (old !== null && mayBeUnmigrated(old, this.control, hash) && this.findLocIn(old, hash, loc)) return true;
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
    const lo = locLo(loc);
    const hi = locHi(loc);
    let b = primary;
    do {
      const base = b * WORDS_PER_BUCKET;
      for (let i = base + 1; i < base + WORDS_PER_BUCKET; i += 2) {
        if (words[i] === lo && (words[i - 1]! & LOC_HI_MASK) === hi) {
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
    words[this.foundSlot] = ((words[this.foundSlot]! & 0xffff0000) | locHi(loc)) >>> 0;
    words[this.foundSlot + 1] = locLo(loc);
  }

  /** Point the found slot at a moved copy with frequency `freq` (0..127): merge eviction carries it over. */
  relinkFoundWithFrequency(loc: number, freq: number): void {
    const words = this.foundTable.words;
    words[this.foundSlot] = (withFrequency(words[this.foundSlot]!, freq) | locHi(loc)) >>> 0;
    words[this.foundSlot + 1] = locLo(loc);
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
    return frequencyOf(this.foundTable.words[this.foundSlot]!);
  }

  /** The found slot's meta word (tag, frequency, counted, location high bits), as an optimistic reader saw it. */
  foundMeta(): number {
    return this.foundTable.words[this.foundSlot]!;
  }

  /**
   * countHit() for an optimistic reader after its read validated, when a
   * writer may be moving slots: counts only if the found slot still holds
   * `seen`'s tag and location bits, by compareExchange (slot-frequency.ts countReadSeen).
   */
  countHitSeen(nowS: number, seen: number): void {
    countReadSeen(this.foundTable, this.foundBucket, this.foundSlot, nowS, this.control, seen);
  }

  /** Rebuild this thread's views before its next lookup (after an optimistic read that may have built them from a table being changed). */
  forgetViews(): void {
    this.epoch = -1;
  }

  /** Count a read of the found slot (at most once per second). */
  countHit(nowS: number): void {
    countRead(this.foundTable, this.foundBucket, this.foundSlot, nowS, this.control);
  }

  /**
   * For a striped link (segment-store.ts "Striped links"), before any
   * write: the one primary bucket whose own words the next change writes,
   * when that change is confined to it, else -1. `relink`: the change is
   * relinkFound*() of the last find (its slot is in the chain of that
   * find's primary bucket); otherwise an insert(hash), which is confined
   * when it fills a free slot of the key's first or second bucket itself
   * (what place() does then), with no migration, no expansion and no
   * overflow chain. -1 also while the table has fewer than `stripes`
   * buckets (then a bucket's stripe would not be its keys' hash stripe).
   */
  confinedBucket(hash: number, relink: boolean, stripes: number): number {
    if (this.control[EPOCH] !== this.epoch) this.sync();
    const t = this.cur;
    if (this.old !== null || t.buckets < stripes) return -1;
    if (relink) return this.foundTable === t ? this.foundBucket : -1;
    if (this.control[COUNT]! + 1 > this.maxLoad * t.buckets * SLOTS_PER_BUCKET && t.buckets < this.memory.maxBuckets) return -1;
    const b1 = hash & t.mask;
    if (t.emptySlots(b1) > 0) return b1;
    const b2 = altHash(hash) & t.mask;
    return b2 !== b1 && t.emptySlots(b2) > 0 ? b2 : -1;
  }

  /** Insert a key known to be absent, with read frequency `freq` (0..127). May start or advance a table expansion. */
  insert(hash: number, tag: number, loc: number, freq = 0): void {
    if (this.control[EPOCH] !== this.epoch) this.sync();
    this.cur.place(hash, (withFrequency((tag << TAG_SHIFT) >>> 0, freq) | locHi(loc)) >>> 0, locLo(loc));
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
    if (migrateBuckets(old, this.cur, this.control, this.keys, buckets)) {
      old.markClean();
      this.control[OLD_AREA] = -1;
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
      for (let i = 1; i < words.length; i += 2) if (words[i] !== 0) out.push(locOfSlot(words[i - 1]!, words[i]!));
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
}
