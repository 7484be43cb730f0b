// The CacheStore: memcached's storage commands (memcached 1.6 semantics) on
// top of the Segcache-style item space. No wire protocol here; every result
// is a small status string and no exception is thrown on the hot path.
//
// CAS uniques, the choice (segcache.md §12.2): a token derived from where the
// item lives, generation(segment) * (segmentSize / 8) + offset / 8 + 1, where
// a segment's generation is a global counter bumped each time the segment is
// opened or compacted. It costs 0 bytes per item; every write of a new
// version lands at a new (generation, offset), so a token is never reused
// and cannot let a lost update through. Prices: a merge moves survivors (and
// compacts in place under a fresh generation), which changes their token, so
// a client holding one gets a rare spurious EXISTS; touch must keep the
// token, so it patches the deadline in place, or, when the item has no
// deadline field (or becomes never-expiring), writes a copy carrying the old
// token in an explicit 8-byte field. Measured (npm run bench:store, 3 M items
// with 14-byte keys and 50-byte values into 64 MiB): location tokens keep
// 928,840 items (72 bytes each); an 8-byte CAS stored in every item keeps
// 816,340 (80 bytes each), 12% fewer.
// casEnabled=false (memcached -C): tokens read 0 and compare-and-set answers
// EXISTS.

import type {
  ArithStatus,
  CacheStore,
  Clock,
  DeleteStatus,
  EvictionPolicy,
  ItemRef,
  StoreCounters,
  StoreOptions,
  StoreShape,
  StoreStatus,
  TouchStatus,
} from './types.js';
import { ItemSpace } from './item-space.js';
import { ItemWalk } from './item-walk.js';
import { evictorFor } from './eviction.js';
import { MERGE_SEGMENTS } from './merge-eviction.js';
import {
  BIT_HAS_CAS,
  BIT_HAS_DEADLINE,
  BIT_HAS_FLAGS,
  MAX_KEY_BYTES,
  META_BITS,
  fieldWord,
  recordBytes,
} from './item-layout.js';
import { EXPIRED, NEVER, deadlineFor, flushMomentFor } from './expiry-time.js';
import { NOT_A_NUMBER, U64_MASK, applyDelta, formatU64, parseU64 } from './decimal-u64.js';
import { NO_SEGMENT } from './segment-heap.js';
import { BUCKET_COUNT } from './ttl-buckets.js';
import { ceilPowerOfTwo } from './hash-index.js';
import { randomSeed } from './key-hash.js';
import { defaultSegmentSize, newCounters } from './store-defaults.js';
import { batchClock } from './batch-clock.js';

/** Knobs the benchmark and tests use; not part of the server's settings. */
export interface StoreTuning {
  /** Store an 8-byte CAS in every item (the measured alternative to location tokens). */
  perItemCas?: boolean;
  /** Items per primary hash slot above which the index doubles (default 0.9). */
  hashMaxLoad?: number;
  /**
   * Item size assumed when presizing the hash index from the memory limit
   * (default 128: 8 MiB of slots for -m 64). Measured: presizing for 512
   * saves 6 MiB of RSS with 500-byte values, but with 50-byte ones the
   * index then doubles twice and the drained tables stay resident until a
   * major GC, 6 MiB more RSS; no CPU difference showed.
   */
  typicalItemBytes?: number;
  /** Period of the proactive expiry timer (default 1000 ms). */
  expiryIntervalMs?: number;
}

/** Values up to this many bytes are copied out word by word (see copyValue). */
const SMALL_VALUE_COPY = 128;
/** Buckets of the hash index migrated per expiry tick while it expands. */
const MIGRATE_PER_TICK = 8192;
/** Expiry tick: a segment whose items all expired is free within this plus one sweep. */
const EXPIRY_INTERVAL_MS = 1000;

export class SegmentStore implements CacheStore {
  readonly counters: StoreCounters = newCounters();
  readonly options: Readonly<Required<Omit<StoreOptions, 'clock' | 'hashSeed' | 'hashPower'>>>;
  lastCas = 0;
  lastArithValue = 0n;

  private readonly space: ItemSpace;
  private readonly clock: Clock;
  private readonly casEnabled: boolean;
  private readonly perItemCas: boolean;
  private readonly itemSizeMax: number;
  private readonly segmentSize: number;
  /** Last stored per-item CAS (perItemCas only). */
  private casCounter = 0;
  /** Second at which a delayed flush_all takes effect, -1 when none. */
  private pendingFlushAt = -1;
  private timer: NodeJS.Timeout | undefined;
  private readonly expiryIntervalMs: number;

  constructor(options: StoreOptions, tuning: StoreTuning = {}) {
    const segmentSize = options.segmentSize ?? defaultSegmentSize(options.memoryLimitBytes, options.itemSizeMax);
    const evictionPolicy: EvictionPolicy = options.evictionPolicy ?? 'merge';
    this.options = {
      memoryLimitBytes: options.memoryLimitBytes,
      itemSizeMax: options.itemSizeMax,
      segmentSize,
      evictionPolicy,
      casEnabled: options.casEnabled ?? true,
      mergeSegments: options.mergeSegments ?? MERGE_SEGMENTS,
    };
    this.clock = options.clock ?? batchClock;
    this.casEnabled = this.options.casEnabled;
    this.perItemCas = (tuning.perItemCas ?? false) && this.casEnabled;
    this.itemSizeMax = options.itemSizeMax;
    this.segmentSize = segmentSize;
    this.expiryIntervalMs = tuning.expiryIntervalMs ?? EXPIRY_INTERVAL_MS;
    const maxLoad = tuning.hashMaxLoad ?? 0.9;
    const hashSlots =
      options.hashPower !== undefined && options.hashPower > 0
        ? 2 ** Math.min(31, Math.max(3, options.hashPower))
        : ceilPowerOfTwo(options.memoryLimitBytes / (tuning.typicalItemBytes ?? 128) / maxLoad);
    this.space = new ItemSpace(
      {
        memoryLimitBytes: options.memoryLimitBytes,
        segmentSize,
        hashSeed: options.hashSeed ?? randomSeed(),
        hashSlots,
        hashMaxLoad: maxLoad,
        evictionPolicy,
        evictor: evictorFor(evictionPolicy, this.options.mergeSegments),
      },
      this.counters,
    );
  }

  // ---- lookups -----------------------------------------------------------

  get(key: Buffer): ItemRef {
    const nowS = this.now();
    const addr = this.space.lookup(key, nowS);
    if (addr < 0) {
      this.counters.getMisses++;
      if (this.space.lastMissExpired) this.counters.getExpired++;
      return -1;
    }
    this.counters.getHits++;
    this.space.index.countHit(nowS);
    this.markFetched(addr, nowS);
    return addr;
  }

  peek(key: Buffer): ItemRef {
    return this.space.lookup(key, this.now());
  }

  // ---- item fields -------------------------------------------------------

  itemFlags(ref: ItemRef): number {
    return this.space.flags(ref);
  }

  itemValueLength(ref: ItemRef): number {
    return this.space.valueLength(ref);
  }

  itemValue(ref: ItemRef): Buffer {
    const seg = this.space.segmentOf(ref);
    const start = this.space.valueStart(ref);
    return this.space.heap.bytes[seg]!.subarray(start, start + this.space.valueLength(ref));
  }

  copyValue(ref: ItemRef, target: Buffer, offset: number, targetView?: DataView<ArrayBufferLike>): number {
    const seg = this.space.segmentOf(ref);
    const start = this.space.valueStart(ref);
    const n = this.space.valueLength(ref);
    const bytes = this.space.heap.bytes[seg]!;
    if (targetView === undefined || n > SMALL_VALUE_COPY || offset + n > target.length) {
      return bytes.copy(target, offset, start, start + n);
    }
    // Small values: 4 bytes at a time through DataViews, which allocates
    // nothing (Buffer.copy makes a view object per call) and is faster up
    // to a few hundred bytes.
    const src = this.space.heap.views[seg]!;
    let i = 0;
    for (; i + 4 <= n; i += 4) targetView.setUint32(offset + i, src.getUint32(start + i));
    for (; i < n; i++) target[offset + i] = bytes[start + i]!;
    return n;
  }

  itemCas(ref: ItemRef): number {
    if (!this.casEnabled) return 0;
    const explicit = this.space.explicitCas(ref);
    return explicit !== 0 ? explicit : this.space.locationCas(ref);
  }

  itemTtlRemaining(ref: ItemRef): number {
    const deadline = this.space.deadline(ref);
    if (deadline === NEVER) return -1;
    return Math.max(0, deadline - this.nowSeconds());
  }

  itemKey(ref: ItemRef): Buffer {
    const seg = this.space.segmentOf(ref);
    const start = this.space.keyStart(ref);
    return this.space.heap.bytes[seg]!.subarray(start, start + (this.space.wordA(ref) & 0xff));
  }

  itemBits(ref: ItemRef): number {
    return (this.space.wordA(ref) >>> 8) & META_BITS;
  }

  setItemBits(ref: ItemRef, bits: number): void {
    const seg = this.space.segmentOf(ref);
    const w = (ref - seg * this.segmentSize) >>> 2;
    const words = this.space.heap.words[seg]!;
    words[w] = ((words[w]! & ~(META_BITS << 8)) | ((bits & META_BITS) << 8)) >>> 0;
  }

  itemLastAccess(ref: ItemRef): number {
    return (this.nowSeconds() - (this.space.wordA(ref) >>> 16)) & 0xffff;
  }

  // ---- storage commands --------------------------------------------------

  store(
    mode: 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas',
    key: Buffer,
    value: Buffer,
    flags: number,
    exptime: number,
    cas: number,
  ): StoreStatus {
    const nowS = this.now();
    const space = this.space;
    const counters = this.counters;
    const n = key.length;
    if (n === 0 || n > MAX_KEY_BYTES) return 'not_stored';
    if (value.length > this.itemSizeMax) {
      counters.storeTooLarge++;
      return 'too_large';
    }
    const old = space.lookup(key, nowS);
    const hash = space.lastHash;
    const tag = space.lastTag;
    if (old >= 0) {
      if (mode === 'add') return 'not_stored';
    } else if (mode === 'replace' || mode === 'append' || mode === 'prepend') {
      return 'not_stored';
    }
    // cas, and any other mode given a nonzero cas (binary protocol), compare first.
    if (mode === 'cas' || (cas !== 0 && mode !== 'add')) {
      const countsAsCas = mode === 'cas' || mode === 'set';
      if (old < 0) {
        if (countsAsCas) counters.casMisses++;
        return 'not_found';
      }
      if (!this.casEnabled || this.itemCas(old) !== cas) {
        if (countsAsCas) counters.casBadval++;
        return 'exists';
      }
      if (countsAsCas) counters.casHits++;
    }

    let valueLength = value.length;
    let itemFlags = flags >>> 0;
    let deadline: number;
    const joining = mode === 'append' || mode === 'prepend';
    if (joining) {
      // memcached keeps the existing item's flags and exptime.
      valueLength += space.valueLength(old);
      if (valueLength > this.itemSizeMax) return 'not_stored';
      itemFlags = space.flags(old);
      deadline = space.deadline(old);
    } else {
      deadline = deadlineFor(exptime, nowS);
      if (deadline === EXPIRED) {
        // Stored and at once expired: the old value is gone, the next get misses.
        if (old >= 0) space.unlink(old, hash);
        counters.totalItems++;
        this.lastCas = 0;
        return 'stored';
      }
    }
    const explicitCas = this.perItemCas ? ++this.casCounter : 0;
    const addr = this.reserve(n, valueLength, itemFlags, deadline, explicitCas, old, nowS);
    if (addr < 0) return addr === -2 ? 'too_large' : 'out_of_memory';
    const valueAt = space.writeRecord(addr, key, valueLength, itemFlags, deadline, explicitCas, 0, nowS);
    const target = space.heap.bytes[space.segmentOf(addr)]!;
    if (joining) {
      const oldBytes = space.heap.bytes[space.segmentOf(old)]!;
      const oldStart = space.valueStart(old);
      const oldLength = space.valueLength(old);
      if (mode === 'append') {
        oldBytes.copy(target, valueAt, oldStart, oldStart + oldLength);
        target.set(value, valueAt + oldLength);
      } else {
        target.set(value, valueAt);
        oldBytes.copy(target, valueAt + value.length, oldStart, oldStart + oldLength);
      }
    } else {
      target.set(value, valueAt);
    }
    space.link(addr, old, hash, tag);
    counters.totalItems++;
    this.lastCas = this.itemCas(addr);
    return 'stored';
  }

  arith(key: Buffer, incr: boolean, delta: bigint, initial: bigint | undefined, exptime: number, cas: number): ArithStatus {
    const nowS = this.now();
    const space = this.space;
    const counters = this.counters;
    const old = space.lookup(key, nowS);
    const hash = space.lastHash;
    const tag = space.lastTag;
    if (old < 0) {
      if (incr) counters.incrMisses++;
      else counters.decrMisses++;
      if (initial === undefined || key.length === 0 || key.length > MAX_KEY_BYTES) return 'not_found';
      const value = initial & U64_MASK;
      const deadline = deadlineFor(exptime, nowS);
      this.lastArithValue = value;
      if (deadline === EXPIRED) {
        counters.totalItems++;
        this.lastCas = 0;
        return 'ok';
      }
      return this.writeNumber(key, value, 0, deadline, -1, hash, tag, nowS);
    }
    if (cas !== 0 && (!this.casEnabled || this.itemCas(old) !== cas)) return 'exists';
    const seg = space.segmentOf(old);
    const start = space.valueStart(old);
    const current = parseU64(space.heap.bytes[seg]!, start, start + space.valueLength(old));
    if (current === NOT_A_NUMBER) return 'non_numeric';
    const next = applyDelta(current, incr, delta);
    if (incr) counters.incrHits++;
    else counters.decrHits++;
    // memcached rewrites a number that got no longer in place, padding it
    // with spaces to the old length (`decr` of 100 by 95 reads "5  ").
    const status = this.writeNumber(key, next, space.flags(old), space.deadline(old), old, hash, tag, nowS, space.valueLength(old));
    if (status === 'ok') this.lastArithValue = next;
    return status;
  }

  touch(key: Buffer, exptime: number): TouchStatus {
    const nowS = this.now();
    const addr = this.space.lookup(key, nowS);
    if (addr < 0) {
      this.counters.touchMisses++;
      return 'not_found';
    }
    this.counters.touchHits++;
    // Out of memory for a needed copy leaves the item as it was (rare: only a
    // never-expiring item gaining an exptime, with eviction off and no room).
    return this.retime(key, addr, exptime, nowS) === -2 ? 'not_found' : 'touched';
  }

  getAndTouch(key: Buffer, exptime: number): ItemRef {
    const nowS = this.now();
    const addr = this.space.lookup(key, nowS);
    // memcached counts gat/gats as touches (touch_hits / touch_misses), not get_hits.
    if (addr < 0) {
      this.counters.touchMisses++;
      if (this.space.lastMissExpired) this.counters.getExpired++;
      return -1;
    }
    this.counters.touchHits++;
    this.space.index.countHit(nowS);
    this.markFetched(addr, nowS);
    const moved = this.retime(key, addr, exptime, nowS);
    // Expired by this touch (or no room to move): the old bytes stay readable
    // until the next mutating call, like any ref.
    return moved < 0 ? addr : moved;
  }

  delete(key: Buffer, cas: number): DeleteStatus {
    const nowS = this.now();
    const addr = this.space.lookup(key, nowS);
    if (addr < 0) {
      this.counters.deleteMisses++;
      return 'not_found';
    }
    if (cas !== 0 && (!this.casEnabled || this.itemCas(addr) !== cas)) return 'exists';
    this.space.unlink(addr, this.space.lastHash);
    this.counters.deleteHits++;
    return 'deleted';
  }

  flushAll(delay: number): void {
    const nowS = this.now();
    const at = flushMomentFor(delay, nowS);
    if (at <= nowS) {
      this.pendingFlushAt = -1;
      this.space.clearAll();
    } else {
      // Applied by the first call at or after that second (see now()), so
      // anything stored before it is gone and anything stored from it stays.
      this.pendingFlushAt = at;
    }
  }

  // ---- background work ---------------------------------------------------

  expireNow(): void {
    const nowS = this.now();
    this.space.sweep(nowS);
    this.space.index.migrate(MIGRATE_PER_TICK);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.expireNow(), this.expiryIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  shape(): StoreShape {
    const space = this.space;
    const ttlBucketSegments: Array<[number, number]> = [];
    for (let b = 0; b < BUCKET_COUNT; b++) {
      const count = space.chains.count[b]!;
      if (count > 0) ttlBucketSegments.push([b, count]);
    }
    return {
      segmentSize: this.segmentSize,
      segmentsTotal: space.heap.segmentCount,
      segmentsFree: space.heap.freeCount,
      hashBytes: space.index.bytes,
      hashPower: space.index.power,
      hashLoad: space.index.count / space.index.slots,
      hashIsExpanding: space.index.isExpanding,
      ttlBucketSegments,
    };
  }

  resetCounters(): void {
    const { items, bytes } = this.counters;
    Object.assign(this.counters, newCounters(), { items, bytes });
  }

  itemWalk(): ItemWalk {
    return new ItemWalk(this.space.heap, () => this.now());
  }

  /** Internal view for tests, audits and the benchmark. */
  get itemSpace(): ItemSpace {
    return this.space;
  }

  // ---- internals ---------------------------------------------------------

  /** Current second, applying a due delayed flush first. */
  private now(): number {
    const nowS = this.nowSeconds();
    if (this.pendingFlushAt >= 0 && nowS >= this.pendingFlushAt) {
      this.pendingFlushAt = -1;
      this.space.clearAll();
    }
    return nowS;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  /** A read: set ITEM_FETCHED and the last-access second in the header. */
  private markFetched(addr: number, nowS: number): void {
    const seg = this.space.segmentOf(addr);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = this.space.heap.words[seg]!;
    words[w] = ((words[w]! & 0xffff) | (1 << 8) | ((nowS & 0xffff) << 16)) >>> 0;
    this.space.heap.read[seg] = 1;
  }

  /**
   * Room for a record: -2 when it can never fit a segment, -1 when no
   * segment can be had (both counted), else its address. The segment of
   * `old` (an item about to be replaced or read from) is pinned meanwhile.
   */
  private reserve(
    keyLength: number,
    valueLength: number,
    flags: number,
    deadline: number,
    cas: number,
    old: number,
    nowS: number,
  ): number {
    const bits = (flags !== 0 ? BIT_HAS_FLAGS : 0) | (deadline !== NEVER ? BIT_HAS_DEADLINE : 0) | (cas !== 0 ? BIT_HAS_CAS : 0);
    const size = recordBytes(keyLength, valueLength, bits);
    if (size > this.segmentSize) {
      this.counters.storeTooLarge++;
      return -2;
    }
    const space = this.space;
    space.pinned = old >= 0 ? space.segmentOf(old) : NO_SEGMENT;
    const addr = space.allocate(space.bucketFor(deadline, nowS), size, nowS);
    space.pinned = NO_SEGMENT;
    if (addr < 0) this.counters.storeNoMemory++;
    return addr;
  }

  /** Write `value` as decimal digits, replacing `old` (or inserting when old < 0). */
  private writeNumber(
    key: Buffer,
    value: bigint,
    flags: number,
    deadline: number,
    old: number,
    hash: number,
    tag: number,
    nowS: number,
    padTo = 0,
  ): ArithStatus {
    const number = formatU64(value);
    const digits = number.length < padTo ? number.padEnd(padTo, ' ') : number;
    const explicitCas = this.perItemCas ? ++this.casCounter : 0;
    const addr = this.reserve(key.length, digits.length, flags, deadline, explicitCas, old, nowS);
    if (addr < 0) return 'out_of_memory';
    const space = this.space;
    const valueAt = space.writeRecord(addr, key, digits.length, flags, deadline, explicitCas, 0, nowS);
    space.heap.bytes[space.segmentOf(addr)]!.write(digits, valueAt, 'latin1');
    space.link(addr, old, hash, tag);
    this.counters.totalItems++;
    this.lastCas = this.itemCas(addr);
    return 'ok';
  }

  /**
   * Give a live item a new exptime, keeping its CAS (memcached does).
   * Returns its address (moved or not), -1 when the new exptime expired it
   * (unlinked), -2 when a needed copy found no room (item unchanged).
   */
  private retime(key: Buffer, addr: number, exptime: number, nowS: number): number {
    const space = this.space;
    const hash = space.lastHash;
    const tag = space.lastTag;
    const deadline = deadlineFor(exptime, nowS);
    if (deadline === EXPIRED) {
      space.unlink(addr, hash);
      return -1;
    }
    const current = space.deadline(addr);
    if (deadline === current) return addr;
    const seg = space.segmentOf(addr);
    if (deadline !== NEVER && current !== NEVER) {
      const words = space.heap.words[seg]!;
      const w = (addr - seg * this.segmentSize) >>> 2;
      words[fieldWord(w, words[w]!, BIT_HAS_DEADLINE)] = deadline;
      if (space.heap.latestDeadline[seg]! < deadline) space.heap.latestDeadline[seg] = deadline;
      return addr;
    }
    // No deadline field to patch, or the item stops expiring: copy it into
    // the right TTL bucket, carrying its token in an explicit CAS field.
    const token = this.itemCas(addr);
    const valueLength = space.valueLength(addr);
    const flags = space.flags(addr);
    const bits = (space.wordA(addr) >>> 8) & META_BITS;
    const moved = this.reserve(key.length, valueLength, flags, deadline, token, addr, nowS);
    if (moved < 0) return -2;
    const valueAt = space.writeRecord(moved, key, valueLength, flags, deadline, token, bits, nowS);
    const start = space.valueStart(addr);
    space.heap.bytes[seg]!.copy(space.heap.bytes[space.segmentOf(moved)]!, valueAt, start, start + valueLength);
    space.link(moved, addr, hash, tag);
    return moved;
  }
}
