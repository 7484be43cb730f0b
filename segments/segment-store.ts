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
// EXISTS. flush_all keeps memcached's whole-second cliff: a set in the last
// second a flush removes (flushMomentFor: the flush's own second under -C,
// the second a delayed flush takes effect with or without CAS) is flushed
// as soon as it is stored (FLUSH_SECOND; not for incr's auto-create).
//
// Threads. Every byte of store state is in SharedArrayBuffer (handle):
// segments and their headers, the free stack and generation counter
// (segment-heap.ts), TTL chains (ttl-buckets.ts), the hash index with its
// overflow pools, count, migration cursor and RNG (hash-index.ts), the
// merge turnover measurement (heap-turnover.ts), the flush cliff
// (segment-heap.ts), the CAS counter and pending flush (cells here) and the counters (shared-counters.ts: one row per
// thread slot, items/bytes global). Each thread has its own SegmentStore,
// ItemSpace, HashIndex and MergeEvictor objects over that memory; their
// fields are scratch for one locked operation (lastHash, the found slot,
// pinned, the merge run) or the thread's own results (lastCas,
// lastArithValue). `-m` is one heap for all threads.
//
// Locking: one writer-preferring readers-writer lock (shared-memory.ts
// SharedExclusiveLock: three Int32 words in `control`; the only lock, so
// there is no lock order) and, beside it, sequence words for optimistic
// readers, who take no lock at all: one for the whole store (SEQ, alone on
// its cache line) and one per index stripe (LINK_STRIPES of them in
// handle.stripes, one cache line each; see "Striped links"). Chosen
// by measurement (benchmarks/RESULTS.md "Reads that share the store" and
// "Optimistic reads"): with gets under the shared lock a writer spent most
// of its serial share waiting for readers to leave.
// - Optimistic reads (a seqlock over the whole store): a text get's
//   lookup and the copy of its value into the reply run in a read attempt
//   (beginReadAttempt / endReadAttempt; lib/respond/item-output.ts
//   writeGetHit), one key at a time. Every exclusive hold makes SEQ odd
//   right after it is acquired and even right before it is released (one
//   Atomics.add each, in SharedExclusiveLock). A reader loads SEQ (spinning
//   a little while it is odd), does the lookup and the copy with plain
//   reads, loads SEQ again: equal means no exclusive hold began, ran or
//   ended in between, so every word it read was the store's state at one
//   moment and the reply stands; otherwise the attempt is void: the reply
//   is cut back to where it was (ReplyWriter.truncate), nothing is counted,
//   and it tries again; after OPTIMISTIC_ATTEMPTS (3) void attempts it takes the shared lock,
//   which always stands. Writers therefore never wait for readers (only for
//   other writers, shared holders that write their own segment, and
//   fallback readers).
//   What else changes words a reader reads, outside an exclusive hold: an
//   owner writing a record past its segment's writeOffset under the shared
//   lock (no slot points there until linkOwned, under the exclusive lock,
//   so a reader reaches it only through a stale slot: an exclusive hold
//   freed and reused that memory in between, and SEQ moved); other readers'
//   marks (below: frequency and counted bits, fetched bit and stamp; never
//   a bit the lookup or the copy depends on); thread-local views of the
//   hash index (rebuilt from control words that are published by an epoch
//   bump after they are written; a void attempt forgets them: forgetViews).
//   Torn data is read but never used: an attempt's every read may see a
//   writer's half-done work, so nothing on its path may crash, hang or
//   allocate without bound: overflow chain walks are bounded (hash-index.ts),
//   a value length is clamped to what its segment holds past its start
//   (getOptimistic: a torn 4 GiB length reserves at most one segment), typed-
//   array reads out of range give undefined, which matches no tag or key
//   byte and so cannot make a hit; and anything that still throws (a range
//   check in Buffer.compare or a DataView) is caught by the caller, which
//   asks readTorn(): a throw in an attempt SEQ invalidated is a void
//   attempt, any other throw is a real bug and is rethrown.
//   Memory order: JavaScript gives SharedArrayBuffer integer element reads
//   and writes no tearing (each element is read whole) and Atomics
//   operations are sequentially consistent; V8 does not move plain loads
//   across an Atomics operation, and x86 keeps loads in order, so the plain
//   reads between the two Atomics.load of SEQ happen between them. A
//   writer's Atomics.add to odd precedes its first write, and its add back
//   to even follows its last, so a reader whose two loads agree (even) saw
//   none of a hold's writes, or all of them. That argument needs x86's
//   load order (an arm64 Atomics.load is a one-way acquire, so plain loads
//   before it may complete after it), so optimisticReads defaults to on
//   only where process.arch is x64; elsewhere gets take the shared lock.
//   Reader marks after validation: the counters (this thread's row), the
//   slot's frequency and counted bits (slot-frequency.ts countReadSeen) and
//   word A's fetched bit and stamp (markFetchedSeen) are applied only once
//   the attempt stands, each by Atomics.compareExchange from the word as
//   the reader saw it (or just loaded, for the counted bits), so a writer
//   rewriting that word meanwhile (a merge, a cuckoo move, a new record)
//   wins and the mark is lost, which an approximate counter allows; tag,
//   location, key length, dead and field bits are never changed by a
//   reader. heap.read[seg] is set to 1 only when word A was still as seen.
//   A compareExchange alone would not stop a mark landing on another
//   record's bytes that happen to equal the word seen (the segment renewed
//   and rewritten while the reader was descheduled after validating), so
//   the marks are made between the reader's APPLYING flag going up and
//   down, only if SEQ still equals the attempt's value with the flag up,
//   and every renew of a segment (SegmentHeap.onRenew: the only way record
//   words get rewritten, always under the exclusive lock, SEQ already odd)
//   first waits for the other threads' flags to go down (waitForMarks;
//   Dekker again). A flag up for MARK_WAIT_MS is a thread that is gone
//   (terminated mid-mark at shutdown) and is cleared.
//   Expired items and stamps that need widening are deferred to
//   settleReads as before. A warm-restart save checksums memory and writes
//   it later, so it takes beginWrite(true): READS_QUIET is raised and it
//   waits (waitForMarks) until no reader is between its APPLYING flags (one line per
//   thread slot; Dekker with SC Atomics: a reader raises its flag, then
//   checks READS_QUIET), so no word changes during the save.
//   Binary gets use read attempts too (respond-binary.ts). Still under
//   the shared lock: peek, lru_crawler metadump and cachedump slices,
//   getReplyTooLarge sizing, and reads with optimisticReads off (StoreTuning;
//   the measured alternative, and the -t 1 single loop's choice: server.ts).
//   Item walks outside the exclusive lock never apply a due delayed
//   flush_all (only an exclusive holder moves the flush cliff): they see it
//   as nothing left (nowShared). Meta gets and gat hold the exclusive lock,
//   as before.
// - Striped links: a plain set's link (linkOwned) holds the lock
//   exclusively as before, but quietly (SharedExclusiveLock.lock(true) /
//   tryUpgrade(true): SEQ left even), and bumps instead the sequence word
//   of the one index stripe it writes, odd before its first write and even
//   after its last, both inside the hold. A stripe is a set of primary
//   buckets: bucket & (LINK_STRIPES - 1). Measured first (RESULTS.md,
//   session 7): with one SEQ every link voided every read attempt under
//   way on another thread (about 1% of attempts at two threads, their wall
//   time a large part of the serial share).
//   Why a reader cannot miss a write it depends on: a get of a key whose
//   hash is h reads the index only in the chains of two primary buckets,
//   h & mask and altHash(h) & mask (overflow buckets hang off one chain
//   each), then the record a slot there points to. Before its lookup the
//   reader notes the words of stripes h & (S-1) and altHash(h) & (S-1)
//   (noteStripes; S = LINK_STRIPES), and at validation checks them as well
//   as SEQ. While the table has at least S buckets (mask >= S-1) those are
//   exactly the stripes of the two chains it walks. A link goes striped
//   only when everything it changes that any reader reads lies in one
//   chain, decided read-only before the first write (linkStripe,
//   HashIndex.confinedBucket): the key's live current version is relinked
//   in its found slot (chain of that find's primary bucket), or an absent
//   key fills a free slot of its first or second bucket itself (what
//   SlotTable.place then does); the table is not doubling, will not start
//   to, and has at least S buckets; no expired version has to be reclaimed
//   (that removes a slot and may move another); the record's stamp needs
//   no widening of its segment's access unit (that rewrites other
//   records' stamps). The rest of what a link writes no optimistic reader
//   reads: the new record (reachable only through the slot it gets, and
//   written before it), the old version's dead bit (reachable through the
//   slot in the same chain), writeOffset, segment live counts and latest
//   deadline, counters, ghost keys. Anything else (the own segment taken
//   back, any of the above failing) raises SEQ first (raiseSeq) and runs
//   as an ordinary hold; a nested lock(), and waitForMarks (before any
//   segment renew), raise it too, so no renew or multi-chain change can
//   run under an even SEQ. Every other exclusive hold raises SEQ at once,
//   as before. The stripe words are only ever bumped under the exclusive
//   lock, so two links never interleave on one. A reader that finds a
//   stripe word odd spins a little (a link holds under a microsecond), then
//   goes on with the attempt marked void. Memory order: the same argument
//   as for SEQ (Atomics on both sides, x86 load order), per stripe word.
//   Marks after validation still re-check SEQ only: renews (the hazard
//   they guard against) always raise it; a striped relink changes the slot
//   or word A the mark's compareExchange expects, so the mark is dropped,
//   or lands on the same key's slot with an identical word (a frequency
//   count for the new version: the counter is approximate).
// - Exclusive: every operation that changes the store (store, arith,
//   touch, getAndTouch, delete, flushAll, expireNow, housekeep, shape's
//   consistent snapshot), and beginWrite()/endWrite() brackets (meta
//   requests, binary touch/arith/GAT, text gat/gats, warm-restart save).
//   The holder may read and write every shared word; the Atomics on the
//   lock word order its plain accesses before the next holder's. A plain
//   set holds it only to link (see "Own segments" below).
// - Shared: get and peek outside read attempts, fallback attempts, and
//   beginRead()/endRead() brackets around a lookup and the copy of its
//   value into the reply (lru_crawler metadump slices). Many
//   readers at once, no writer (optimistic readers run beside both). So a
//   ref a reader holds cannot be moved, overwritten or freed before its
//   endRead(): no reader sees a torn value, and the lookup (index words,
//   record headers, segment headers) reads memory no one writes. Writes
//   readers do make, each racing only with other readers:
//   . this thread's counter row (shared-counters.ts: one writer per row);
//   . the slot's frequency and "counted" bits and the bucket's second
//     (slot-frequency.ts): plain read-modify-writes of the meta word's
//     bits 15-8, whose tag bits (31-16) only exclusive holders change, so
//     a race loses at most a count (the counter is approximate anyway) and
//     never changes another bit; the coin's RNG word may repeat a value;
//   . the record's word A (markFetchedShared): readers set the fetched bit
//     and a stamp for about the same second; the low 16 bits (key length,
//     dead and field bits) are only written exclusively, so every racing
//     reader writes them back unchanged; heap.read[seg] is set to 1 only.
//   What a reader may not do it defers: an expired item it finds is a miss
//   (the key's slot is left as is), and a stamp that needs the segment's
//   access unit widened (a rewrite of every stamp in it) is skipped; both
//   are queued per thread and redone under the exclusive lock when the
//   outermost read bracket ends (settleReads, only if the slot still points
//   at the same record). A due delayed flush_all makes every item a shared
//   lookup finds flushed (get_flushed) until an exclusive holder applies
//   it; a flushed item found is deferred as an expired one. The housekeeper widens
//   access units an hour ahead, so readers rarely skip a stamp.
// - Own segments (Segcache's per-thread active segment): a plain set (no
//   CAS, no lock already held by the thread) writes its whole record under
//   the SHARED lock into a segment its thread owns, at that segment's
//   writeOffset, then holds the lock exclusively only to link it: look the
//   key up, retire the old version, move writeOffset past the record,
//   stamp it, count it, point the hash slot at it (writeOwned/linkOwned).
//   The key's hash is computed before either lock. To go exclusive it
//   first tries an in-place upgrade (SharedExclusiveLock.tryUpgrade: one
//   compareExchange from "one reader" to "writer", never waiting, so two
//   upgraders cannot deadlock); when another thread is inside it lets go
//   of the shared lock and queues as any writer. Either way a thread never
//   waits for one mode while holding the other, so the one lock still has
//   no order to respect. The key's lookup is done under the shared lock
//   too, as a reader's: after an in-place upgrade nothing can have changed
//   (no other holder came between), so the found slot is relinked as is;
//   after a queued lock it is looked up again. Measured first (RESULTS.md,
//   issue 11, benchmarks/set-breakdown.ts): of a 100-byte set's exclusive
//   hold on main, the locked lookup (hash, index probe, key compare) was
//   the largest part (about half), the value copy about 1%, the rest
//   allocation, header and link; so the lookup had to leave it too.
//   The link voids only reads of its index stripe ("Striped links").
//   Not built: linking by compare-and-swap on the hash slot with no
//   exclusive lock at all (a slot is two words, tag/frequency/high bits and
//   low location, and cuckoo moves relocate slots, so readers would need a
//   validation step); nor one own segment per TTL bucket (a thread owns one
//   segment at a time, so a set for another bucket takes the old path).
//   Ownership: SegmentHeap.busy holds OWNED_MARK + thread slot; a thread
//   claims the fresh segment its plain set just opened (exclusive lock; the
//   segment gets a fresh generation, so a claim is unique even if a mark
//   repeats), at most one at a time, in heaps of OWN_MIN_SEGMENTS or more.
//   No one else appends to a segment another thread owns (allocate skips
//   it), so only its owner writes past its writeOffset, and only under the
//   shared lock. Why nothing sees a record in flight: every reader of
//   records (lookups through the index, item walks, merges, the sweep,
//   warm-restart saves) stops at writeOffset or reaches records through
//   hash slots, and both change only under the exclusive lock, which the
//   owner takes after its writes (the lock's Atomics order them). Why no
//   one pulls the segment from under the writer: while it writes it holds
//   the shared lock, so no merge, eviction, sweep or flush runs. Between
//   its two halves they may: merges and evictions take an owned segment
//   like any other (a merge clears the mark first; release() clears it),
//   and linkOwned re-checks under the exclusive lock that the mark, the
//   generation and writeOffset are unchanged; if not, the record is left
//   where it lies (past writeOffset, never read, overwritten by the next
//   append) and the set runs the exclusive path whole. Readers still
//   write word A of linked records and segment flags (below): different
//   words from the owner's record in flight. So a pinned segment is only
//   pinned while its owner holds the shared lock; the cost of taking one
//   back is one set done the old way.
// - Brackets nest per thread: a read bracket inside a write bracket only
//   counts depth; a write inside a read bracket throws (an upgrade could
//   deadlock two upgraders), so responders that may write open beginWrite.
// - Writer preference: an uncontended writer holds with one
//   compareExchange (what the old mutex cost, so -t 1 pays no more); a
//   contended one queues on a futex mutex, raises a waiting flag that holds
//   new readers back, waits for readers inside to leave, then holds. Waits
//   spin first, then sleep in Atomics.wait. Between merge slices the
//   housekeeper lets a sleeping waiter in first (handOff: it sleeps until
//   the waiter is inside, never spins for it).
// Merges in slices: the housekeeper runs merge eviction as a generator
// (merge-eviction.ts evictSteps) one slice of MERGE_SLICE_RECORDS records
// per housekeep() call, each under the exclusive lock, readers and writers
// running between slices. The run's segments are marked busy
// (SegmentHeap.busy) meanwhile: the sweep, other evictions, item walks and
// appends to a chain's tail leave them alone; every slot points at a whole
// record at every pause; an item written, deleted or expired during a pause
// is skipped when the merge reaches it; after a flush_all in a pause the
// merge drops what is left of its run (all of it predates the flush).
// A writer that finds no free segment still merges inline, whole, counted
// in `inlineMerges`. Item refs never reach a socket: item-output.ts copies
// values out inside the bracket.
// The hash table grows in place: two growable SharedArrayBuffer areas used
// alternately (hash-index.ts); threads rebuild fixed-length views when a
// shared epoch changes, because length-tracking views measured 20-30x
// slower per access.
// Lazy flush_all (memcached's: items are invalidated at once and reclaimed
// as they are found). Applying a flush (flushAllLocked, or now() when a
// delayed one comes due; exclusive lock) is one store: the flush cliff
// becomes the heap's next generation (SegmentHeap.flushBelowNext), so every
// segment in circulation, whose generation is below it, is flushed, and
// every segment opened or compacted later is not (generations only grow).
// A lookup that lands in a flushed segment is a miss: get_flushed for a
// get, reclaimed for the item (unlinked by a writer, deferred by a reader;
// the check is one read of the segment's generation word, which optimistic
// readers already may read, so their rules hold). The sweep frees flushed
// segments, as it frees expired ones: the housekeeper from the second
// after the flush (so a get right after a flush_all finds its item and
// counts get_flushed, as in memcached) and HOUSEKEEP_FLUSHED_SEGMENTS per
// step, evicting nothing while any wait; a writer that finds no free
// segment sweeps first, so it takes a flushed segment before it evicts
// anything, one per sweep (each is a walk of its records with an index
// removal per item: freeing a whole full heap in one hold stalled every
// client for seconds), and expireNow() frees them one per lock hold. A
// delayed flush applied by a quiet (striped) link raises SEQ before the
// cliff moves. A save refuses to write while a paused merge still holds
// flushed items (the cliff is not in the image). Nothing appends to a flushed
// segment (allocate() skips a flushed chain tail, an owner gives up a
// flushed own segment), and every walker passes flushed segments by: item
// walks, merges (their records are dead), the segment map shows them until
// freed, and a warm-restart save frees them before it writes (the cliff is
// not in the image; a pending delayed flush is). memcached's whole-second
// cliff is kept on top (FLUSH_SECOND).
// Housekeeping: housekeep() is one bounded step (a slice of the expiry
// sweep, some hash migration, one slice of a merge while fewer than
// `reserveSegments` segments are free), for a background thread's loop
// with housekeepWait() between steps; writers wake it when they take a
// segment below the reserve. The loop paces itself (lib/server/
// housekeeper-pace.ts) while housekeepUrgent() is false, resting in
// housekeepPause(), which the same writer wake ends early. A writer that
// finds no free segment still evicts inline, counted in `inlineMerges`.

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
import { ItemSpace, recordBits, type SpaceMemory } from './item-space.js';
import { ghostEntries } from './ghost-keys.js';
import { ITEM_FETCHED } from './types.js';
import { ItemWalk } from './item-walk.js';
import { evictOldest, evictorFor } from './eviction.js';
import type { Evictor } from './item-space.js';
import { MERGE_SEGMENTS } from './merge-eviction.js';
import {
  BIT_HAS_CAS,
  BIT_HAS_DEADLINE,
  BIT_HAS_FLAGS,
  MAX_HEADER_BYTES,
  MAX_KEY_BYTES,
  META_BITS,
  fieldWord,
  makeWordA,
  recordBytes,
} from './item-layout.js';
import { EXPIRED, NEVER, deadlineFor, flushMomentFor } from './expiry-time.js';
import { NOT_A_NUMBER, U64_MASK, applyDelta, formatU64, parseU64 } from './decimal-u64.js';
import { FREE_BUCKET, MAX_ACCESS_STAMP, MERGE_BUSY, NO_SEGMENT, OWNED_MARK } from './segment-heap.js';
import { BUCKET_COUNT } from './ttl-buckets.js';
import { ceilPowerOfTwo } from './hash-index.js';
import { altHash } from './index-layout.js';
import { randomSeed, tagOf } from './key-hash.js';
import { defaultSegmentSize } from './store-defaults.js';
import { batchClock } from './batch-clock.js';
import { SharedExclusiveLock, spinPause, touchForWrite } from './shared-memory.js';
import { nsSince, type HistogramFigures } from './lock-histogram.js';
import { newCounterMemory, resetCounterRows, slotCounters, sumCounters } from './shared-counters.js';
import * as slab from './slab-classes.js';
import { newTurnoverMemory } from './heap-turnover.js';
import type { StoreImagePort } from './persist/image-port.js';
import { copyRange, copyView } from './shared-copy.js';
import { memcachedValueMax } from './item-limit.js';

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
  /**
   * Free segments housekeep() keeps in reserve by evicting ahead of need
   * (default: defaultReserveSegments). Only a running housekeeper evicts
   * early; without one, writers evict when the pool is empty.
   */
  reserveSegments?: number;
  /** Request threads that write to the store (default 1): the default reserve grows with them (defaultReserveSegments). */
  writerThreads?: number;
  /** Thread slots the shared counters have room for (default 64). */
  maxThreads?: number;
  /** Time every lock acquisition (wait and hold, in ns per slot: lockTimes()); costs two clock reads per lock. */
  measureLock?: boolean;
  /** Gets in read attempts (beginReadAttempt) run without the lock, validated by the sequence word (default true; false: the shared lock, the measured alternative). */
  optimisticReads?: boolean;
  /** A plain set's link bumps only the sequence word of the index stripe it writes when it can (default true with optimisticReads; false: every link voids every optimistic read, the measured alternative). See "Striped links". */
  stripedLinks?: boolean;
  /** Records per slice of the housekeeper's merges (default 256; Infinity: whole merges under one lock, the measured alternative). */
  mergeSliceRecords?: number;
  /** Ghost keys for merge eviction's readmission (default ghost-keys.ts ghostEntries(-m); 0: none, the measured alternative). */
  ghostEntries?: number;
}

/**
 * Everything a thread needs to attach to a shared store: settings, sizes
 * and SharedArrayBuffers only, so it can be posted to a worker
 * (createSharedStore / attachStore in shared-store.ts).
 */
export interface SharedStoreHandle {
  readonly kind: 'grow-a-cache-store';
  readonly options: Readonly<Required<Omit<StoreOptions, 'clock' | 'hashPower'>>>;
  readonly perItemCas: boolean;
  readonly expiryIntervalMs: number;
  readonly reserveSegments: number;
  /** Request threads the default reserve was sized for; 0 when StoreTuning.reserveSegments set it. */
  readonly reserveWriters: number;
  readonly measureLock: boolean;
  readonly optimisticReads: boolean;
  readonly stripedLinks: boolean;
  readonly mergeSliceRecords: number;
  readonly space: SpaceMemory;
  /** Heap-turnover measurement of merge eviction. */
  readonly turnover: SharedArrayBuffer;
  /** Per-slot counter rows plus the global row (shared-counters.ts). */
  readonly counters: SharedArrayBuffer;
  /** Per memcached-slab-class counters and segment class marks (slab-classes.ts). */
  readonly classes: slab.ClassMemory;
  /** Int32 control words (LOCK, ...) and Float64 cells (CAS counter, pending flush). */
  readonly control: SharedArrayBuffer;
  readonly cells: SharedArrayBuffer;
  /** The stripes' sequence words, one per 64-byte line ("Striped links"). */
  readonly stripes: SharedArrayBuffer;
}

/** Int32 control words. */
/** The readers-writer lock's three words (shared-memory.ts SharedExclusiveLock). */
const LOCK = 0;
/** Bumped (and notified) when a writer leaves the free pool below the reserve. */
const HOUSEKEEP_WAKE = 3;
/** 1 once a housekeeper runs: writers then wake it instead of waiting to run dry. */
const HOUSEKEEPER_ACTIVE = 4;
/** Next segment the housekeeper's expiry sweep looks at. */
const SWEEP_CURSOR = 5;
/** The housekeeping loop's pace ratio in hundredths (lib/server/housekeeper-pace.ts; 0: flat out), for stats. */
const HOUSEKEEPER_PACE = 6;
/** The store's sequence word (SharedExclusiveLock; odd while a writer holds), alone on the second 64-byte line. */
const SEQ = 16;
/** While nonzero (a warm-restart save), optimistic readers leave every store word as it is (see "Optimistic reads"). */
const READS_QUIET = 32;
/** Per thread slot, from word 48: 1 while the thread applies an optimistic read's marks (one 64-byte line each). */
const APPLYING = 48;
const APPLYING_STRIDE = 16;
/** Float64 cells. */
const CAS_COUNTER = 0;
/** The last second a delayed flush_all removes, not reached yet (it takes effect then); -1 when none. */
const PENDING_FLUSH_AT = 1;
/**
 * The last second the last flush_all removed (flushMomentFor; -1: none).
 * memcached's cliff is oldest_live in whole seconds (item time <=
 * oldest_live), so an item stored in that second, even after the flush took
 * effect, is flushed as soon as it is stored; t/flush-all.t checks it. An
 * immediate flush with CAS names the second before its own, so later sets
 * in its second survive (memcached's CAS cliff).
 */
const FLUSH_SECOND = 2;
/** The second the last flush_all took effect (-1: none); the housekeeper frees its segments from the next second. */
const FLUSHED_SECOND = 3;
const CELLS = 4;

/** Segment headers one housekeep() sweep step reads. */
const SWEEP_SLICE = 256;
/**
 * Segments a flush_all left that one housekeep() step frees (each is a walk
 * of its records and an index removal per live item: a step stays short
 * however full the heap was).
 */
const HOUSEKEEP_FLUSHED_SEGMENTS = 4;
/**
 * Records a housekeeper's merge reads per slice (one housekeep() step under
 * the lock). Measured: ~256 records take 20-60 us on this machine.
 */
const MERGE_SLICE_RECORDS = 256;
/**
 * Longest the housekeeper sleeps after a slice for a sleeping client to
 * take the lock (handOff; it costs no CPU, only merge progress when the
 * client is slow to be scheduled).
 */
const HAND_OFF_MS = 1;
/** The housekeeper widens segments' access units this far ahead of now (readers cannot widen). */
const WIDEN_AHEAD_S = 3600;
/** Hash buckets one housekeep() step migrates while the index doubles. */
const MIGRATE_PER_STEP = 1024;
const DEFAULT_MAX_THREADS = 64;
/** cache_memlimit refuses a limit under this many segments. */
const MIN_LIMIT_SEGMENTS = 2;
/** Segments one lock hold of a shrinking cache_memlimit evicts. */
const SHRINK_SLICE = 16;
/** The hash index is presized for at most this many slots (2^24, 128 MiB: -m up to ~1.8 GiB presizes fully); a larger -m grows it as it fills. */
const MAX_PRESIZED_SLOTS = 2 ** 24;

/** Deferred by a reader: unlink an expired item it found / stamp a read that needs the unit widened. */
const PENDING_EXPIRED = 1;
const PENDING_STAMP = 2;
/** Deferred items per thread between settles; more are dropped (the sweep or a writer's lookup catches up). */
const PENDING_MAX = 32;

/** A thread claims own segments only in a heap of at least this many (a tiny heap keeps every segment evictable by the old rules). */
const OWN_MIN_SEGMENTS = 16;
/** How far past its next record a writer faults in its own segment ahead of need (prefaultOwn): one more page. */
const TOUCH_AHEAD = 4096;

/** Index stripes, each with its own sequence word ("Striped links"); a power of two, at most the smallest table's buckets that links stripes. */
export const LINK_STRIPES = 64;
/** Int32 words between two stripes' sequence words (one 64-byte line each). */
const STRIPE_STRIDE = 16;
/** Stripe words one read attempt can hold (two per key: its two buckets' stripes); more make the attempt void. */
const READ_STRIPES_MAX = 4;
/** Loads of an odd stripe word a reader makes before it starts anyway (the attempt is then void). */
const STRIPE_SPINS = 64;

/** Optimistic attempts per key before a read takes the shared lock (which always succeeds). */
const OPTIMISTIC_ATTEMPTS = 3;
/** The Int32 index in the handle's `control` of thread slot `threadSlot`'s APPLYING flag (tests simulate a thread mid-mark with it). */
export function applyingFlagIndex(threadSlot: number): number {
  return APPLYING + threadSlot * APPLYING_STRIDE;
}
/** Loads of a thread's APPLYING flag before waitForMarks sleeps (a mark takes well under a microsecond). */
const MARK_WAIT_SPINS = 256;
/** Milliseconds waitForMarks sleeps on one flag before it takes the thread for gone. */
const MARK_WAIT_MS = 1000;
/** What an optimistic get found (readKind). */
const READ_NONE = 0;
const READ_HIT = 1;
const READ_MISS = 2;
const READ_EXPIRED = 3;
const READ_FLUSHED = 4;

/** Values up to this many bytes are copied out word by word (see copyValue). */
const SMALL_VALUE_COPY = 128;
/** Buckets of the hash index migrated per expiry tick while it expands. */
const MIGRATE_PER_TICK = 8192;
/** Expiry tick: a segment whose items all expired is free within this plus one sweep. */
const EXPIRY_INTERVAL_MS = 1000;

export class SegmentStore implements CacheStore {
  /** This thread slot's counters (items and bytes are the store's); totals() sums every slot. */
  readonly counters: StoreCounters;
  readonly options: Readonly<Required<Omit<StoreOptions, 'clock' | 'hashSeed' | 'hashPower'>>>;
  /** Everything another thread needs to attach (shared-store.ts). */
  readonly handle: SharedStoreHandle;
  lastCas = 0;
  lastArithValue = 0n;
  /** Work readers deferred to the exclusive lock (settleReads): kind, record address, key hash. */
  private pendingCount = 0;
  private readonly pendingKind = new Uint8Array(PENDING_MAX);
  private readonly pendingAddr = new Float64Array(PENDING_MAX);
  private readonly pendingHash = new Uint32Array(PENDING_MAX);

  private readonly space: ItemSpace;
  private readonly clock: Clock;
  private readonly casEnabled: boolean;
  private readonly perItemCas: boolean;
  private readonly itemSizeMax: number;
  private readonly segmentSize: number;
  private readonly lock: SharedExclusiveLock;
  private readonly control: Int32Array;
  /** [CAS_COUNTER, PENDING_FLUSH_AT] */
  private readonly cells: Float64Array;
  private readonly evictor: Evictor | null;
  private timer: NodeJS.Timeout | undefined;
  /** The housekeeper's merge under way, one slice per housekeep() (evictor.slices). */
  private mergeSteps: Generator<void, boolean> | null = null;
  private readonly expiryIntervalMs: number;
  /**
   * This thread's own segment (see the header, "Own segments"): plain sets
   * write their record into it under the shared lock and link it under the
   * exclusive one. NO_SEGMENT when none; valid only while the heap's busy
   * mark is still ownMark and its generation still ownGeneration.
   */
  private ownSeg = NO_SEGMENT;
  private ownGeneration = -1;
  /** Offset in the own segment below which this thread has touched every page (prefaultOwn); 0 at each claim. */
  private ownTouchedTo = 0;
  /** What writeOwned's lookup found, for linkOwned: the key hash, the current (or expired) version's address or -1. */
  private ownHash = 0;
  private ownOld = -1;
  private ownOldExpired = false;
  /** writeOwned(): the slab class of the record it wrote (for linkOwned's counts). */
  private ownClass = 0;
  /** Of ownedSets, those whose shared lock was upgraded in place (the lookup done beside readers held). */
  ownedUpgrades = 0;
  /** Plain sets this thread stored through its own segment (tests and benchmarks read it; not a stat). */
  ownedSets = 0;
  /** This thread's busy mark for segments it owns (OWNED_MARK + slot; 0: slots past 253 own none). */
  private readonly ownMark: number;

  // Optimistic reads (see the header): the attempt under way, if any.
  private readonly optimistic: boolean;
  /** This thread's beginWrite(true) raised READS_QUIET. */
  private quieted = false;
  /** This thread's APPLYING word in `control`. */
  private readonly applying: number;
  /** The even sequence value this thread's read attempt started from; -1 (odd) when no optimistic attempt is under way. */
  private readSeen = -1;
  /** What the attempt's get found, applied only if the attempt stands: READ_* kind, address, second, word A and slot meta word seen. */
  private readKind = 0;
  private readAddr = -1;
  /** The optimistic get's key hash, for a miss's ghost mark (applyRead). */
  private readHash = 0;
  private readNow = 0;
  private readWordA = 0;
  private readMeta = 0;
  /** The hit's value start in its segment and length, clamped to the segment (see itemValueLength). */
  private readValueStart = 0;
  private readLength = 0;
  private readStart = 0.5;
  /** Striped links: the stripe words this attempt read through (index, even value seen), READ_STRIPES_MAX pairs; count -1: one was odd or too many (void). */
  private readonly readStripes = new Int32Array(READ_STRIPES_MAX * 2);
  private readStripeCount = 0;
  /** The stripes' sequence words (handle.stripes), and whether this store's plain sets link by stripe. */
  private readonly stripes: Int32Array;
  private readonly striped: boolean;
  /** Plain sets this thread linked with only their stripe's word bumped (tests and benchmarks; not a stat). */
  stripedLinks = 0;
  /** Read attempts begun optimistically, and those void because a writer overlapped them (tests and benchmarks; not stats). */
  readAttempts = 0;
  readVoid = 0;
  /**
   * measureLock only: wall ns spent in void attempts (time lost to writers,
   * counted as serial by the benchmark; it includes any time the thread was
   * descheduled inside the attempt), and in attempts that stood.
   */
  readLostNs = 0;
  readStandNs = 0;
  /** Test hook: called inside an optimistic get between its lookup and the copy of the value (a writer can be made to overlap). */
  onOptimisticRead: ((addr: number) => void) | null = null;

  /** A new store (this thread in slot 0), or (handle, { threadSlot }) another thread's view of a shared one. */
  constructor(options: StoreOptions, tuning?: StoreTuning);
  constructor(handle: SharedStoreHandle, attach: { threadSlot: number; clock?: Clock });
  constructor(source: StoreOptions | SharedStoreHandle, second: StoreTuning | { threadSlot: number; clock?: Clock } = {}) {
    const attaching = 'kind' in source && source.kind === 'grow-a-cache-store';
    let handle: SharedStoreHandle;
    let clock: Clock | undefined;
    let slot = 0;
    if (attaching) {
      handle = source;
      const attach = second as { threadSlot: number; clock?: Clock };
      slot = attach.threadSlot;
      clock = attach.clock;
    } else {
      handle = newHandle(source as StoreOptions, second as StoreTuning);
      clock = (source as StoreOptions).clock;
    }
    this.handle = handle;
    const { hashSeed: _seed, ...options } = handle.options;
    this.options = options;
    this.clock = clock ?? batchClock;
    this.casEnabled = options.casEnabled;
    this.perItemCas = handle.perItemCas;
    this.itemSizeMax = options.itemSizeMax;
    this.segmentSize = options.segmentSize;
    this.expiryIntervalMs = handle.expiryIntervalMs;
    this.counters = slotCounters(handle.counters, slot);
    this.control = new Int32Array(handle.control);
    this.cells = new Float64Array(handle.cells);
    this.lock = new SharedExclusiveLock(this.control, LOCK, handle.measureLock, SEQ);
    this.optimistic = handle.optimisticReads !== false;
    this.stripes = new Int32Array(handle.stripes);
    this.striped = this.optimistic && handle.stripedLinks;
    this.applying = APPLYING + slot * APPLYING_STRIDE;
    this.evictor = evictorFor(options.evictionPolicy, options.mergeSegments, handle.turnover);
    this.space = new ItemSpace(
      {
        memoryLimitBytes: options.memoryLimitBytes,
        segmentSize: options.segmentSize,
        growthRoom: false,
        hashSeed: handle.options.hashSeed,
        hashSlots: 0,
        hashMaxLoad: 0,
        evictionPolicy: options.evictionPolicy,
        evictor: this.evictor,
        memory: handle.space,
      },
      this.counters,
    );
    this.space.reserve = this.reserveSegments();
    this.space.classes = new slab.ClassCounters(handle.classes, slot, options.casEnabled);
    if (this.optimistic) this.space.heap.onRenew = (): void => this.waitForMarks();
    this.ownMark = OWNED_MARK + slot <= 0xff ? OWNED_MARK + slot : 0;
    this.space.ownMark = this.ownMark;
    const control = this.control;
    this.space.onLowReserve = () => {
      if (control[HOUSEKEEPER_ACTIVE] === 0) return;
      Atomics.add(control, HOUSEKEEP_WAKE, 1);
      Atomics.notify(control, HOUSEKEEP_WAKE, 1);
    };
  }

  /** Whether a housekeeping thread has taken a step on this store (from then on writers wake it). */
  get housekeeperStarted(): boolean {
    return Atomics.load(this.control, HOUSEKEEPER_ACTIVE) !== 0;
  }

  /** The pace ratio the housekeeping loop runs at (0: flat out), as it recorded it with setHousekeeperPace. */
  get housekeeperPace(): number {
    return Atomics.load(this.control, HOUSEKEEPER_PACE) / 100;
  }

  /** For the housekeeping loop: record its pace ratio (hundredths kept) so every thread's stats can show it. */
  setHousekeeperPace(ratio: number): void {
    Atomics.store(this.control, HOUSEKEEPER_PACE, Math.max(0, Math.min(0x7fffffff, Math.round(ratio * 100))));
  }

  /**
   * The key hash the last lookup on this thread computed (the hash index's
   * own): the sizing advisor samples by it instead of hashing the key again.
   */
  get lastKeyHash(): number {
    return this.space.lastHash;
  }

  // ---- threads -----------------------------------------------------------

  /**
   * Start a read bracket: item refs stay valid until the matching
   * endRead(), because the store lock is held shared (other readers run,
   * no writer, merge or sweep does), so nothing can move, overwrite or free
   * what a ref points at. Inside it only get, peek and the item* readers
   * may be called; a write throws (use beginWrite). Keep brackets short.
   */
  beginRead(): void {
    this.lock.lockShared();
  }

  endRead(): void {
    this.lock.unlockShared();
    if (this.pendingCount > 0 && !this.lock.held) this.settleReads();
  }

  /**
   * One attempt at a read bracket for a get and the copy of its value
   * (text get): optimistic (no lock; see "Optimistic reads" in the header)
   * while `attempt` < OPTIMISTIC_ATTEMPTS and no writer stays inside, else
   * the shared lock as beginRead(). Inside it: get() and the item readers
   * only. End it with endReadAttempt(), which says whether what was read
   * stands; if not, discard everything built from it and try again with
   * attempt + 1. A throw inside the attempt: readTorn() says whether it
   * came from torn data (then end the attempt and retry) or is real.
   */
  beginReadAttempt(attempt: number): void {
    if (this.optimistic && attempt < OPTIMISTIC_ATTEMPTS && !this.lock.held && this.readSeen === -1) {
      const start = this.lock.measuring ? performance.now() : 0;
      const seen = this.lock.readBegin();
      if ((seen & 1) === 0) {
        this.readSeen = seen;
        this.readStripeCount = 0;
        this.readAttempts++;
        this.readStart = start;
        return;
      }
      // A writer stayed inside: the spin was time lost waiting for it.
      if (this.lock.measuring) {
        const waited = nsSince(start);
        this.lock.waitNs += waited;
        this.lock.histogram!.add('wait', waited);
      }
    }
    this.lock.lockShared();
  }

  /** End a read attempt: true when what it read stands (always under the lock), false when it is void. */
  endReadAttempt(): boolean {
    const seen = this.readSeen;
    if (seen === -1) {
      this.endRead();
      return true;
    }
    this.readSeen = -1;
    const kind = this.readKind;
    this.readKind = READ_NONE;
    if (!this.lock.readValid(seen) || !this.stripesValid()) {
      this.readVoid++;
      if (this.lock.measuring) {
        const lost = nsSince(this.readStart);
        this.readLostNs += lost;
        this.lock.histogram!.add('lost', lost);
      }
      // Views built from a half-changed table are rebuilt before the next lookup.
      this.space.index.forgetViews();
      return false;
    }
    if (kind !== READ_NONE) this.applyRead(kind, seen);
    if (this.lock.measuring) this.readStandNs += nsSince(this.readStart);
    if (this.pendingCount > 0 && !this.lock.held) this.settleReads();
    return true;
  }

  /** Is this thread inside an optimistic read attempt (what it reads may be torn until endReadAttempt says it stands)? */
  protected get readingOptimistically(): boolean {
    return this.readSeen !== -1;
  }

  /** Inside an optimistic attempt: has a writer overlapped it (so a throw in it came from torn data)? */
  readTorn(): boolean {
    return this.readSeen !== -1 && (!this.lock.readValid(this.readSeen) || !this.stripesValid());
  }

  /**
   * In a read attempt, before the lookup of a key with `hash`: note the
   * sequence words of the key's two bucket stripes (spinning a little while
   * one is odd: a link into it is under way). An odd one, or more stripes
   * than READ_STRIPES_MAX, voids the attempt.
   */
  private noteStripes(hash: number): void {
    const s1 = (hash & (LINK_STRIPES - 1)) * STRIPE_STRIDE;
    const s2 = (altHash(hash) & (LINK_STRIPES - 1)) * STRIPE_STRIDE;
    this.noteStripe(s1);
    if (s2 !== s1) this.noteStripe(s2);
  }

  private noteStripe(i: number): void {
    const n = this.readStripeCount;
    if (n < 0) return;
    if (n === READ_STRIPES_MAX) {
      this.readStripeCount = -1;
      return;
    }
    const stripes = this.stripes;
    let v = Atomics.load(stripes, i);
    for (let spin = 0; (v & 1) !== 0 && spin < STRIPE_SPINS; spin++) {
      spinPause();
      v = Atomics.load(stripes, i);
    }
    if ((v & 1) !== 0) {
      this.readStripeCount = -1;
      return;
    }
    this.readStripes[n * 2] = i;
    this.readStripes[n * 2 + 1] = v;
    this.readStripeCount = n + 1;
  }

  /** Are the stripe words this attempt noted still as seen (no link into those stripes began, ran or ended)? */
  private stripesValid(): boolean {
    const n = this.readStripeCount;
    if (n < 0) return false;
    const stripes = this.stripes;
    const seen = this.readStripes;
    for (let k = 0; k < n * 2; k += 2) if (Atomics.load(stripes, seen[k]!) !== seen[k + 1]) return false;
    return true;
  }

  /**
   * A bracket for a request that reads and writes (meta, touch, arith): the
   * store lock held exclusively. `quietReaders` (a warm-restart save, which
   * checksums memory before it writes it): also wait until no optimistic
   * reader is applying its marks, and keep them from starting, so no word
   * of the store changes until endWrite().
   */
  beginWrite(quietReaders = false): void {
    this.lock.lock();
    if (!quietReaders || this.quieted) return;
    this.quieted = true;
    const control = this.control;
    Atomics.store(control, READS_QUIET, 1);
    this.waitForMarks();
  }

  /**
   * Wait until no other thread is between its APPLYING flags. Called with
   * the lock held exclusively: by a save (beginWrite(true)) and before a
   * segment is renewed (SegmentHeap.onRenew), the only way record words get
   * rewritten, so a validated reader's compareExchange never lands on
   * another record's bytes that happen to equal the word it saw. A flag
   * still up after MARK_WAIT_MS belongs to a thread that is gone (a worker
   * terminated at shutdown, mid-mark): it is cleared, so no wait repeats.
   */
  private waitForMarks(): void {
    // A renew inside a striped link's hold would leave SEQ even: make it odd first (readers' re-check needs it).
    this.lock.raiseSeq();
    const control = this.control;
    for (let i = APPLYING; i < control.length; i += APPLYING_STRIDE) {
      if (i === this.applying) continue;
      for (let spin = 0; Atomics.load(control, i) !== 0; spin++) {
        if (spin < MARK_WAIT_SPINS) {
          spinPause();
          continue;
        }
        if (spin >= MARK_WAIT_SPINS + MARK_WAIT_MS) {
          Atomics.compareExchange(control, i, 1, 0);
          break;
        }
        Atomics.wait(control, i, 1, 1);
      }
    }
  }

  endWrite(): void {
    if (this.quieted && this.lock.depth === 1) {
      this.quieted = false;
      Atomics.store(this.control, READS_QUIET, 0);
    }
    this.lock.unlock();
  }

  /**
   * One bounded step of background work, for a housekeeping thread to call
   * in a loop (with housekeepWait between): an expiry sweep of
   * SWEEP_SLICE segment headers, MIGRATE_PER_STEP buckets of a hash
   * doubling, and, while fewer than `reserveSegments` segments are free,
   * one eviction pass (a merge) so writers find a free segment instead of
   * merging inline. Returns true when more work is pending (call again
   * soon). Each step takes the store lock once.
   */
  housekeep(): boolean {
    this.lock.lock();
    try {
      const control = this.control;
      control[HOUSEKEEPER_ACTIVE] = 1;
      const nowS = this.now();
      if (this.mergeSteps !== null) {
        // A merge under way: one more slice, nothing else this step.
        this.mergeSlice();
        return true;
      }
      const space = this.space;
      const heap = space.heap;
      const start = control[SWEEP_CURSOR]!;
      // Flushed segments wait out the flush's second (reads right after a flush_all find
      // their items and count get_flushed, as memcached's do); a writer short of room takes them at once.
      const flushedBudget = nowS > this.cells[FLUSHED_SECOND]! ? HOUSEKEEP_FLUSHED_SEGMENTS : 0;
      const end = space.sweepRange(nowS, start, Math.min(heap.segmentCount, start + SWEEP_SLICE), flushedBudget);
      // Widen access units ahead of time, so readers (who may not) rarely need to.
      // (An owned segment too: records up to writeOffset are whole; an owner's record in flight is stamped when linked.)
      for (let seg = start; seg < end; seg++) if (!heap.isFree(seg) && heap.busy[seg] !== MERGE_BUSY) heap.coverAccessTime(seg, nowS + WIDEN_AHEAD_S);
      control[SWEEP_CURSOR] = end >= heap.segmentCount ? 0 : end;
      space.index.migrate(MIGRATE_PER_STEP);
      const reserve = this.reserveSegments();
      const evictor = this.evictor;
      if (heap.freeCount < reserve && evictor !== null) {
        // Expired bytes first (a full header sweep), then one eviction pass,
        // in slices when the policy has them. Segments a flush_all left go a
        // few per step; while any wait, nothing live is evicted.
        const swept = space.sweepRange(nowS, 0, heap.segmentCount, HOUSEKEEP_FLUSHED_SEGMENTS);
        if (heap.freeCount < reserve && swept >= heap.segmentCount) {
          if (evictor.slices !== undefined) {
            this.mergeSteps = evictor.slices(space, nowS, this.handle.mergeSliceRecords);
            this.mergeSlice();
          } else {
            evictor(space, nowS);
          }
        }
      }
      return this.mergeSteps !== null || (evictor !== null && heap.freeCount < reserve) || space.index.isExpanding || control[SWEEP_CURSOR] !== 0;
    } finally {
      this.lock.unlock();
      // Between slices, let a waiting client in before taking the lock again.
      if (this.mergeSteps !== null) this.lock.handOff(HAND_OFF_MS);
    }
  }

  /** Run the sliced merge this thread has under way to its end (a stopping housekeeper; tests before an audit). */
  housekeepFinish(): void {
    if (this.mergeSteps === null) return;
    this.lock.lock();
    try {
      while (this.mergeSteps !== null) this.mergeSlice();
    } finally {
      this.lock.unlock();
    }
  }

  /** One slice of the merge under way (store lock held). */
  private mergeSlice(): void {
    const steps = this.mergeSteps!;
    this.counters.mergeSlices++;
    if (steps.next().done === true) this.mergeSteps = null;
  }

  /**
   * Sleep up to `timeoutMs` until a writer leaves the free pool below the
   * reserve (returns at once if it already is). For the housekeeping thread.
   */
  housekeepWait(timeoutMs: number): void {
    const seen = Atomics.load(this.control, HOUSEKEEP_WAKE);
    if (this.evictor !== null && this.space.heap.freeCount < this.reserveSegments()) return;
    Atomics.wait(this.control, HOUSEKEEP_WAKE, seen, timeoutMs);
  }

  /**
   * Whether writers are close to finding no free segment: this store evicts
   * and fewer than half its reserve is free (or none at all). While it is
   * not, the housekeeping loop paces its merge; when it is, it runs flat out.
   */
  housekeepUrgent(): boolean {
    if (this.evictor === null) return false;
    const free = this.space.heap.freeCount;
    return free === 0 || free * 2 < this.reserveSegments();
  }

  /**
   * Sleep up to `timeoutMs`, returning early when a writer takes a segment
   * below the reserve (the same wake as housekeepWait, without its early
   * return while a merge is owed). For the housekeeping loop's pacing.
   */
  housekeepPause(timeoutMs: number): void {
    Atomics.wait(this.control, HOUSEKEEP_WAKE, Atomics.load(this.control, HOUSEKEEP_WAKE), timeoutMs);
  }

  /** Free segments to keep: the handle's reserve, less while cache_memlimit keeps the heap small. */
  private reserveSegments(): number {
    const handle = this.handle;
    const target = this.space.heap.targetCount;
    // A default reserve follows a heap cache_memlimit shrank (its per-writer part stays within 1/16 of it).
    const fitted = handle.reserveWriters > 1 ? Math.min(handle.reserveSegments, defaultReserveSegments(target, handle.reserveWriters)) : handle.reserveSegments;
    return Math.min(fitted, target - 1);
  }

  setEvictionListener(listener: ((ref: ItemRef) => void) | null): void {
    this.space.onEvict = listener === null ? null : (addr) => listener(addr);
  }

  setMemoryLimit(bytes: number): boolean {
    const heap = this.space.heap;
    const target = heap.segmentsFor(bytes);
    if (!(target >= MIN_LIMIT_SEGMENTS && target <= heap.segmentCount)) return false;
    this.lock.lock();
    let surplus: number;
    try {
      surplus = heap.setTarget(target, bytes);
      this.space.reserve = this.reserveSegments();
    } finally {
      this.lock.unlock();
    }
    // Evict down to the target a slice at a time, letting other threads in
    // between; freed segments retire instead of circulating (segment-heap.ts).
    // With -M (no evictor) nothing stored is dropped: expired and free
    // segments retire now, the rest as deletes and expiry free them, and
    // writes answer out_of_memory meanwhile.
    const evict = this.evictor;
    while (surplus > 0) {
      this.lock.lock();
      try {
        const nowS = this.now();
        this.space.sweep(nowS);
        for (let i = 0; i < SHRINK_SLICE && heap.activeCount > heap.targetCount; i++) {
          if (heap.freeCount > 0) heap.setTarget(heap.targetCount, heap.limitBytes);
          else if (evict === null || (!evict(this.space, nowS) && !evictOldest(this.space, nowS))) break;
        }
        const left = heap.activeCount - heap.targetCount;
        // Nothing left to evict (cannot happen with segments in use): writers finish the shrink.
        surplus = left < surplus ? left : 0;
      } finally {
        this.lock.unlock();
      }
    }
    return true;
  }

  /** Counters summed over every thread slot (stats, metrics). */
  totals(): StoreCounters {
    return sumCounters(this.handle.counters);
  }

  /** With measureLock: this thread's waits, exclusive holds and void read attempts by duration (lock-histogram.ts), else null. */
  lockHistogram(): HistogramFigures | null {
    return this.lock.histogram?.figures ?? null;
  }

  /** This thread's lock timings (measureLock tuning only; zeros otherwise). */
  lockTimes(): { waitNs: number; heldNs: number; sharedNs: number; acquisitions: number; sharedAcquisitions: number } {
    const l = this.lock;
    return { waitNs: l.waitNs, heldNs: l.heldNs, sharedNs: l.sharedNs, acquisitions: l.acquisitions, sharedAcquisitions: l.sharedAcquisitions };
  }

  // ---- locked entry points (each a whole operation under the store lock) --

  get(key: Buffer): ItemRef {
    if (this.readSeen !== -1) return this.getOptimistic(key);
    if (this.lock.exclusive) return this.getLocked(key);
    this.lock.lockShared();
    let ref: ItemRef;
    try {
      ref = this.getShared(key);
    } finally {
      this.lock.unlockShared();
    }
    if (this.pendingCount > 0 && !this.lock.held) this.settleReads();
    return ref;
  }

  peek(key: Buffer): ItemRef {
    if (this.lock.exclusive) return this.peekLocked(key);
    this.lock.lockShared();
    let ref: ItemRef;
    try {
      ref = this.space.lookupShared(key, this.nowShared());
      if (ref < 0 && this.space.lastMissExpired) this.defer(PENDING_EXPIRED, this.space.lastFoundAddr);
    } finally {
      this.lock.unlockShared();
    }
    if (this.pendingCount > 0 && !this.lock.held) this.settleReads();
    return ref;
  }

  store(mode: 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas', key: Buffer, value: Buffer, flags: number, exptime: number, cas: number): StoreStatus {
    if (mode === 'set' && cas === 0 && this.ownSeg !== NO_SEGMENT && !this.lock.held) {
      const addr = this.writeOwned(key, value, flags, exptime, true);
      if (addr >= 0) return this.linkOwned(addr, key, value, flags, exptime, true);
    }
    this.lock.lock();
    try {
      return this.storeLocked(mode, key, value, flags, exptime, cas);
    } finally {
      this.lock.unlock();
    }
  }

  arith(key: Buffer, incr: boolean, delta: bigint, initial: bigint | undefined, exptime: number, cas: number): ArithStatus {
    this.lock.lock();
    try {
      return this.arithLocked(key, incr, delta, initial, exptime, cas);
    } finally {
      this.lock.unlock();
    }
  }

  touch(key: Buffer, exptime: number): TouchStatus {
    this.lock.lock();
    try {
      return this.touchLocked(key, exptime);
    } finally {
      this.lock.unlock();
    }
  }

  getAndTouch(key: Buffer, exptime: number): ItemRef {
    this.lock.lock();
    try {
      return this.getAndTouchLocked(key, exptime);
    } finally {
      this.lock.unlock();
    }
  }

  delete(key: Buffer, cas: number): DeleteStatus {
    this.lock.lock();
    try {
      return this.deleteLocked(key, cas);
    } finally {
      this.lock.unlock();
    }
  }

  flushAll(delay: number): void {
    this.lock.lock();
    try {
      this.flushAllLocked(delay);
    } finally {
      this.lock.unlock();
    }
  }

  expireNow(): void {
    // One flushed segment per hold (sweep), so other threads get in between.
    for (let done = false; !done; ) {
      this.lock.lock();
      try {
        done = this.expireNowLocked();
      } finally {
        this.lock.unlock();
      }
    }
  }

  mallocedBytes(): number {
    const heap = this.space.heap;
    return heap.preallocatedBytes + heap.committedBytes;
  }

  shape(): StoreShape {
    this.lock.lock();
    try {
      return this.shapeLocked();
    } finally {
      this.lock.unlock();
    }
  }

  // ---- lookups -----------------------------------------------------------

  private getLocked(key: Buffer): ItemRef {
    const nowS = this.now();
    const addr = this.space.lookup(key, nowS);
    if (addr < 0) {
      this.counters.getMisses++;
      this.space.noteGetMiss(this.space.keyHash(key));
      this.countDeadMiss();
      return -1;
    }
    this.counters.getHits++;
    this.space.classes.count(this.space.classAt(addr), slab.F_GET_HITS);
    this.space.index.countHit(nowS);
    this.markFetched(addr, nowS);
    return addr;
  }

  /**
   * get() under the shared lock: other readers run alongside, so it writes
   * only this thread's counter row and the read marks (slot frequency,
   * fetched bit, access stamp: see markFetchedShared and the header), and
   * an expired item is a miss left for a writer or the sweep to unlink.
   */
  private getShared(key: Buffer): ItemRef {
    const nowS = this.nowShared();
    const space = this.space;
    const addr = space.lookupShared(key, nowS);
    if (addr < 0) {
      this.counters.getMisses++;
      space.noteGetMiss(space.keyHash(key));
      if (space.lastMissExpired) {
        this.countDeadMiss();
        this.defer(PENDING_EXPIRED, space.lastFoundAddr);
      }
      return -1;
    }
    this.counters.getHits++;
    space.classes.count(space.classAt(addr), slab.F_GET_HITS);
    space.index.countHit(nowS);
    if (!this.markFetchedShared(addr, nowS)) this.defer(PENDING_STAMP, addr);
    return addr;
  }

  /**
   * get() in an optimistic attempt: the lookup only, with plain reads that
   * may be torn. What it found is noted and counted (counters, slot
   * frequency, fetched bit and stamp, deferred unlink) by applyRead() only
   * once endReadAttempt() has validated the attempt.
   */
  private getOptimistic(key: Buffer): ItemRef {
    const nowS = this.nowShared();
    const space = this.space;
    const hash = space.keyHash(key);
    // Before the lookup's first read of the index (Atomics.load orders it).
    this.noteStripes(hash);
    const addr = space.lookupSharedHashed(key, hash, nowS);
    if (this.onOptimisticRead !== null) this.onOptimisticRead(addr);
    this.readNow = nowS;
    this.readHash = hash;
    if (addr < 0) {
      this.readKind = space.lastMissFlushed ? READ_FLUSHED : space.lastMissExpired ? READ_EXPIRED : READ_MISS;
      this.readAddr = space.lastFoundAddr;
    } else {
      this.readKind = READ_HIT;
      this.readAddr = addr;
      this.readWordA = space.wordA(addr);
      this.readMeta = space.index.foundMeta();
      this.readValueStart = Math.min(Math.max(0, space.valueStart(addr)), this.segmentSize);
      this.readLength = Math.min(space.valueLength(addr), this.segmentSize - this.readValueStart) >>> 0;
    }
    return addr;
  }

  /**
   * A validated optimistic get's effects. Counters are this thread's row.
   * The marks go into words writers may be rewriting now (merges, cuckoo
   * moves, a new record where a freed one was), so each is one
   * compareExchange against the word this reader saw and is dropped if the
   * word changed: a racing writer's word is never overwritten and only the
   * frequency, counted, fetched and stamp bits ever change (a lost mark is
   * a lost approximate count). Under READS_QUIET (a save) none is made.
   */
  private applyRead(kind: number, seen: number): void {
    const space = this.space;
    const c = this.counters;
    if (kind !== READ_HIT) {
      c.getMisses++;
      space.noteGetMiss(this.readHash);
      if (kind === READ_EXPIRED || kind === READ_FLUSHED) {
        if (kind === READ_FLUSHED) c.getFlushed++;
        else c.getExpired++;
        this.defer(PENDING_EXPIRED, this.readAddr);
      }
      return;
    }
    c.getHits++;
    // From the attempt's own copies: a class 1..63 whatever they held.
    space.classes.count(space.classes.classOf(this.readWordA, this.readLength), slab.F_GET_HITS);
    const control = this.control;
    Atomics.store(control, this.applying, 1);
    // Re-checked with the flag up: if no exclusive hold has begun since the
    // attempt, none that renews a segment can rewrite these words until the
    // flag is down again (waitForMarks); if one has, the marks are dropped.
    if (Atomics.load(control, READS_QUIET) === 0 && this.lock.readValid(seen)) {
      const nowS = this.readNow;
      space.index.countHitSeen(nowS, this.readMeta);
      if (!this.markFetchedSeen(this.readAddr, nowS, this.readWordA)) this.defer(PENDING_STAMP, this.readAddr);
    }
    Atomics.store(control, this.applying, 0);
    if (Atomics.load(control, READS_QUIET) !== 0) Atomics.notify(control, this.applying);
  }

  /**
   * markFetchedShared for a validated optimistic read: only if word A is
   * still `seen`, by compareExchange. False when the stamp needs the
   * segment's unit widened (deferred to settleReads as from the shared lock).
   */
  private markFetchedSeen(addr: number, nowS: number, seen: number): boolean {
    const heap = this.space.heap;
    const seg = this.space.segmentOf(addr);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = heap.words[seg]!;
    if (words[w] !== seen) return true;
    const stamp = Math.max(0, Math.floor(nowS / heap.accessUnit[seg]!) - heap.accessBase[seg]!);
    const wide = stamp > MAX_ACCESS_STAMP;
    const next = wide ? (seen | (1 << 8)) >>> 0 : ((seen & 0xffff) | (1 << 8) | (stamp << 16)) >>> 0;
    if (next !== seen && Atomics.compareExchange(words, w, seen, next) !== seen) return true;
    if (heap.read[seg] === 0) heap.read[seg] = 1;
    return !wide;
  }

  /** A miss on an item found dead: memcached's get_flushed when a flush_all killed it, get_expired when its deadline did. */
  private countDeadMiss(): void {
    if (!this.space.lastMissExpired) return;
    if (this.space.lastMissFlushed) this.counters.getFlushed++;
    else this.counters.getExpired++;
  }

  /** Note what a reader could not write under the shared lock, for settleReads(); dropped when the list is full. */
  private defer(kind: number, addr: number): void {
    const n = this.pendingCount;
    if (n >= PENDING_MAX) return;
    this.pendingKind[n] = kind;
    this.pendingAddr[n] = addr;
    this.pendingHash[n] = this.space.lastHash;
    this.pendingCount = n + 1;
  }

  /**
   * After the last shared bracket ends: under the exclusive lock, unlink the
   * expired items readers found (counted as a locked lookup would count
   * them) and stamp the reads that needed their segment's access unit
   * widened. Each is redone only if its key's slot still points at the
   * same record (a writer may have replaced or moved it meanwhile).
   */
  private settleReads(): void {
    this.lock.lock();
    try {
      const nowS = this.now();
      const space = this.space;
      const index = space.index;
      for (let i = 0; i < this.pendingCount; i++) {
        const addr = this.pendingAddr[i]!;
        const hash = this.pendingHash[i]!;
        const loc = space.locOf(addr);
        if (!index.findLoc(hash, loc) || space.hashAt(loc) !== hash) continue;
        if (this.pendingKind[i] === PENDING_STAMP) {
          this.markFetched(addr, nowS);
          continue;
        }
        const deadline = space.deadline(addr);
        if ((deadline === NEVER || nowS < deadline) && !space.heap.isFlushed(space.segmentOf(addr))) continue;
        index.removeFound();
        if ((space.wordA(addr) & (ITEM_FETCHED << 8)) === 0) this.counters.expiredUnfetched++;
        space.countReclaimed(addr);
        space.retire(addr);
        this.counters.expiredReclaimed++;
      }
    } finally {
      this.pendingCount = 0;
      this.lock.unlock();
    }
  }

  private peekLocked(key: Buffer): ItemRef {
    return this.space.lookup(key, this.now());
  }

  // ---- item fields -------------------------------------------------------

  itemFlags(ref: ItemRef): number {
    return this.space.flags(ref);
  }

  /**
   * In an optimistic attempt a torn header may claim any length, so the
   * hit's value start and length were read once by getOptimistic and
   * clamped to its segment: a reply never reserves more than one segment
   * and a copy stays inside its source (a whole record always fits, so this
   * never cuts a value that stands).
   */
  itemValueLength(ref: ItemRef): number {
    if (this.readSeen !== -1 && ref === this.readAddr) return this.readLength;
    return this.space.valueLength(ref);
  }

  itemValue(ref: ItemRef): Buffer {
    const seg = this.space.segmentOf(ref);
    const start = this.space.valueStart(ref);
    return this.space.heap.bytes[seg]!.subarray(start, start + this.space.valueLength(ref));
  }

  copyValue(ref: ItemRef, target: Buffer, offset: number, targetView?: DataView<ArrayBufferLike>): number {
    const seg = this.space.segmentOf(ref);
    const optimistic = this.readSeen !== -1 && ref === this.readAddr;
    const start = optimistic ? this.readValueStart : this.space.valueStart(ref);
    const n = optimistic ? this.readLength : this.space.valueLength(ref);
    const bytes = this.space.heap.bytes[seg]!;
    if (offset + n > target.length) return bytes.copy(target, offset, start, start + n);
    if (targetView === undefined || n > SMALL_VALUE_COPY) {
      copyRange(target, offset, bytes, start, start + n);
      return n;
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
    const space = this.space;
    return Math.max(0, this.nowSeconds() - space.heap.accessTime(space.segmentOf(ref), space.wordA(ref)));
  }

  // ---- storage commands --------------------------------------------------

  private storeLocked(
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
    if (value.length > this.valueMax(n, flags >>> 0)) {
      counters.storeTooLarge++;
      return 'too_large';
    }
    // memcached counts a class's cmd_set for every storage command whose item it could allocate, stored or not.
    const setCls = space.classes.classFor(n, value.length, flags >>> 0);
    space.classes.count(setCls, slab.F_CMD_SET);
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
        if (countsAsCas) {
          counters.casBadval++;
          space.classes.count(space.classAt(old), slab.F_CAS_BADVAL);
        }
        return 'exists';
      }
      if (countsAsCas) {
        counters.casHits++;
        space.classes.count(space.classAt(old), slab.F_CAS_HITS);
      }
    }

    let valueLength = value.length;
    let itemFlags = flags >>> 0;
    let deadline: number;
    const joining = mode === 'append' || mode === 'prepend';
    if (joining) {
      // memcached keeps the existing item's flags and exptime.
      valueLength += space.valueLength(old);
      itemFlags = space.flags(old);
      // memcached allocates the joined item with the old item's flags; too large is NOT_STORED there.
      if (valueLength > this.valueMax(n, itemFlags)) return 'not_stored';
      deadline = space.deadline(old);
    } else {
      deadline = deadlineFor(exptime, nowS);
      // An exptime already past (negative, or an absolute time gone): stored
      // as memcached stores it, expired from this second, so the next get
      // misses and counts get_expired; the sweep frees its segment.
      if (deadline === EXPIRED) deadline = nowS;
      if (this.cells[FLUSH_SECOND] === nowS) {
        // Stored in the last second a flush removes: flushed at once, the old value gone, the next get misses.
        if (old >= 0) space.unlink(old, hash);
        counters.totalItems++;
        this.lastCas = 0;
        return 'stored';
      }
    }
    const explicitCas = this.perItemCas ? this.nextExplicitCas() : 0;
    const addr = this.reserve(n, valueLength, itemFlags, deadline, explicitCas, old, nowS);
    if (addr < 0) return addr === -2 ? 'too_large' : 'out_of_memory';
    // The record's class: the cmd_set one unless append/prepend grew it and took the old flags.
    const cls = joining ? space.classes.classFor(n, valueLength, itemFlags) : setCls;
    const valueAt = space.writeRecord(addr, key, valueLength, itemFlags, deadline, explicitCas, 0, nowS, cls);
    const target = space.heap.bytes[space.segmentOf(addr)]!;
    if (joining) {
      const oldBytes = space.heap.bytes[space.segmentOf(old)]!;
      const oldStart = space.valueStart(old);
      const oldLength = space.valueLength(old);
      if (mode === 'append') {
        copyRange(target, valueAt, oldBytes, oldStart, oldStart + oldLength);
        copyView(target, valueAt + oldLength, value);
      } else {
        copyView(target, valueAt, value);
        copyRange(target, valueAt + value.length, oldBytes, oldStart, oldStart + oldLength);
      }
    } else {
      copyView(target, valueAt, value);
    }
    space.link(addr, old, hash, tag, cls);
    counters.totalItems++;
    if (mode === 'set' && cas === 0 && explicitCas === 0 && this.ownMark !== 0 && addr % this.segmentSize === 0) this.claimOwned(space.segmentOf(addr));
    this.lastCas = this.itemCas(addr);
    return 'stored';
  }

  // ---- own segments (see the header) --------------------------------------

  /**
   * The first half of a plain set (no lock held by this thread, no CAS):
   * under the shared lock, write the whole record (header, key, value)
   * into this thread's own segment at its writeOffset, past every record
   * anyone reads, and return its address for linkOwned(). -1 when the fast
   * path does not apply (no own segment any more, another TTL bucket, no
   * room, a due delayed flush, an invalid key or size): nothing was
   * written, the caller takes the exclusive path. The stamp is left 0:
   * linkOwned() stamps it, because the unit may widen in between.
   * `keepShared`: on success return still holding the shared lock (store()
   * then tries to upgrade it in place). Public for the tests of the two
   * halves; store() is the way in.
   */
  writeOwned(key: Buffer, value: Buffer, flags: number, exptime: number, keepShared = false): number {
    const n = key.length;
    if (n === 0 || n > MAX_KEY_BYTES || value.length > this.valueMax(n, flags >>> 0)) return -1;
    const nowS = this.nowSeconds();
    const deadline = deadlineFor(exptime, nowS);
    if (deadline === EXPIRED) return -1;
    const itemFlags = flags >>> 0;
    const size = recordBytes(n, value.length, recordBits(itemFlags, deadline, 0, 0));
    const space = this.space;
    const heap = space.heap;
    const seg = this.ownSeg;
    this.prefaultOwn(seg, size);
    this.lock.lockShared();
    let addr = -1;
    try {
      const flushAt = this.cells[PENDING_FLUSH_AT]!;
      if (flushAt >= 0 && nowS >= flushAt) return -1;
      if (this.cells[FLUSH_SECOND] === nowS) return -1;
      if (heap.busy[seg] !== this.ownMark || heap.generation[seg] !== this.ownGeneration || heap.isFlushed(seg)) {
        // Taken back (merged, evicted, swept, flushed): a later plain set that opens a segment claims another.
        this.ownSeg = NO_SEGMENT;
        return -1;
      }
      const off = heap.writeOffset[seg]!;
      if (off + size > this.segmentSize || heap.bucket[seg] !== space.bucketFor(deadline, nowS)) return -1;
      const cls = space.classes.classFor(n, value.length, itemFlags);
      const valueAt = space.writeHeader(seg, off, key, value.length, itemFlags, deadline, 0, 0, 0, cls);
      copyView(heap.bytes[seg]!, valueAt, value);
      // The key's current version, looked up as a reader does (its slot stays
      // the found one): still right at link time if the lock is upgraded in
      // place, since no one can have changed anything in between.
      const old = space.lookupShared(key, nowS);
      this.ownHash = space.lastHash;
      this.ownOld = old >= 0 ? old : space.lastMissExpired ? space.lastFoundAddr : -1;
      this.ownOldExpired = old < 0 && space.lastMissExpired;
      this.ownClass = cls;
      addr = seg * this.segmentSize + off;
      return addr;
    } finally {
      if (addr < 0 || !keepShared) this.lock.unlockShared();
    }
  }

  /**
   * The second half: under the exclusive lock, check the own segment is
   * still this thread's with nothing appended since writeOwned (else the
   * record is abandoned where it lies, past writeOffset, and the set runs
   * the exclusive path), then publish it: writeOffset past it, its stamp,
   * the segment's live figures, the hash slot (replacing the old version).
   * `sharedHeld`: writeOwned kept the shared lock; upgraded in place when
   * no one else is inside (nothing can have changed then), else let go
   * and the exclusive lock taken as usual.
   */
  linkOwned(addr: number, key: Buffer, value: Buffer, flags: number, exptime: number, sharedHeld = false): StoreStatus {
    // Striped: the hold leaves SEQ even until raiseSeq() (see "Striped links").
    const quiet = this.striped;
    const inPlace = sharedHeld && this.lock.tryUpgrade(quiet);
    if (inPlace) this.ownedUpgrades++;
    else {
      if (sharedHeld) this.lock.unlockShared();
      this.lock.lock(quiet);
    }
    let stripe = -1;
    try {
      const nowS = this.now();
      const space = this.space;
      const heap = space.heap;
      const seg = space.segmentOf(addr);
      const off = addr - seg * this.segmentSize;
      if (heap.busy[seg] !== this.ownMark || heap.generation[seg] !== this.ownGeneration || heap.writeOffset[seg] !== off || heap.isFlushed(seg)) {
        this.lock.raiseSeq();
        return this.storeLocked('set', key, value, flags, exptime, 0);
      }
      const hash = this.ownHash;
      if (quiet) {
        // Read only, so far: which one bucket the link writes, if it is
        // confined to one (else the hold goes loud before any write).
        stripe = this.linkStripe(key, hash, inPlace, seg, nowS);
        if (stripe < 0) this.lock.raiseSeq();
        else Atomics.add(this.stripes, stripe, 1);
      }
      let old: number;
      let fresh = false;
      if (stripe >= 0) {
        old = this.ownOld;
      } else if (inPlace) {
        // writeOwned's lookup still holds (found slot included); an expired
        // version found there is reclaimed here as lookup() would have.
        old = this.ownOld;
        if (this.ownOldExpired) {
          if ((space.wordA(old) & (ITEM_FETCHED << 8)) === 0) this.counters.expiredUnfetched++;
          space.countReclaimed(old);
          this.counters.expiredReclaimed++;
          fresh = true;
        }
      } else {
        old = space.lookupHashed(key, hash, nowS);
      }
      const words = heap.words[seg]!;
      const w = off >>> 2;
      const a = words[w]!;
      const size = recordBytes(a & 0xff, words[w + 1]!, (a >>> 8) & 0xff);
      words[w] = ((a & 0xffff) | (heap.accessStamp(seg, nowS, off) << 16)) >>> 0;
      heap.writeOffset[seg] = off + size;
      space.account(seg, size, space.deadline(addr));
      space.linkFound(addr, old, hash, tagOf(hash), size, this.ownClass, fresh);
      this.counters.totalItems++;
      space.classes.count(this.ownClass, slab.F_CMD_SET);
      this.ownedSets++;
      this.lastCas = this.itemCas(addr);
      return 'stored';
    } finally {
      // Even again after the link's last write, before the lock lets anyone in.
      if (stripe >= 0) {
        Atomics.add(this.stripes, stripe, 1);
        this.stripedLinks++;
      }
      this.lock.unlock();
    }
  }

  /**
   * For linkOwned in a quiet hold, with nothing written yet: the index of
   * the sequence word of the one stripe the link writes, or -1 when it
   * must void every optimistic reader (SEQ) instead. Confined means: the
   * key's current version (found by a read-only lookup; an expired one,
   * which must be reclaimed, is not confined) is relinked in its slot, or
   * an absent key fills a free slot of its own first or second bucket
   * (HashIndex.confinedBucket), and the record's access stamp needs no
   * widening of the segment's unit (that rewrites every stamp in it).
   * Sets ownOld / ownOldExpired to what the link then uses.
   */
  private linkStripe(key: Buffer, hash: number, inPlace: boolean, seg: number, nowS: number): number {
    const space = this.space;
    const heap = space.heap;
    if (Math.floor(nowS / heap.accessUnit[seg]!) - heap.accessBase[seg]! > MAX_ACCESS_STAMP) return -1;
    if (!inPlace) {
      // Others may have linked, moved or removed the key since writeOwned's lookup.
      const old = space.lookupSharedHashed(key, hash, nowS);
      this.ownOld = old >= 0 ? old : space.lastMissExpired ? space.lastFoundAddr : -1;
      this.ownOldExpired = old < 0 && space.lastMissExpired;
    }
    if (this.ownOldExpired) return -1;
    const bucket = space.index.confinedBucket(hash, this.ownOld >= 0, LINK_STRIPES);
    return bucket < 0 ? -1 : (bucket & (LINK_STRIPES - 1)) * STRIPE_STRIDE;
  }

  /**
   * Take the page faults of the own segment's next record before the
   * shared lock instead of under it. The first write to a page of the heap
   * faults it in: a few µs, 10-40 µs on a paravirtualised VM; under the
   * shared lock that holds up every writer queued for the exclusive one
   * (RESULTS.md, session 15: most of the long lock waits of a heap's first
   * fill). The pages from where this thread's touches stopped up to
   * TOUCH_AHEAD past the record are touched by touchForWrite, which changes
   * no byte and so is safe on memory someone else uses. It may be:
   * writeOffset is read without the lock, and a merge may have taken the
   * segment back since the claim. The page or two touched ahead of the
   * high-water mark (segment-heap.ts) are not counted in committed bytes.
   */
  private prefaultOwn(seg: number, size: number): void {
    if (seg === NO_SEGMENT) return;
    const heap = this.space.heap;
    const from = heap.writeOffset[seg]!;
    // Once per TOUCH_AHEAD bytes written, not once per record.
    if (from + size <= this.ownTouchedTo) return;
    const end = Math.min(this.segmentSize, from + size + TOUCH_AHEAD);
    touchForWrite(heap.bytes[seg]!, Math.max(this.ownTouchedTo, from), end);
    this.ownTouchedTo = end;
  }

  /**
   * Make `seg` (just opened by this thread's plain set, its one record at
   * offset 0) this thread's own segment, giving back the previous one. The
   * fresh generation makes the claim unique even if a slot's mark repeats
   * (two stores of one slot), at the price of the one record's CAS token,
   * which nobody has seen yet (exclusive lock held).
   */
  private claimOwned(seg: number): void {
    const heap = this.space.heap;
    if (heap.busy[seg] !== 0 || heap.targetCount < OWN_MIN_SEGMENTS || heap.writeOffset[seg] !== this.space.recordSize(seg * this.segmentSize)) return;
    const mine = this.ownSeg;
    if (mine !== NO_SEGMENT && heap.busy[mine] === this.ownMark && heap.generation[mine] === this.ownGeneration) heap.busy[mine] = 0;
    heap.renew(seg);
    heap.busy[seg] = this.ownMark;
    this.ownSeg = seg;
    this.ownGeneration = heap.generation[seg]!;
    this.ownTouchedTo = 0;
  }

  private arithLocked(key: Buffer, incr: boolean, delta: bigint, initial: bigint | undefined, exptime: number, cas: number): ArithStatus {
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
    space.classes.count(space.classAt(old), incr ? slab.F_INCR_HITS : slab.F_DECR_HITS);
    // memcached rewrites a number that got no longer in place, padding it
    // with spaces to the old length (`decr` of 100 by 95 reads "5  ").
    const status = this.writeNumber(key, next, space.flags(old), space.deadline(old), old, hash, tag, nowS, space.valueLength(old));
    if (status === 'ok') this.lastArithValue = next;
    return status;
  }

  private touchLocked(key: Buffer, exptime: number): TouchStatus {
    const nowS = this.now();
    const addr = this.space.lookup(key, nowS);
    if (addr < 0) {
      this.counters.touchMisses++;
      return 'not_found';
    }
    this.counters.touchHits++;
    this.space.classes.count(this.space.classAt(addr), slab.F_TOUCH_HITS);
    // Out of memory for a needed copy leaves the item as it was (rare: only a
    // never-expiring item gaining an exptime, with eviction off and no room).
    return this.retime(key, addr, exptime, nowS) === -2 ? 'not_found' : 'touched';
  }

  private getAndTouchLocked(key: Buffer, exptime: number): ItemRef {
    const nowS = this.now();
    const addr = this.space.lookup(key, nowS);
    // memcached counts gat/gats as touches (touch_hits / touch_misses), not get_hits.
    if (addr < 0) {
      this.counters.touchMisses++;
      this.space.noteGetMiss(this.space.keyHash(key));
      this.countDeadMiss();
      return -1;
    }
    this.counters.touchHits++;
    this.space.classes.count(this.space.classAt(addr), slab.F_TOUCH_HITS);
    this.space.index.countHit(nowS);
    this.markFetched(addr, nowS);
    const moved = this.retime(key, addr, exptime, nowS);
    // Expired by this touch (or no room to move): the old bytes stay readable
    // until the next mutating call, like any ref.
    return moved < 0 ? addr : moved;
  }

  private deleteLocked(key: Buffer, cas: number): DeleteStatus {
    const nowS = this.now();
    const addr = this.space.lookup(key, nowS);
    if (addr < 0) {
      this.counters.deleteMisses++;
      return 'not_found';
    }
    if (cas !== 0 && (!this.casEnabled || this.itemCas(addr) !== cas)) return 'exists';
    this.space.classes.count(this.space.classAt(addr), slab.F_DELETE_HITS);
    this.space.unlink(addr, this.space.lastHash);
    this.counters.deleteHits++;
    return 'deleted';
  }

  private flushAllLocked(delay: number): void {
    const nowS = this.now();
    const last = flushMomentFor(delay, nowS, this.casEnabled);
    if (last <= nowS) {
      this.cells[PENDING_FLUSH_AT] = -1;
      this.applyFlush(last, nowS);
    } else {
      // Applied by the first call at or after that second (see now()): anything
      // stored before it, or in it, is gone; anything stored later stays.
      this.cells[PENDING_FLUSH_AT] = last;
    }
  }

  // ---- background work ---------------------------------------------------

  /** One sweep and a hash-migration tick; false when flushed segments are left for another hold. */
  private expireNowLocked(): boolean {
    const nowS = this.now();
    const done = this.space.sweep(nowS);
    this.space.index.migrate(MIGRATE_PER_TICK);
    return done;
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

  private shapeLocked(): StoreShape {
    const space = this.space;
    const ttlBucketSegments: Array<[number, number]> = [];
    for (let b = 0; b < BUCKET_COUNT; b++) {
      const count = space.chains.count[b]!;
      if (count > 0) ttlBucketSegments.push([b, count]);
    }
    return {
      segmentSize: this.segmentSize,
      segmentsTotal: space.heap.activeCount,
      segmentsFree: space.heap.freeCount,
      limitBytes: space.heap.limitBytes,
      segmentsReserved: space.heap.segmentCount,
      hashBytes: space.index.bytes,
      hashPower: space.index.power,
      hashLoad: space.index.count / space.index.slots,
      hashIsExpanding: space.index.isExpanding,
      ttlBucketSegments,
      housekeeperStarted: this.housekeeperStarted,
      housekeeperPace: this.housekeeperPace,
      // A store that never evicts (-M) keeps nothing in reserve.
      reserveSegments: this.evictor === null ? 0 : this.reserveSegments(),
    };
  }

  /** Zero every thread slot's counters (stats reset); items and bytes stay. */
  resetCounters(): void {
    resetCounterRows(this.handle.counters);
    this.space.classes.resetEvents();
  }

  /** Per memcached-slab-class figures (stats items / stats slabs), summed over threads. */
  slabClasses(): slab.ClassFigures[] {
    const heap = this.space.heap;
    return this.space.classes.figures(
      heap.segmentCount,
      (seg) => heap.bucket[seg] !== FREE_BUCKET,
      (seg) => heap.createTime[seg]!,
    );
  }

  itemWalk(): ItemWalk {
    // Only an exclusive holder applies a due delayed flush_all; a walk under
    // the shared lock (or none) sees one as "nothing left" (nowShared: -1).
    return new ItemWalk(this.space.heap, () => (this.lock.exclusive ? this.now() : this.nowShared()));
  }

  /** Internal view for tests, audits and the benchmark. */
  get itemSpace(): ItemSpace {
    return this.space;
  }

  /** The narrow view warm restart (-e, segments/persist/store-image.ts) saves and restores through. */
  imagePort(): StoreImagePort {
    const space = this.space;
    const heap = space.heap;
    const counters = this.counters;
    return {
      settings: {
        segmentSize: this.segmentSize,
        segmentCount: heap.segmentCount,
        memoryLimitBytes: this.options.memoryLimitBytes,
        itemSizeMax: this.itemSizeMax,
        casEnabled: this.casEnabled,
        perItemCas: this.perItemCas,
      },
      heap,
      chainHeads: space.chains.head,
      indexedItems: () => space.index.count,
      scalars: () => ({ nextGeneration: heap.generationCounter, pendingFlushAt: this.cells[PENDING_FLUSH_AT]!, casCounter: this.cells[CAS_COUNTER]! }),
      nowS: () => this.nowSeconds(),
      isPristine: () => space.index.count === 0 && heap.freeCount === heap.activeCount,
      reclaimFlushed: () => space.reclaimFlushed(this.nowSeconds()),
      appendSegment: (bucket, seg) => space.chains.append(bucket, seg),
      indexMemory: space.index.memory,
      hashSeed: space.seed,
      insertRecord: (addr) => {
        const loc = space.locOf(addr);
        const hash = space.hashAt(loc);
        space.index.insert(hash, tagOf(hash), loc);
      },
      unindexRecord: (addr) => {
        const loc = space.locOf(addr);
        if (!space.index.findLoc(space.hashAt(loc), loc)) return false;
        space.index.removeFound();
        return true;
      },
      countRestored: (items, bytes) => {
        counters.items += items;
        counters.bytes += bytes;
        // Restored items count in their memcached slab class (stats items / slabs).
        space.recountClasses();
      },
      adopt: (scalars) => {
        heap.adoptRestored(scalars.nextGeneration);
        this.cells[PENDING_FLUSH_AT] = scalars.pendingFlushAt;
        this.cells[CAS_COUNTER] = Math.max(this.cells[CAS_COUNTER]!, scalars.casCounter);
      },
      reset: () => {
        space.clearAll();
        this.cells[PENDING_FLUSH_AT] = -1;
      },
    };
  }

  // ---- internals ---------------------------------------------------------

  /** Current second, applying a due delayed flush first. */
  private now(): number {
    const nowS = this.nowSeconds();
    const flushAt = this.cells[PENDING_FLUSH_AT]!;
    if (flushAt >= 0 && nowS >= flushAt) {
      // The cliff moves before the pending cell clears, so a reader between
      // the two stores sees one or the other (applyFlush raises SEQ first).
      this.applyFlush(flushAt, flushAt);
      this.cells[PENDING_FLUSH_AT] = -1;
    }
    return nowS;
  }

  /**
   * flush_all taking effect (exclusive lock): every segment in circulation
   * is left below the flush cliff (SegmentHeap.flushBelowNext), so each item
   * stored so far is a miss from now on (get_flushed), and the housekeeper's
   * sweep frees those segments a few per step (HOUSEKEEP_FLUSHED_SEGMENTS),
   * as memcached's crawler and LRU tails reclaim flushed items lazily.
   * `lastSecond`: the last second it removes (sets in it are flushed too);
   * `effective`: the second it took effect in.
   */
  private applyFlush(lastSecond: number, effective: number): void {
    // A quiet (striped) link may be the hold that applies a due delayed
    // flush: optimistic readers must see SEQ move before the cliff does.
    this.lock.raiseSeq();
    this.space.heap.flushBelowNext();
    if (this.space.ghosts !== null) this.space.ghosts.clear();
    this.cells[FLUSHED_SECOND] = effective;
    this.cells[FLUSH_SECOND] = lastSecond;
  }

  /** The next stored per-item CAS (perItemCas only). */
  private nextExplicitCas(): number {
    const cas = this.cells[CAS_COUNTER]! + 1;
    this.cells[CAS_COUNTER] = cas;
    return cas;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  /**
   * The current second for a reader under the shared lock, or -1 when a
   * delayed flush_all is due: it cannot be applied without the exclusive
   * lock, and until a writer (or the housekeeper) applies it every stored
   * item predates it, so every lookup must miss (lookupShared answers -1).
   */
  private nowShared(): number {
    const nowS = this.nowSeconds();
    const flushAt = this.cells[PENDING_FLUSH_AT]!;
    return flushAt >= 0 && nowS >= flushAt ? -1 : nowS;
  }

  /**
   * markFetched for a reader under the shared lock. Word A's low 16 bits
   * (key length, dead/flag bits) are written only by exclusive holders, so
   * readers racing here all write back the same low half; the top half
   * gets one reader's stamp for about the same second. A stamp that would
   * need the segment's unit widened (a rewrite of every record's stamp) is
   * skipped: the item keeps its older access time until a writer reads it.
   */
  private markFetchedShared(addr: number, nowS: number): boolean {
    const heap = this.space.heap;
    const seg = this.space.segmentOf(addr);
    const w = (addr - seg * this.segmentSize) >>> 2;
    const words = heap.words[seg]!;
    const stamp = Math.max(0, Math.floor(nowS / heap.accessUnit[seg]!) - heap.accessBase[seg]!);
    const a = words[w]!;
    if (heap.read[seg] === 0) heap.read[seg] = 1;
    if (stamp <= MAX_ACCESS_STAMP) {
      words[w] = ((a & 0xffff) | (1 << 8) | (stamp << 16)) >>> 0;
      return true;
    }
    if ((a & (1 << 8)) === 0) words[w] = (a | (1 << 8)) >>> 0;
    return false;
  }

  /** A read: set ITEM_FETCHED and the last-access stamp in the header. */
  private markFetched(addr: number, nowS: number): void {
    const heap = this.space.heap;
    const seg = this.space.segmentOf(addr);
    // A paused merge's segment may be half compacted: no widening walk over it.
    if (heap.busy[seg] === MERGE_BUSY) {
      this.markFetchedShared(addr, nowS);
      return;
    }
    const w = (addr - seg * this.segmentSize) >>> 2;
    const stamp = heap.accessStamp(seg, nowS, heap.writeOffset[seg]!);
    const words = heap.words[seg]!;
    words[w] = ((words[w]! & 0xffff) | (1 << 8) | (stamp << 16)) >>> 0;
    heap.read[seg] = 1;
  }

  /**
   * The longest value stored under a key of `keyLength` bytes with client
   * flags `flags`: what memcached stores under -I (item-limit.ts: its item
   * header, key, flags, CRLF and CAS count against -I), and a record with
   * every optional field (a later touch or CAS-keeping copy may add them)
   * must fit one segment. The default segment is -I bytes
   * (store-defaults.ts), so the first bound is the one that refuses.
   */
  private valueMax(keyLength: number, flags: number): number {
    return Math.min(memcachedValueMax(keyLength, flags, this.itemSizeMax, this.casEnabled), this.segmentSize - MAX_HEADER_BYTES - keyLength);
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
    if (addr < 0) {
      this.counters.storeNoMemory++;
      space.classes.count(space.classes.classOf(makeWordA(keyLength, bits, 0), valueLength), slab.F_OUTOFMEMORY);
    }
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
    const explicitCas = this.perItemCas ? this.nextExplicitCas() : 0;
    const addr = this.reserve(key.length, digits.length, flags, deadline, explicitCas, old, nowS);
    if (addr < 0) return 'out_of_memory';
    const space = this.space;
    const cls = space.classes.classFor(key.length, digits.length, flags);
    const valueAt = space.writeRecord(addr, key, digits.length, flags, deadline, explicitCas, 0, nowS, cls);
    space.heap.bytes[space.segmentOf(addr)]!.write(digits, valueAt, 'latin1');
    space.link(addr, old, hash, tag, cls);
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
    // Same key, value and flags: the class the old record has.
    const cls = space.classAt(addr);
    const moved = this.reserve(key.length, valueLength, flags, deadline, token, addr, nowS);
    if (moved < 0) return -2;
    const valueAt = space.writeRecord(moved, key, valueLength, flags, deadline, token, bits, nowS, cls);
    const start = space.valueStart(addr);
    copyRange(space.heap.bytes[space.segmentOf(moved)]!, valueAt, space.heap.bytes[seg]!, start, start + valueLength);
    space.link(moved, addr, hash, tag, cls);
    return moved;
  }
}

/**
 * Free segments the housekeeping thread keeps ready for writers: 1/32 of the
 * heap, 2 to 64. Below 64 segments only one: a reserved segment holds no
 * items, and two of -m 8's eight would be a quarter of the cache. (One at
 * -t 1 on -m 64 was measured and not kept: 1.6% more items, but the
 * housekeeper then runs unpaced whenever the writer takes the one free
 * segment; benchmarks/RESULTS.md, "Session 12".)
 * At least one per request thread (`writers`), up to 1/16 of the heap:
 * every writer can claim a segment while the housekeeper waits for a core.
 * At -t 4 on -m 64 with two, writers ran dry and merged inline in about a
 * quarter of the steady 3 s windows measured; with four, in none of 14
 * (RESULTS.md, "Session 16"). From 128 segments on, the 1/32 share
 * already covers -t 4.
 */
export function defaultReserveSegments(segments: number, writers = 1): number {
  const share = segments < 64 ? 1 : Math.max(2, Math.min(64, Math.floor(segments / 32)));
  return Math.max(share, Math.min(writers, Math.floor(segments / 16)));
}

/** A new shared store's memory and settings. */
function newHandle(options: StoreOptions, tuning: StoreTuning = {}): SharedStoreHandle {
  const segmentSize = options.segmentSize ?? defaultSegmentSize(options.memoryLimitBytes, options.itemSizeMax);
  const evictionPolicy: EvictionPolicy = options.evictionPolicy ?? 'merge';
  const casEnabled = options.casEnabled ?? true;
  const hashSeed = options.hashSeed ?? randomSeed();
  const maxLoad = tuning.hashMaxLoad ?? 0.9;
  const hashSlots =
    options.hashPower !== undefined && options.hashPower > 0
      ? 2 ** Math.min(31, Math.max(3, options.hashPower))
      : Math.min(MAX_PRESIZED_SLOTS, ceilPowerOfTwo(options.memoryLimitBytes / (tuning.typicalItemBytes ?? 128) / maxLoad));
  const space = new ItemSpace(
    {
      memoryLimitBytes: options.memoryLimitBytes,
      segmentSize,
      growthRoom: options.fixedSize !== true,
      preallocatedBytes: options.preallocatedBytes ?? 0,
      hashSeed,
      hashSlots,
      hashMaxLoad: maxLoad,
      evictionPolicy,
      evictor: null,
      ghostEntries: evictionPolicy === 'merge' ? (tuning.ghostEntries ?? ghostEntries(options.memoryLimitBytes)) : 0,
    },
    { items: 0, bytes: 0 } as StoreCounters,
  );
  const segments = space.heap.activeCount;
  const cells = new SharedArrayBuffer(CELLS * 8);
  new Float64Array(cells)[PENDING_FLUSH_AT] = -1;
  new Float64Array(cells)[FLUSHED_SECOND] = -1;
  new Float64Array(cells)[FLUSH_SECOND] = -1;
  return {
    kind: 'grow-a-cache-store',
    options: {
      memoryLimitBytes: options.memoryLimitBytes,
      itemSizeMax: options.itemSizeMax,
      segmentSize,
      evictionPolicy,
      casEnabled,
      mergeSegments: options.mergeSegments ?? MERGE_SEGMENTS,
      hashSeed,
      fixedSize: options.fixedSize ?? false,
      preallocatedBytes: options.preallocatedBytes ?? 0,
    },
    perItemCas: (tuning.perItemCas ?? false) && casEnabled,
    expiryIntervalMs: tuning.expiryIntervalMs ?? EXPIRY_INTERVAL_MS,
    reserveSegments: Math.min(segments - 1, tuning.reserveSegments ?? defaultReserveSegments(segments, tuning.writerThreads ?? 1)),
    reserveWriters: tuning.reserveSegments === undefined ? (tuning.writerThreads ?? 1) : 0,
    measureLock: tuning.measureLock ?? false,
    // The sequence-word validation leans on x86's load order (header, Optimistic reads).
    optimisticReads: tuning.optimisticReads ?? process.arch === 'x64',
    stripedLinks: tuning.stripedLinks ?? true,
    mergeSliceRecords: tuning.mergeSliceRecords ?? MERGE_SLICE_RECORDS,
    space: space.memory,
    turnover: newTurnoverMemory(),
    counters: newCounterMemory(tuning.maxThreads ?? DEFAULT_MAX_THREADS),
    classes: slab.newClassMemory(tuning.maxThreads ?? DEFAULT_MAX_THREADS, space.heap.segmentCount),
    control: new SharedArrayBuffer((APPLYING + (tuning.maxThreads ?? DEFAULT_MAX_THREADS) * APPLYING_STRIDE) * 4),
    cells,
    stripes: new SharedArrayBuffer(LINK_STRIPES * STRIPE_STRIDE * 4),
  };
}
