// Where items live: the segment heap, the TTL chains and the hash index, and
// the operations that keep them consistent with each other and with the
// byte/item counters: finding a key (treating an expired or flushed item as
// absent and unlinking it on the spot), writing a record, linking or unlinking it,
// freeing whole segments, the expiry sweep and getting a segment for a
// writer (free pool, then expired segments, then eviction).
//
// It knows nothing of memcached commands; segment-store.ts builds those on
// top. Eviction policies (eviction.ts, merge-eviction.ts) work through it.
//
// Threads: the heap, chains and index are shared memory (`memory`); each
// thread has its own ItemSpace over them, whose fields below (lastHash,
// lastTag, lastMissExpired, pinned) are that thread's scratch between the
// calls of one locked store operation. lookupShared() runs under the shared
// store lock, and so does writeHeader() for the owner of a segment writing
// past its writeOffset (segment-store.ts, "Own segments"); every other
// method expects the exclusive lock.

import { hashBytes, tagOf } from './key-hash.js';
import { HashIndex, type KeySource } from './hash-index.js';
import {
  BIT_DEAD,
  BIT_HAS_CAS,
  BIT_HAS_DEADLINE,
  BIT_HAS_FLAGS,
  MAX_KEY_BYTES,
  fieldWord,
  keyOffset,
  makeWordA,
  recordBytes,
  recordDeadline,
} from './item-layout.js';
import { EVENT_EMPTIED, EVENT_EVICTED, EVENT_EXPIRED, LATEST_NEVER, MERGE_BUSY, NO_SEGMENT, FREE_BUCKET, SegmentHeap, type HeapMemory } from './segment-heap.js';
import { NEVER_BUCKET, TtlChains, placementBucket, type ChainsMemory } from './ttl-buckets.js';
import type { IndexMemory } from './hash-index.js';
import { NEVER } from './expiry-time.js';
import type { EvictionPolicy, StoreCounters } from './types.js';
import { ITEM_FETCHED } from './types.js';
import { GhostKeys, RECALL_ASKED, RECALL_NONE } from './ghost-keys.js';
import { ClassCounters, F_CRAWLER_ITEMS_CHECKED, newClassMemory } from './slab-classes.js';

/**
 * Frees at least one segment or reports that it cannot. `slices`, when the
 * policy has it, does the same as a generator that yields every
 * `sliceRecords` records so the caller can release the store lock between
 * (merge-eviction.ts evictSteps; the housekeeping thread uses it).
 */
export type Evictor = ((space: ItemSpace, nowS: number) => boolean) & {
  slices?: (space: ItemSpace, nowS: number, sliceRecords: number) => Generator<void, boolean>;
};

export interface ItemSpaceOptions {
  memoryLimitBytes: number;
  segmentSize: number;
  /** Reserve segments beyond the limit for cache_memlimit to grow into. */
  growthRoom: boolean;
  /** Bytes of the limit counted as allocated before the heap (StoreOptions). */
  preallocatedBytes?: number;
  hashSeed: number;
  /** Initial primary slots of the hash index. */
  hashSlots: number;
  /** Items / primary slots above which the index doubles. */
  hashMaxLoad: number;
  evictionPolicy: EvictionPolicy;
  evictor: Evictor | null;
  /** Ghost keys (ghost-keys.ts) remembered for readmission; 0 or absent: none. */
  ghostEntries?: number;
  /** Attach to an existing space's shared memory instead of creating one (the sizes above are then ignored). */
  memory?: SpaceMemory;
}

/** The shared buffers of an item space. */
export interface SpaceMemory {
  heap: HeapMemory;
  chains: ChainsMemory;
  index: IndexMemory;
  /** Ghost keys' table, when the space keeps them. */
  ghost?: SharedArrayBuffer;
}

/** Smallest record (8-byte header, 1-byte key, padded): the most items a heap can hold is its bytes / this. */
const MIN_RECORD_BYTES = 16;
/** Segments a flush_all left that one sweep() frees (see sweep). */
const FLUSHED_PER_SWEEP = 1;

const TWO_32 = 0x100000000;

export class ItemSpace implements KeySource {
  readonly heap: SegmentHeap;
  readonly chains: TtlChains;
  readonly index: HashIndex;
  /** Recently evicted keys, readmitted at frequency 1 (null: not kept). */
  readonly ghosts: GhostKeys | null;
  readonly segmentSize: number;
  /** Segment size in 8-byte units (location tokens). */
  readonly segmentUnits: number;
  readonly seed: number;
  /** A segment eviction and the sweep must leave alone (holds an item being rewritten). */
  pinned = NO_SEGMENT;
  /**
   * This thread's mark in SegmentHeap.busy for a segment it owns (2 + its
   * thread slot; 0: owns none): allocate() appends to a chain's tail that
   * is unmarked or marked by this thread only (segment-store.ts, "own
   * segments").
   */
  ownMark = 0;
  /** Set by lookup(): hash and tag of the key, and whether a miss was an expired item. */
  lastHash = 0;
  lastTag = 0;
  lastMissExpired = false;
  /** With lastMissExpired: the item was dead because a flush_all came after it (memcached's get_flushed), not by its deadline. */
  lastMissFlushed = false;
  /** lookupShared(): the expired record it found (valid with lastMissExpired). */
  lastFoundAddr = -1;
  /** Free segments below which `onLowReserve` is called when a writer takes one. */
  reserve = 0;
  onLowReserve: (() => void) | null = null;
  /** Called with each live item's address as eviction drops it (record still intact); null = nobody listens. */
  onEvict: ((addr: number, nowS: number) => void) | null = null;
  /**
   * Per memcached-slab-class counts (slab-classes.ts): every place that
   * links, retires, evicts or reclaims an item tells it the item's class.
   * The store replaces this private one with this thread's shared view.
   */
  classes: ClassCounters;
  private readonly evictor: Evictor | null;

  constructor(
    options: ItemSpaceOptions,
    readonly counters: StoreCounters,
  ) {
    const memory = options.memory;
    this.heap = memory ? new SegmentHeap(memory.heap) : new SegmentHeap(options.memoryLimitBytes, options.segmentSize, options.growthRoom, options.preallocatedBytes ?? 0);
    this.chains = new TtlChains(this.heap, memory?.chains);
    this.segmentSize = this.heap.segmentSize;
    this.segmentUnits = this.segmentSize / 8;
    this.seed = options.hashSeed;
    this.evictor = options.evictionPolicy === 'none' ? null : options.evictor;
    this.index = memory
      ? new HashIndex(this, memory.index)
      : new HashIndex(this, options.hashSlots, options.hashMaxLoad, options.hashSeed ^ 0x5bd1e995, this.heap.reservedBytes / MIN_RECORD_BYTES);
    const ghostMemory = memory ? memory.ghost : (options.ghostEntries ?? 0) > 0 ? new GhostKeys(options.ghostEntries!).memory : undefined;
    this.ghosts = ghostMemory === undefined ? null : new GhostKeys(0, ghostMemory);
    this.classes = new ClassCounters(newClassMemory(1, this.heap.segmentCount), 0, true);
  }

  /** The memcached slab class of the record at `addr`. */
  classAt(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = this.heap.words[seg]!;
    return this.classes.classOf(words[w]!, words[w + 1]!);
  }

  /** Count the expired item at `addr` as reclaimed in its class (before retire). */
  countReclaimed(addr: number): void {
    this.classes.reclaimed(this.classAt(addr), (this.wordA(addr) & (ITEM_FETCHED << 8)) !== 0);
  }

  /** The shared buffers (another thread attaches with them). */
  get memory(): SpaceMemory {
    const memory: SpaceMemory = { heap: this.heap.memory, chains: this.chains.memory, index: this.index.memory };
    if (this.ghosts !== null) memory.ghost = this.ghosts.memory;
    return memory;
  }

  // ---- addresses -------------------------------------------------------

  segmentOf(addr: number): number {
    return Math.floor(addr / this.segmentSize);
  }

  /** Hash-slot location of an address. */
  locOf(addr: number): number {
    return addr / 8 + 1;
  }

  addrOf(loc: number): number {
    return (loc - 1) * 8;
  }

  // ---- record fields (addr = segment * segmentSize + offset) ------------

  wordA(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    return this.heap.words[seg]![(addr - seg * this.segmentSize) >>> 2]!;
  }

  valueLength(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    return this.heap.words[seg]![((addr - seg * this.segmentSize) >>> 2) + 1]!;
  }

  /** Deadline of the record, NEVER when it has none. */
  deadline(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = this.heap.words[seg]!;
    return recordDeadline(words, w, words[w]!);
  }

  flags(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = this.heap.words[seg]!;
    const a = words[w]!;
    return a & (BIT_HAS_FLAGS << 8) ? words[fieldWord(w, a, BIT_HAS_FLAGS)]! : 0;
  }

  /** The explicit CAS field, or 0 when the record has none. */
  explicitCas(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = this.heap.words[seg]!;
    const a = words[w]!;
    if (!(a & (BIT_HAS_CAS << 8))) return 0;
    const at = fieldWord(w, a, BIT_HAS_CAS);
    return words[at]! + words[at + 1]! * TWO_32;
  }

  /**
   * CAS token derived from where the record lives: the segment's generation
   * (fresh every time a segment is opened or compacted) and the offset.
   * Unique because a generation is never reused and a segment is append-only
   * within one generation. Below 2^53 for 2^53 / (segmentSize / 8) segment
   * openings: 2^36 with 1 MiB segments.
   */
  locationCas(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    return this.heap.generation[seg]! * this.segmentUnits + (addr - seg * this.segmentSize) / 8 + 1;
  }

  /** Byte offset (within its segment) of the record's key. */
  keyStart(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    const off = addr - seg * this.segmentSize;
    return keyOffset(off, this.heap.words[seg]![off >>> 2]!);
  }

  /** Byte offset (within its segment) of the record's value. */
  valueStart(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    const off = addr - seg * this.segmentSize;
    const a = this.heap.words[seg]![off >>> 2]!;
    return keyOffset(off, a) + (a & 0xff);
  }

  recordSize(addr: number): number {
    const seg = Math.floor(addr / this.segmentSize);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = this.heap.words[seg]!;
    const a = words[w]!;
    return recordBytes(a & 0xff, words[w + 1]!, (a >>> 8) & 0xff);
  }

  // ---- KeySource --------------------------------------------------------

  keyMatches(loc: number, key: Uint8Array): boolean {
    const addr = (loc - 1) * 8;
    const seg = Math.floor(addr / this.segmentSize);
    const off = addr - seg * this.segmentSize;
    const a = this.heap.words[seg]![off >>> 2]!;
    const n = key.length;
    if ((a & 0xff) !== n) return false;
    const bytes = this.heap.bytes[seg]!;
    const p = keyOffset(off, a);
    if (n > 32) return bytes.compare(key, 0, n, p, p + n) === 0;
    for (let i = 0; i < n; i++) if (bytes[p + i] !== key[i]) return false;
    return true;
  }

  hashAt(loc: number): number {
    const addr = (loc - 1) * 8;
    const seg = Math.floor(addr / this.segmentSize);
    const off = addr - seg * this.segmentSize;
    const a = this.heap.words[seg]![off >>> 2]!;
    const p = keyOffset(off, a);
    return hashBytes(this.heap.bytes[seg]!, p, p + (a & 0xff), this.seed);
  }

  // ---- lookup and linking -----------------------------------------------

  /**
   * Address of the live item for `key`, or -1. An expired item found here is
   * unlinked at once (counted in expiredReclaimed) and `lastMissExpired` set.
   * Leaves the key's hash and tag in lastHash / lastTag and the slot found in
   * the index for countHit / relink.
   */
  lookup(key: Uint8Array, nowS: number): number {
    this.lastMissExpired = false;
    this.lastMissFlushed = false;
    const n = key.length;
    if (n === 0 || n > MAX_KEY_BYTES) return -1;
    return this.lookupHashed(key, hashBytes(key, 0, n, this.seed), nowS);
  }

  /** lookup() of a valid key whose hash the caller computed (outside the lock: it is a pure function of the key). */
  lookupHashed(key: Uint8Array, hash: number, nowS: number): number {
    this.lastMissExpired = false;
    this.lastMissFlushed = false;
    const tag = tagOf(hash);
    this.lastHash = hash;
    this.lastTag = tag;
    const loc = this.index.find(key, hash, tag);
    if (loc === 0) return -1;
    const addr = (loc - 1) * 8;
    const deadline = this.deadline(addr);
    const flushed = this.heap.isFlushed(Math.floor(addr / this.segmentSize));
    if (flushed || (deadline !== NEVER && nowS >= deadline)) {
      // Dead either way: unlinked now and counted as reclaimed (memcached
      // reclaims a flushed item as it does an expired one).
      this.lastMissFlushed = flushed;
      this.index.removeFound();
      if ((this.wordA(addr) & (ITEM_FETCHED << 8)) === 0) this.counters.expiredUnfetched++;
      this.countReclaimed(addr);
      this.retire(addr);
      this.counters.expiredReclaimed++;
      this.lastMissExpired = true;
      return -1;
    }
    return addr;
  }

  /**
   * lookup() for a reader under the shared store lock: the same answer,
   * but an expired item is only reported (lastMissExpired), never
   * unlinked, since that would write the index and the heap beside other
   * readers; a writer's lookup or the sweep reclaims it. `nowS` -1 (a
   * delayed flush is due, see SegmentStore.nowShared) finds every item
   * flushed. A flushed item is reported as expired with lastMissFlushed.
   */
  lookupShared(key: Uint8Array, nowS: number): number {
    return this.lookupSharedHashed(key, this.keyHash(key), nowS);
  }

  /** The index hash of `key` (0 for an empty or too long key, which no lookup finds). */
  keyHash(key: Uint8Array): number {
    const n = key.length;
    return n === 0 || n > MAX_KEY_BYTES ? 0 : hashBytes(key, 0, n, this.seed);
  }

  /** lookupShared() with the key's hash (keyHash) already computed. */
  lookupSharedHashed(key: Uint8Array, hash: number, nowS: number): number {
    this.lastMissExpired = false;
    this.lastMissFlushed = false;
    const n = key.length;
    if (n === 0 || n > MAX_KEY_BYTES) return -1;
    const tag = tagOf(hash);
    this.lastHash = hash;
    this.lastTag = tag;
    const loc = this.index.find(key, hash, tag);
    if (loc === 0) return -1;
    const addr = (loc - 1) * 8;
    const flushed = nowS < 0 || this.heap.isFlushed(Math.floor(addr / this.segmentSize));
    const deadline = this.deadline(addr);
    if (flushed || (deadline !== NEVER && nowS >= deadline)) {
      this.lastMissExpired = true;
      this.lastMissFlushed = flushed;
      this.lastFoundAddr = addr;
      return -1;
    }
    return addr;
  }

  /**
   * Mark a record dead and take it off its segment's and the store's live
   * counts. Its slot must already be gone or relinked elsewhere.
   */
  retire(addr: number): void {
    const seg = Math.floor(addr / this.segmentSize);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = this.heap.words[seg]!;
    const a = words[w]!;
    const size = recordBytes(a & 0xff, words[w + 1]!, (a >>> 8) & 0xff);
    words[w] = (a | (BIT_DEAD << 8)) >>> 0;
    this.heap.liveItems[seg]!--;
    this.heap.liveBytes[seg]! -= size;
    this.counters.items--;
    this.counters.bytes -= size;
    this.classes.removed(this.classes.classOf(a, words[w + 1]!), size);
  }

  /** Unlink the live item at `addr` whose key hashes to `hash` (delete, negative exptime). */
  unlink(addr: number, hash: number): void {
    if (this.index.findLoc(hash, this.locOf(addr))) this.index.removeFound();
    this.retire(addr);
  }

  /**
   * Link a freshly written record: replaces `oldAddr`'s slot, or inserts
   * when oldAddr < 0. `cls`: its slab class, as given to writeRecord.
   */
  link(addr: number, oldAddr: number, hash: number, tag: number, cls: number): void {
    const loc = this.locOf(addr);
    if (oldAddr >= 0 && this.index.findLoc(hash, this.locOf(oldAddr))) {
      // A new version keeps the key's read frequency (merge eviction ranks by it).
      this.index.relinkFoundWithFrequency(loc, this.index.foundFrequency());
      this.retire(oldAddr);
    } else {
      this.insertNew(addr, hash, tag, loc);
    }
    const size = this.recordSize(addr);
    this.counters.items++;
    this.counters.bytes += size;
    this.classes.added(cls, size);
  }

  /** A get missed the key hashing to `hash` (keyHash): a ghost of it is now asked for (ghost-keys.ts). */
  noteGetMiss(hash: number): void {
    if (this.ghosts !== null) this.ghosts.missed(hash);
  }

  /** A key with no live version gets its slot; one evicted lately and written again is admitted as read once, its segment marked read if a get missed it (ghost-keys.ts). */
  private insertNew(addr: number, hash: number, tag: number, loc: number): void {
    const recalled = this.ghosts === null ? RECALL_NONE : this.ghosts.recall(hash);
    if (recalled !== RECALL_NONE) {
      this.index.insert(hash, tag, loc, 1);
      if (recalled === RECALL_ASKED) this.heap.read[this.segmentOf(addr)] = 1;
    } else {
      this.index.insert(hash, tag, loc);
    }
  }

  /**
   * link() straight after lookup()/lookupHashed() of the same key returned
   * `oldAddr`, with no index change between: the found slot is still that
   * key's, so no second probe. `size`: the new record's bytes, `cls` its
   * slab class (as given to writeHeader). `fresh`:
   * the old version had expired, so the key's read count starts over (as
   * after an unlink and insert).
   */
  linkFound(addr: number, oldAddr: number, hash: number, tag: number, size: number, cls: number, fresh = false): void {
    const loc = this.locOf(addr);
    if (oldAddr >= 0) {
      if (fresh) this.index.relinkFound(loc);
      else this.index.relinkFoundWithFrequency(loc, this.index.foundFrequency());
      this.retire(oldAddr);
    } else {
      this.insertNew(addr, hash, tag, loc);
    }
    this.counters.items++;
    this.counters.bytes += size;
    this.classes.added(cls, size);
  }

  // ---- writing ----------------------------------------------------------

  /** TTL bucket for an item with `deadline` written at `nowS`. */
  bucketFor(deadline: number, nowS: number): number {
    return deadline === NEVER ? NEVER_BUCKET : placementBucket(deadline - nowS, this.heap.activeCount);
  }

  /**
   * Reserve `size` bytes at the tail of `bucket`, opening a segment if needed
   * (free pool, then expired segments, then eviction). Returns the address,
   * or -1 when no segment can be had.
   */
  allocate(bucket: number, size: number, nowS: number): number {
    const heap = this.heap;
    const tail = this.chains.tail[bucket]!;
    // A tail a paused merge holds (it became the tail when the one after it was swept) takes no writes.
    // Nor does a tail another thread owns (its owner appends there beside readers),
    // nor one a flush_all left (what it holds is flushed, and so would a new record be).
    if (
      tail !== NO_SEGMENT &&
      heap.writeOffset[tail]! + size <= this.segmentSize &&
      (heap.busy[tail] === 0 || heap.busy[tail] === this.ownMark) &&
      !heap.isFlushed(tail)
    ) {
      const off = heap.writeOffset[tail]!;
      heap.writeOffset[tail] = off + size;
      return tail * this.segmentSize + off;
    }
    const seg = this.obtainSegment(nowS);
    if (seg === NO_SEGMENT) return -1;
    this.classes.clearMarks(seg);
    this.chains.append(bucket, seg);
    heap.writeOffset[seg] = size;
    return seg * this.segmentSize;
  }

  private obtainSegment(nowS: number): number {
    let seg = this.heap.take(nowS);
    if (seg !== NO_SEGMENT) {
      if (this.heap.freeCount < this.reserve && this.onLowReserve !== null) this.onLowReserve();
      return seg;
    }
    // Expired bytes go first: never evict live data while dead segments wait.
    this.sweep(nowS);
    seg = this.heap.take(nowS);
    if (seg !== NO_SEGMENT || this.evictor === null) return seg;
    // A request pays for eviction itself: the free reserve ran dry.
    this.counters.inlineMerges++;
    for (let attempt = 0; attempt <= this.heap.segmentCount; attempt++) {
      if (!this.evictor(this, nowS)) return NO_SEGMENT;
      seg = this.heap.take(nowS);
      if (seg !== NO_SEGMENT) return seg;
    }
    return NO_SEGMENT;
  }

  /**
   * Write a record header and key at `addr` (from allocate) and account it
   * in its segment. Returns the byte offset of the value within the segment;
   * the caller copies the value bytes there. `cas` 0 = no explicit CAS.
   * `cls`: the record's slab class (ClassCounters.classFor), worked out
   * once by the caller and passed on to link().
   */
  writeRecord(
    addr: number,
    key: Uint8Array,
    valueLength: number,
    flags: number,
    deadline: number,
    cas: number,
    metaBits: number,
    nowS: number,
    cls: number,
  ): number {
    const seg = Math.floor(addr / this.segmentSize);
    const off = addr - seg * this.segmentSize;
    // Records before this one are whole, so a widening of the unit may walk them.
    const stamp = this.heap.accessStamp(seg, nowS, off);
    const valueAt = this.writeHeader(seg, off, key, valueLength, flags, deadline, cas, metaBits, stamp, cls);
    this.account(seg, recordBytes(key.length, valueLength, recordBits(flags, deadline, cas, metaBits)), deadline);
    return valueAt;
  }

  /**
   * The bytes of writeRecord only: header, fields and key at `off` of
   * `seg`, nothing accounted. Touches no memory but [off, off + header +
   * key), so the owner of a segment may call it under the shared lock for
   * space past the segment's writeOffset, which no one else reads.
   */
  writeHeader(
    seg: number,
    off: number,
    key: Uint8Array,
    valueLength: number,
    flags: number,
    deadline: number,
    cas: number,
    metaBits: number,
    stamp: number,
    cls: number,
  ): number {
    const heap = this.heap;
    const words = heap.words[seg]!;
    const bits = recordBits(flags, deadline, cas, metaBits);
    const n = key.length;
    let w = off >>> 2;
    const wordA = makeWordA(n, bits, stamp);
    words[w] = wordA;
    words[w + 1] = valueLength;
    this.classes.mark(seg, cls);
    w += 2;
    if (cas !== 0) {
      words[w] = cas % TWO_32;
      words[w + 1] = Math.floor(cas / TWO_32);
      w += 2;
    }
    if (flags !== 0) words[w++] = flags;
    if (deadline !== NEVER) words[w++] = deadline;
    const keyAt = w * 4;
    heap.bytes[seg]!.set(key, keyAt);
    return keyAt + n;
  }

  /** Count a record of `size` bytes written into `seg` in its segment's live figures. */
  account(seg: number, size: number, deadline: number): void {
    const heap = this.heap;
    heap.liveItems[seg]!++;
    heap.liveBytes[seg]! += size;
    const latest = deadline === NEVER ? LATEST_NEVER : deadline;
    if (latest > heap.latestDeadline[seg]!) heap.latestDeadline[seg] = latest;
  }

  // ---- freeing segments ---------------------------------------------------

  /**
   * Drop every live item of `seg` (expired ones count as reclaimed, the rest
   * as evictions), unlink it from its chain and return it to the pool.
   */
  freeSegment(seg: number, nowS: number): void {
    const heap = this.heap;
    if (heap.liveItems[seg]! > 0) {
      const end = heap.writeOffset[seg]!;
      for (let off = 0; off < end; ) off = this.dropRecord(seg, off, nowS);
    }
    this.releaseSegment(seg, nowS);
  }

  /**
   * freeSegment's step: unlink the record at `off` of `seg` if it is live
   * (counted as expired or evicted) and return the next record's offset.
   * A merge in slices (merge-eviction.ts) drops a segment a few records at a
   * time with this, then calls releaseSegment.
   */
  dropRecord(seg: number, off: number, nowS: number): number {
    const words = this.heap.words[seg]!;
    const w = off >>> 2;
    const a = words[w]!;
    const bits = (a >>> 8) & 0xff;
    const size = recordBytes(a & 0xff, words[w + 1]!, bits);
    if (!(bits & BIT_DEAD)) {
      const addr = seg * this.segmentSize + off;
      const loc = addr / 8 + 1;
      const hash = this.hashAt(loc);
      if (this.index.findLoc(hash, loc)) {
        this.index.removeFound();
        const deadline = recordDeadline(words, w, a);
        const expired = this.heap.isFlushed(seg) || (deadline !== NEVER && nowS >= deadline);
        const classes = this.classes;
        const cls = classes.classOf(a, words[w + 1]!);
        if (classes.crawling) classes.count(cls, F_CRAWLER_ITEMS_CHECKED);
        if (expired) {
          this.counters.expiredReclaimed++;
          classes.reclaimed(cls, (bits & ITEM_FETCHED) !== 0);
        } else {
          classes.evicted(cls, Math.max(0, nowS - this.heap.accessTime(seg, a)), deadline !== NEVER, (bits & ITEM_FETCHED) !== 0);
          this.counters.evictions++;
          if (this.ghosts !== null) this.ghosts.remember(hash);
          if (this.onEvict !== null) this.onEvict(addr, nowS);
        }
        if ((bits & ITEM_FETCHED) === 0) {
          if (expired) this.counters.expiredUnfetched++;
          else this.counters.evictedUnfetched++;
        }
        this.retire(addr);
      }
    }
    return off + size;
  }

  /** Unlink `seg` (its records all dropped) from its chain and return it to the pool. */
  releaseSegment(seg: number, nowS: number): void {
    this.chains.unlink(seg);
    this.heap.release(seg);
    this.heap.mark(seg, EVENT_EVICTED, nowS);
  }

  /**
   * Proactive expiry: free every segment whose items have all expired (its
   * latest deadline passed) or that holds no live item, and one a flush_all
   * left; false when more flushed segments wait (call again). Reads segment
   * headers only; item records are read just in the segments being freed.
   */
  sweep(nowS: number): boolean {
    // Flushed segments cost a walk of their records each (an index removal
    // per item): one per sweep, so a writer short of room after a flush_all
    // on a full heap holds the lock for one segment's walk, not the heap's.
    const n = this.heap.segmentCount;
    return this.sweepRange(nowS, 0, n, FLUSHED_PER_SWEEP) >= n;
  }

  /**
   * sweep() over segments [start, end) only: the housekeeping thread's
   * bounded step. Segments a flush_all left are freed too, at most
   * `flushedBudget` of them (each is a walk of its records; 0: none, they
   * are passed over); returns the segment after the last one looked at
   * (`end` unless the budget ran out).
   */
  sweepRange(nowS: number, start: number, end: number, flushedBudget = Infinity): number {
    const heap = this.heap;
    let flushedLeft = flushedBudget;
    for (let seg = start; seg < end; seg++) {
      const bucket = heap.bucket[seg]!;
      // An owned segment is swept like any other (release() ends the ownership; its owner notices).
      if (bucket === FREE_BUCKET || seg === this.pinned || heap.busy[seg] === MERGE_BUSY) continue;
      if (heap.liveItems[seg] !== 0 && heap.isFlushed(seg) && flushedBudget > 0) {
        // Lazy flush_all: its items count as reclaimed, as memcached's LRU
        // maintainer counts the flushed items it finds (not crawler_reclaimed).
        if (flushedLeft-- <= 0) return seg;
        this.freeSegment(seg, nowS);
        heap.mark(seg, EVENT_EXPIRED, nowS);
      } else if (heap.liveItems[seg] === 0) {
        // Emptied by deletes, overwrites or lazily expired reads.
        const expired = bucket !== NEVER_BUCKET && heap.latestDeadline[seg]! <= nowS;
        if (expired) this.counters.expiredSegments++;
        this.chains.unlink(seg);
        heap.release(seg);
        heap.mark(seg, expired ? EVENT_EXPIRED : EVENT_EMPTIED, nowS);
      } else if (bucket !== NEVER_BUCKET && heap.latestDeadline[seg]! <= nowS && heap.createTime[seg]! < nowS) {
        // The sweep is our LRU crawler: what it frees counts as crawler_reclaimed.
        // Not a segment opened this second: all it can hold is items stored
        // already expired (every other deadline lies past its store second),
        // which memcached keeps until a get meets them and counts get_expired
        // (t/stats.t); freed from the next second.
        const reclaimedBefore = this.counters.expiredReclaimed;
        this.counters.crawlerItemsChecked += heap.liveItems[seg]!;
        this.classes.crawling = true;
        try {
          this.freeSegment(seg, nowS);
        } finally {
          this.classes.crawling = false;
        }
        heap.mark(seg, EVENT_EXPIRED, nowS);
        this.counters.crawlerReclaimed += this.counters.expiredReclaimed - reclaimedBefore;
        this.counters.expiredSegments++;
      }
    }
    return end;
  }

  /**
   * Free every segment a flush_all left (not one a paused merge holds), its
   * items counted as reclaimed. True if a flushed segment with items was
   * left (a paused merge or a pin holds it).
   */
  reclaimFlushed(nowS: number): boolean {
    const heap = this.heap;
    let left = false;
    for (let seg = 0; seg < heap.segmentCount; seg++) {
      if (heap.isFree(seg) || !heap.isFlushed(seg)) continue;
      if (seg === this.pinned || heap.busy[seg] === MERGE_BUSY) {
        if (heap.liveItems[seg]! > 0) left = true;
        continue;
      }
      this.freeSegment(seg, nowS);
      heap.mark(seg, EVENT_EXPIRED, nowS);
    }
    return left;
  }

  /**
   * Rebuild the per-class gauges and segment marks from the records (after
   * a warm restart restored the heap): one pass over every live record.
   */
  recountClasses(): void {
    const heap = this.heap;
    const classes = this.classes;
    classes.clearGauges();
    for (let seg = 0; seg < heap.segmentCount; seg++) {
      if (heap.bucket[seg] === FREE_BUCKET) continue;
      const words = heap.words[seg]!;
      const end = heap.writeOffset[seg]!;
      for (let off = 0; off < end; ) {
        const w = off >>> 2;
        const a = words[w]!;
        const bits = (a >>> 8) & 0xff;
        const size = recordBytes(a & 0xff, words[w + 1]!, bits);
        const cls = classes.classOf(a, words[w + 1]!);
        classes.mark(seg, cls);
        if (!(bits & BIT_DEAD)) classes.added(cls, size);
        off += size;
      }
    }
  }

  /** Forget every item (flush_all). */
  clearAll(): void {
    this.index.clear();
    this.chains.clear();
    if (this.ghosts !== null) this.ghosts.clear();
    this.heap.releaseAll();
    this.counters.items = 0;
    this.counters.bytes = 0;
    this.classes.clearGauges();
  }
}

/** The meta bits of a record with these fields. */
export function recordBits(flags: number, deadline: number, cas: number, metaBits: number): number {
  let bits = metaBits;
  if (flags !== 0) bits |= BIT_HAS_FLAGS;
  if (deadline !== NEVER) bits |= BIT_HAS_DEADLINE;
  if (cas !== 0) bits |= BIT_HAS_CAS;
  return bits;
}
