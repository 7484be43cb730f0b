// The live sizing advisor's hook on the request path: a SegmentStore whose
// get, getAndTouch, store and delete also offer the key to an advisor. Only
// a sampled key costs more than one keyed remix of the hash the lookup has
// just computed (SegmentStore.lastKeyHash) and a compare; a sampled one is
// handed to the sink (the in-thread advisor, or a ring drained by another
// thread with -t N). Only built when the advisor is on (-o advisor), so
// with it off the request path is the plain SegmentStore's.
//
// What is fed (look-aside, see sizing-advisor.ts): a get with the value
// length when the store hit (a copy that misses fills itself, as the client
// would have been sent the value) or -1 when it missed (the client's set
// follows); a stored write with its value length and exptime; a delete; a
// touch (and the touch of a gat that hit) with its exptime; an incr/decr
// with the item's new length and remaining TTL (a copy holding the key
// rewrites it if it grew; one the real store created is a set). Gets of
// every key are counted for the SHARDS adjustment (allGets).
//
// Not here: the copies (sizing-advisor.ts), the ring (advisor-ring.ts).

import { SegmentStore, type SharedStoreHandle, type StoreTuning } from '../segment-store.js';
import type { ArithStatus, CacheStore, Clock, ItemRef, StoreOptions, StoreStatus, TouchStatus } from '../types.js';
import type { CurvePoint } from './sizing-advisor.js';
import { remix } from './key-sampler.js';

/** Where sampled requests go. */
export interface AdvisorSink {
  get(hash: number, keyLength: number, fill: number, exptime: number): void;
  set(hash: number, keyLength: number, valueLength: number, exptime: number): void;
  delete(hash: number, keyLength: number): void;
  /** A touch (or gat) of an item the real store holds; memcached exptime. */
  touch(hash: number, keyLength: number, exptime: number): void;
  /** incr/decr of an item the real store held: its new value length and TTL (memcached exptime). */
  arith(hash: number, keyLength: number, valueLength: number, exptime: number): void;
  /** Gets of every key seen by this thread (written by the hook). */
  allGets: number;
}

/** What `stats advisor` and /metrics read. */
export interface AdvisorReport {
  readonly rate: number;
  /** The curve, smallest size first. */
  curve(): CurvePoint[];
  /** Sampled requests fed so far, and any dropped (ring full). */
  sampledRequests(): number;
  dropped(): number;
  /** Bytes the copies take. */
  memoryBytes(): number;
  /** The shift applied to anchor the curve at the real store's measured hit ratio (0: none). */
  anchorOffset(): number;
}

export class AdvisedStore extends SegmentStore {
  private readonly threshold: number;
  private readonly seed: number;
  /** An optimistic get's sample, held until its attempt stands: key hash and length, value length (-1: miss), TTL. */
  private held = false;
  private heldHash = 0;
  private heldKeyLength = 0;
  private heldLength = -1;
  private heldTtl = 0;

  constructor(
    source: StoreOptions | SharedStoreHandle,
    second: StoreTuning | { threadSlot: number; clock?: Clock },
    readonly sink: AdvisorSink,
    readonly report: AdvisorReport,
    sampler: { rate: number; seed: number },
  ) {
    super(source as StoreOptions, second as StoreTuning);
    this.threshold = sampler.rate * 4294967296;
    this.seed = sampler.seed;
  }

  override get(key: Buffer): ItemRef {
    const ref = super.get(key);
    if (this.readingOptimistically) {
      // What it read may be torn: fed to the sink only if the attempt stands (endReadAttempt).
      this.held = true;
      this.heldHash = this.lastKeyHash;
      this.heldKeyLength = key.length;
      this.heldLength = ref < 0 ? -1 : this.itemValueLength(ref);
      const ttl = ref < 0 ? -1 : this.itemTtlRemaining(ref);
      this.heldTtl = ttl < 0 ? 0 : Math.max(1, ttl);
      return ref;
    }
    this.sink.allGets++;
    const hash = this.lastKeyHash;
    if (remix(hash, this.seed) < this.threshold) this.sampledGet(hash, key.length, ref);
    return ref;
  }

  override endReadAttempt(): boolean {
    const stands = super.endReadAttempt();
    if (this.held) {
      this.held = false;
      if (stands) {
        this.sink.allGets++;
        if (remix(this.heldHash, this.seed) < this.threshold) this.sink.get(this.heldHash, this.heldKeyLength, this.heldLength, this.heldLength < 0 ? 0 : this.heldTtl);
      }
    }
    return stands;
  }

  override getAndTouch(key: Buffer, exptime: number): ItemRef {
    const ref = super.getAndTouch(key, exptime);
    this.sink.allGets++;
    const hash = this.lastKeyHash;
    if (remix(hash, this.seed) < this.threshold) {
      this.sampledGet(hash, key.length, ref);
      // Copies that hit take the new TTL too (one that just filled already has it).
      if (ref >= 0) this.sink.touch(hash, key.length, exptime);
    }
    return ref;
  }

  override touch(key: Buffer, exptime: number): TouchStatus {
    const status = super.touch(key, exptime);
    if (status === 'touched') {
      const hash = this.lastKeyHash;
      if (remix(hash, this.seed) < this.threshold) this.sink.touch(hash, key.length, exptime);
    }
    return status;
  }

  override arith(key: Buffer, incr: boolean, delta: bigint, initial: bigint | undefined, exptime: number, cas: number): ArithStatus {
    const c = this.counters;
    const misses = c.incrMisses + c.decrMisses;
    const status = super.arith(key, incr, delta, initial, exptime, cas);
    if (status === 'ok') {
      const hash = this.lastKeyHash;
      if (remix(hash, this.seed) < this.threshold) this.sampledArith(key, hash, c.incrMisses + c.decrMisses !== misses);
    }
    return status;
  }

  override store(mode: 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas', key: Buffer, value: Buffer, flags: number, exptime: number, cas: number): StoreStatus {
    const status = super.store(mode, key, value, flags, exptime, cas);
    if (status === 'stored') {
      const hash = this.lastKeyHash;
      if (remix(hash, this.seed) < this.threshold) {
        // append/prepend: the item's new length is the old plus this; the sink
        // sees only the written bytes (a small undercount for those two).
        this.sink.set(hash, key.length, value.length, exptime);
      }
    }
    return status;
  }

  override delete(key: Buffer, cas: number): ReturnType<SegmentStore['delete']> {
    const status = super.delete(key, cas);
    if (status === 'deleted') {
      const hash = this.lastKeyHash;
      if (remix(hash, this.seed) < this.threshold) this.sink.delete(hash, key.length);
    }
    return status;
  }

  /** A sampled incr/decr that succeeded: `created` when it made the item (binary initial value). */
  private sampledArith(key: Buffer, hash: number, created: boolean): void {
    const ref = this.peek(key);
    if (ref < 0) return;
    const ttl = this.itemTtlRemaining(ref);
    const exptime = ttl < 0 ? 0 : Math.max(1, ttl);
    if (created) this.sink.set(hash, key.length, this.itemValueLength(ref), exptime);
    else this.sink.arith(hash, key.length, this.itemValueLength(ref), exptime);
  }

  private sampledGet(hash: number, keyLength: number, ref: ItemRef): void {
    if (ref < 0) {
      this.sink.get(hash, keyLength, -1, 0);
      return;
    }
    const ttl = this.itemTtlRemaining(ref);
    this.sink.get(hash, keyLength, this.itemValueLength(ref), ttl < 0 ? 0 : Math.max(1, ttl));
  }
}

/** The advisor's report when `store` runs one. */
export function advisorOf(store: CacheStore): AdvisorReport | undefined {
  return store instanceof AdvisedStore ? store.report : undefined;
}
