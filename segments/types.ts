// The store's public contract: what lib/ may call. The store knows nothing of
// any wire protocol; results are small string codes, never exceptions on the
// hot path.
//
// Item references: a lookup returns an `ItemRef` (a non-negative number, the
// item's address in the segment heap) or -1 for a miss (absent, expired or
// flushed). A ref is valid only until the next mutating call on the store
// (set, delete, touch, incr, flush, expiry tick...) by ANY thread sharing
// the store, so take it and read what you need from it (flags, value bytes,
// CAS) between beginRead() and endRead(), which keep other threads out.

import type { ItemWalk } from './item-walk.js';
import type { ClassFigures } from './slab-classes.js';

/** Item address in the heap, or -1 for a miss. */
export type ItemRef = number;

/** Per-item bits kept in the item header for the meta protocol. */
export const ITEM_FETCHED = 1; // read at least once since stored (mg `h`)
export const ITEM_STALE = 2; // invalidated by md/ms `I` (mg `X`)
export const ITEM_WIN_SENT = 4; // a client got the recache win token (mg `W`/`Z`)

export type EvictionPolicy = 'merge' | 'fifo' | 'random' | 'none';

/** Seconds clock; injectable so tests control time without sleeping. */
export interface Clock {
  /** Current unix time in milliseconds (Date.now() in production). */
  nowMs(): number;
}

export interface StoreOptions {
  /** Segment heap size in bytes (memcached `-m` × 1 MiB). */
  memoryLimitBytes: number;
  /** Largest item value accepted in bytes (memcached `-I`). */
  itemSizeMax: number;
  /** Segment size in bytes; default derived from itemSizeMax (at least 1 MiB). */
  segmentSize?: number;
  /** Default 'merge'. 'none' = memcached `-M`: out_of_memory instead of evicting. */
  evictionPolicy?: EvictionPolicy;
  /** Initial hash table power of two in slots (memcached `-o hashpower`); default from memory. */
  hashPower?: number;
  /**
   * Segments one merge pass takes (`-o merge_segments`, 2 to 8, default 3);
   * each pass frees one. Fewer means shorter eviction pauses, more means
   * each item competes with more neighbours (fewer capacity misses).
   */
  mergeSegments?: number;
  /** Default true. False = memcached `-C`: CAS tokens are 0 and cas always answers exists. */
  casEnabled?: boolean;
  clock?: Clock;
  /** Seed for the key hash; default random per process. */
  hashSeed?: number;
  /**
   * Default false. True: reserve no segments beyond `memoryLimitBytes`, so
   * cache_memlimit cannot grow this store (the sizing advisor's copies).
   */
  fixedSize?: boolean;
  /**
   * Bytes counted as allocated before the heap, against `memoryLimitBytes`
   * (memcached's T_MEMD_INITIAL_MALLOC test hook): the heap gets the rest,
   * and total_malloced starts from it. Default 0.
   */
  preallocatedBytes?: number;
}

export type StoreStatus =
  | 'stored'
  | 'not_stored'
  | 'exists'
  | 'not_found'
  | 'too_large'
  | 'out_of_memory';

export type DeleteStatus = 'deleted' | 'not_found' | 'exists';

export type ArithStatus = 'ok' | 'not_found' | 'non_numeric' | 'exists' | 'out_of_memory';

export type TouchStatus = 'touched' | 'not_found';

/** Plain numeric counters the server reports (stats, /metrics). Read at will; never reset by the store except `resetCounters`. */
export interface StoreCounters {
  /** Live items (memcached curr_items). */
  items: number;
  /** Bytes of live items inside segments, headers included (memcached `bytes`). */
  bytes: number;
  /** Items ever stored (memcached total_items). */
  totalItems: number;
  getHits: number;
  getMisses: number;
  getExpired: number;
  getFlushed: number;
  casHits: number;
  casMisses: number;
  casBadval: number;
  incrHits: number;
  incrMisses: number;
  decrHits: number;
  decrMisses: number;
  deleteHits: number;
  deleteMisses: number;
  touchHits: number;
  touchMisses: number;
  /** Live items dropped to make room (memcached evictions). */
  evictions: number;
  /** Items dropped because they had expired (memcached reclaimed + expired_unfetched sense). */
  expiredReclaimed: number;
  /** Segments freed whole by proactive expiry. */
  expiredSegments: number;
  /** Merge-eviction passes (ranked merges and compactions; not segmentsDropped). */
  merges: number;
  /**
   * Segments eviction freed whole, oldest first, because nothing in the run
   * had been read (no signal to rank by: set-only loads).
   */
  segmentsDropped: number;
  /** Sets refused: value over the item limit / no memory (store_too_large, store_no_memory). */
  storeTooLarge: number;
  storeNoMemory: number;
  /**
   * Evictions a request had to run itself because no free segment was left
   * (the housekeeping thread keeps a reserve so this stays 0 under steady
   * load; stats `segcache_inline_merges`).
   */
  inlineMerges: number;
  /** Slices the housekeeping thread's merges ran in (each under the lock once; between them clients run). */
  mergeSlices: number;
  /** Expired items dropped without ever being read (memcached expired_unfetched). */
  expiredUnfetched: number;
  /** Evicted items never read (memcached evicted_unfetched). */
  evictedUnfetched: number;
  /** Expired items the proactive sweep freed (memcached crawler_reclaimed: the sweep is our crawler). */
  crawlerReclaimed: number;
  /** Live items in the segments the sweep freed (memcached crawler_items_checked). */
  crawlerItemsChecked: number;
}

/** A snapshot of the store's shape, for stats and the segment map. */
export interface StoreShape {
  segmentSize: number;
  /** Segments in circulation (taken or free): the current memory limit's worth. */
  segmentsTotal: number;
  segmentsFree: number;
  /** The memory limit in bytes (-m, then cache_memlimit): memcached's limit_maxbytes. */
  limitBytes: number;
  /** Segments reserved: cache_memlimit can grow the heap up to this many. */
  segmentsReserved: number;
  /** Bytes of the hash table arrays (outside the -m heap, as memcached's). */
  hashBytes: number;
  hashPower: number;
  /** Live items / slots. */
  hashLoad: number;
  hashIsExpanding: boolean;
  /** Per TTL bucket with at least one segment: [bucket index, segment count]. */
  ttlBucketSegments: Array<[number, number]>;
  /** A housekeeping thread has taken a step on this store (expiry and eviction run beside the request path). */
  housekeeperStarted: boolean;
  /** The housekeeping loop's pace ratio (lib/server/housekeeper-pace.ts): it rests this many times each step; 0 = flat out. */
  housekeeperPace: number;
  /** Free segments a running housekeeper keeps ahead of writers (segment-store.ts defaultReserveSegments; 0 for a store that never evicts); writers merge inline only when these run out. */
  reserveSegments: number;
}

/**
 * The Segcache-style store. Keys are byte slices: `key` plus optional
 * [start, end) so callers can pass a view of their read buffer without
 * slicing. Exptimes are memcached's raw exptime (0 never, negative already
 * expired, up to 30 days relative, above that absolute unix seconds).
 */
export interface CacheStore {
  readonly counters: StoreCounters;
  readonly options: Readonly<Required<Omit<StoreOptions, 'clock' | 'hashSeed' | 'hashPower'>>>;

  /**
   * Look up for a read: counts a hit or miss and bumps frequency. A hit also
   * sets ITEM_FETCHED and the last-access time, so read those through
   * peek() first when the state before this fetch matters (meta `h`, `l`).
   */
  get(key: Buffer): ItemRef;
  /** Look up without touching counters or frequency (add/replace checks, meta peeks). */
  peek(key: Buffer): ItemRef;

  itemFlags(ref: ItemRef): number;
  itemValueLength(ref: ItemRef): number;
  /** A view of the value bytes inside the segment (no copy); valid like the ref. */
  itemValue(ref: ItemRef): Buffer;
  /**
   * Copy the value into `target` at `offset`; returns bytes copied.
   * `targetView`, a DataView over exactly `target`'s bytes, lets small
   * values be copied without allocating (reply writers keep one per chunk).
   */
  copyValue(ref: ItemRef, target: Buffer, offset: number, targetView?: DataView<ArrayBufferLike>): number;
  /** The CAS unique of this item version (0 when CAS is disabled). */
  itemCas(ref: ItemRef): number;
  /** Seconds until expiry, -1 for never (meta `t`). */
  itemTtlRemaining(ref: ItemRef): number;
  /** A view of the key bytes. */
  itemKey(ref: ItemRef): Buffer;
  /** Per-item bits for the meta protocol (ITEM_FETCHED, ITEM_STALE, ITEM_WIN_SENT). */
  itemBits(ref: ItemRef): number;
  /** Replace the three per-item bits with `bits`, in place; does not change the CAS. */
  setItemBits(ref: ItemRef, bits: number): void;
  /** Seconds since the item was last read, if tracked; -1 if not (meta `l`). */
  itemLastAccess(ref: ItemRef): number;

  /**
   * set/add/replace/append/prepend/cas. `cas` 0 means "no compare" except in
   * mode 'cas'. append/prepend ignore flags and exptime (memcached). Any
   * mode with a nonzero `cas` compares first (binary protocol semantics).
   */
  store(
    mode: 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas',
    key: Buffer,
    value: Buffer,
    flags: number,
    exptime: number,
    cas: number,
  ): StoreStatus;
  /** CAS of the item the last successful store() wrote (for binary replies and meta `c`). */
  readonly lastCas: number;

  /**
   * incr/decr on an unsigned 64-bit decimal value. incr wraps at 2^64, decr
   * floors at 0. When `initial` is given and the key is missing, the item is
   * created with that value and `exptime` (binary semantics). The new value is
   * left in `lastArithValue`.
   */
  arith(key: Buffer, incr: boolean, delta: bigint, initial: bigint | undefined, exptime: number, cas: number): ArithStatus;
  readonly lastArithValue: bigint;

  touch(key: Buffer, exptime: number): TouchStatus;
  /**
   * get-and-touch: a ref to the touched item or -1; counts as a get
   * (frequency, ITEM_FETCHED) but, as memcached, in touchHits/touchMisses
   * rather than getHits/getMisses. The CAS is kept.
   */
  getAndTouch(key: Buffer, exptime: number): ItemRef;
  /** Delete; with a nonzero `cas`, only if it matches (else 'exists'). */
  delete(key: Buffer, cas: number): DeleteStatus;
  /** flush_all: items stored before now + delay (memcached exptime rules for delay) become misses. */
  flushAll(delay: number): void;

  /**
   * cache_memlimit: make `bytes` the memory limit, every thread's. Growing
   * brings reserved segments into use; shrinking evicts (free segments
   * first, then the eviction policy's victims, the oldest when it is
   * 'none') until the heap fits, a slice at a time. False, and nothing
   * changed, when `bytes` is under two segments or above the reservation.
   */
  setMemoryLimit(bytes: number): boolean;

  /**
   * Call `listener` for each live item this thread's store evicts (not for
   * expired ones), with the item still readable through `ref`; null stops.
   * For `watch evictions`: nothing is called while none is set.
   */
  setEvictionListener(listener: ((ref: ItemRef) => void) | null): void;

  /** Run proactive expiry now (the timer calls this about once a second). */
  expireNow(): void;
  /** Start / stop the unref'd background timer. */
  start(): void;
  stop(): void;

  shape(): StoreShape;
  /**
   * memcached's total_malloced: the preallocation plus the heap memory in
   * circulation ever written, in whole OS pages (segment-heap.ts). Read
   * without the store lock: one pass over the segment headers.
   */
  mallocedBytes(): number;
  /** Zero every thread's counters (items and bytes stay). */
  resetCounters(): void;

  /**
   * Bracket a request's store calls: refs obtained between beginRead() and
   * the matching endRead() stay valid until endRead() even with other
   * threads sharing the store. Brackets nest; keep them short (no I/O wait).
   */
  beginRead(): void;
  endRead(): void;
  /**
   * One attempt at a read bracket for a lookup (one get) and the copy of
   * its value, which may run without any lock: end it with endReadAttempt(), and when
   * that answers false, discard everything built from it and try again with
   * attempt + 1 (after a few attempts it takes the lock and always stands).
   * A throw inside it is from torn data when readTorn() says so (then end
   * the attempt and retry). item-output.ts writeGetHit is the usual caller.
   */
  beginReadAttempt(attempt: number): void;
  endReadAttempt(): boolean;
  readTorn(): boolean;
  /**
   * The same for a request that also writes (touch, arith, meta): other
   * threads wait until endWrite(). Inside a read bracket only get, peek and
   * the item readers may be called.
   */
  beginWrite(quietReaders?: boolean): void;
  endWrite(): void;
  /** Counters summed over every thread sharing the store (`counters` is this thread's). */
  totals(): StoreCounters;
  /** Per memcached-slab-class figures summed over every thread (stats items / stats slabs; slab-classes.ts). */
  slabClasses(): ClassFigures[];
  /**
   * One bounded step of background work (expiry sweep slice, hash
   * migration, eviction to keep a reserve of free segments); true when more
   * is pending. For a housekeeping thread's loop.
   */
  housekeep(): boolean;
  /** Sleep up to `timeoutMs` until housekeeping is needed (a writer left the free reserve low). */
  housekeepWait(timeoutMs: number): void;
  /** A walk over the live items, a slice at a time (lru_crawler metadump); see item-walk.ts. */
  itemWalk(): ItemWalk;
}
