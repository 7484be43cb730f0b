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

/** One generation of the table: primary buckets plus their overflow pool. */
class SlotTable {
  readonly buckets: number;
  readonly mask: number;
  /** 16 words per bucket: primary buckets first, then overflow buckets. */
  words: Uint32Array;
  /** Next bucket in the chain, NO_BUCKET at the end; links the free overflow list too. */
  next: Int32Array;
  /** Per primary bucket: the second (mod 2^16) of its last frequency count. */
  readonly second: Uint16Array;
  private overflowCapacity: number;
  private overflowUsed = 0;
  private freeOverflow = NO_BUCKET;
  /** Overflow buckets in chains now. */
  overflowInUse = 0;

  constructor(
    buckets: number,
    private readonly keys: KeySource,
  ) {
    this.buckets = buckets;
    this.mask = buckets - 1;
    this.overflowCapacity = Math.max(16, buckets >>> 6);
    this.words = new Uint32Array((buckets + this.overflowCapacity) * WORDS_PER_BUCKET);
    this.next = new Int32Array(buckets + this.overflowCapacity).fill(NO_BUCKET);
    this.second = new Uint16Array(buckets);
  }

  /** An empty overflow bucket: a recycled one, else a new one (the pool doubles when full). */
  private takeOverflow(): number {
    this.overflowInUse++;
    if (this.freeOverflow !== NO_BUCKET) {
      const b = this.freeOverflow;
      this.freeOverflow = this.next[b]!;
      this.next[b] = NO_BUCKET;
      return b;
    }
    if (this.overflowUsed === this.overflowCapacity) {
      const capacity = this.overflowCapacity * 2;
      const words = new Uint32Array((this.buckets + capacity) * WORDS_PER_BUCKET);
      words.set(this.words);
      const next = new Int32Array(this.buckets + capacity).fill(NO_BUCKET);
      next.set(this.next);
      this.words = words;
      this.next = next;
      this.overflowCapacity = capacity;
    }
    return this.buckets + this.overflowUsed++;
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
    this.next[b] = this.freeOverflow;
    this.freeOverflow = b;
    this.overflowInUse--;
  }

  get bytes(): number {
    return this.words.byteLength + this.next.byteLength + this.second.byteLength;
  }
}

export class HashIndex {
  private cur: SlotTable;
  /** The table being drained while expanding, else null. */
  private old: SlotTable | null = null;
  /** Old-table primary buckets below this one have migrated. */
  private cursor = 0;
  private rng: number;
  /** Live entries. */
  count = 0;

  // The last successful find / findLoc.
  private foundTable: SlotTable;
  private foundBucket = 0;
  private foundSlot = 0;

  constructor(
    private readonly keys: KeySource,
    initialSlots: number,
    private readonly maxLoad: number,
    rngSeed: number,
  ) {
    const buckets = Math.max(1, ceilPowerOfTwo(initialSlots) / SLOTS_PER_BUCKET);
    this.cur = new SlotTable(buckets, keys);
    this.foundTable = this.cur;
    // Scramble the seed: xorshift from a small state starts with tiny outputs.
    this.rng = (altHash(rngSeed) | 1) >>> 0;
    for (let i = 0; i < 8; i++) this.random();
  }

  /** Find `key`; returns its location or 0. On success the slot is remembered. */
  find(key: Uint8Array, hash: number, tag: number): number {
    const old = this.old;
    if (old !== null && this.unmigrated(old, hash)) {
      const loc = this.findIn(old, key, hash, tag);
      if (loc !== 0) return loc;
    }
    return this.findIn(this.cur, key, hash, tag);
  }

  /** Could a key with `hash` still sit in the old table (one of its buckets not migrated)? */
  private unmigrated(old: SlotTable, hash: number): boolean {
    return (hash & old.mask) >= this.cursor || (altHash(hash) & old.mask) >= this.cursor;
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
    this.count--;
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
    this.cur.place(hash, (tag << 16) >>> 0, loc);
    this.count++;
    if (this.old !== null) this.migrate(MIGRATE_PER_INSERT);
    if (this.count > this.maxLoad * this.slots) {
      // Rare: the new table filled up before the old one drained. Finish the
      // migration at once (stop-the-world) rather than chain without bound.
      if (this.old !== null) this.migrate(this.old.buckets);
      this.startExpansion();
    }
  }

  /** Migrate up to `buckets` old-table buckets into the new table. */
  migrate(buckets: number): void {
    const old = this.old;
    if (old === null) return;
    const cur = this.cur;
    const end = Math.min(old.buckets, this.cursor + buckets);
    for (; this.cursor < end; this.cursor++) {
      let b = this.cursor;
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
    }
    if (this.cursor === old.buckets) this.old = null;
  }

  private startExpansion(): void {
    this.old = this.cur;
    this.cur = new SlotTable(this.old.buckets * 2, this.keys);
    this.cursor = 0;
  }

  /** Drop every entry (flush_all); keeps the current size. */
  clear(): void {
    this.old = null;
    this.cursor = 0;
    this.cur = new SlotTable(this.cur.buckets, this.keys);
    this.foundTable = this.cur;
    this.count = 0;
  }

  /** Every live location (tests and audits; allocates). */
  locations(): number[] {
    const out: number[] = [];
    for (const t of this.old === null ? [this.cur] : [this.cur, this.old]) {
      const words = t.words;
      for (let i = 1; i < words.length; i += 2) if (words[i] !== 0) out.push(words[i]!);
    }
    return out;
  }

  /** Primary slots of the current table. */
  get slots(): number {
    return this.cur.buckets * SLOTS_PER_BUCKET;
  }

  get power(): number {
    return Math.log2(this.slots);
  }

  get isExpanding(): boolean {
    return this.old !== null;
  }

  /** Overflow buckets in chains (current table). */
  get overflowBuckets(): number {
    return this.cur.overflowInUse;
  }

  /** Bytes of all table arrays, both tables while expanding. */
  get bytes(): number {
    return this.cur.bytes + (this.old === null ? 0 : this.old.bytes);
  }

  /** xorshift32 in [0, 1): the 1/counter coin for frequencies above 16. */
  private random(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return (x >>> 0) / 0x100000000;
  }
}

/** Smallest power of two >= n, at least one bucket's worth of slots. */
export function ceilPowerOfTwo(n: number): number {
  let p = SLOTS_PER_BUCKET;
  while (p < n) p *= 2;
  return p;
}
