// Segcache-style merge eviction: take up to MERGE_SEGMENTS consecutive
// segments of one TTL bucket (close in age, same lifetime), keep the items
// worth most that fit in one segment fewer, pack them toward the first
// segment and free the rest. Dead records (overwritten, deleted) and
// expired items go first and cost nothing: a run that is mostly dead is
// just compacted, evicting nothing.
//
// Two passes over the run. The first finds every live item's slot, ranks
// it by read frequency per byte (merge-ranking.ts) and adds its bytes to a
// histogram; the cut is the lowest rank that still fits the room. The
// second moves the survivors and drops the rest: everything below the cut
// and, of the cut rank, the oldest first. Where this departs from Segcache
// (each measured with benchmarks/hitratio-store-replay.ts):
//
// - Segcache keeps about 1/N of a merge by an adaptive frequency cutoff and
//   frees N-1 segments. With few distinct frequencies (most items are read
//   0-2 times between merges) the cutoff cannot hit its target: merges
//   evicted far more than needed and left destinations part empty, so the
//   heap held ~40% live bytes on the write-heavy profile (cluster41). Here
//   a merge evicts only what must go, and the heap stays ~90% live.
// - A merge frees one segment, so an item competes with two segments' worth
//   of neighbours for its place instead of being cut to a quarter. (Runs of
//   three by default; `-o merge_segments=2` halves the pause of a merge for
//   a few more capacity misses, measured in benchmarks/RESULTS.md.) Except
//   when nothing in the run was ever read (no segment's read mark is set):
//   with no signal to rank by, a run whose live items fit one segment is
//   compacted into it, and any other run loses its oldest segment whole, as
//   FIFO would, rather than pay for hashing and moving data no one asked
//   for (a set-only load then pauses for one segment, not three).
// - Clean before evicting: Segcache merges the run at its cursor. When that
//   run's live items do not fit one segment fewer (it would evict) and a run
//   within CLEAN_LOOKAHEAD segments after it does (overwrites and deletes
//   left it mostly dead), that one is compacted instead and the cursor
//   stays. On write-heavy small heaps the cursor's run was often all live
//   while other segments were two thirds dead: the heap held 32% live bytes
//   and evicted anyway (issue 17, RESULTS.md).
// - A key written again soon after it was evicted starts at frequency 1
//   (ghost-keys.ts, S3-FIFO's ghost queue), above the never-read items.
// - Frequencies carry over a move instead of restarting at 0; an item not
//   read for HORIZON_TURNOVERS heap turnovers has its counter halved each
//   time it moves, so items popular once are forgotten.
//
// Done in place (as Pelikan's Rust store): the first segment is compacted
// toward its start, then the survivors of the next segments are appended
// after it. When a destination fills up, the segment being scanned becomes
// the next destination and is compacted in place, up to the allowed count.
// A destination gets a fresh generation so every location-derived CAS token
// in it changes: a client holding an old token gets a spurious EXISTS,
// never a lost update. Destinations keep their place and create time, so
// chains stay in age order.
//
// Slots hold no back pointer, so the first pass hashes every scanned key to
// find its slot; the second reuses those hashes (up to MAX_KEPT_HASHES).
//
// Slices (evictSteps): the housekeeping thread runs a merge as a generator
// that yields every `sliceRecords` records, and the store releases its lock
// at each yield, so clients wait for one slice (tens of microseconds), not
// a whole pass. While paused, the run's segments are marked busy
// (SegmentHeap.busy): no sweep, other merge, eviction, item walk or writer
// touches them. What clients do meanwhile stays correct because every
// slot always points at a whole record (a record is copied before its slot
// is relinked, compaction only overwrites records already handled), the
// live counts are kept per record as items move (not recomputed at the
// end), and an item overwritten, deleted or expired during a pause is dead
// or unindexed when the merge reaches it, so findLoc fails and it is
// skipped. A store reset during a pause (SegmentHeap.clears) ends the merge.
// Records in a segment a flush_all left (SegmentHeap.isFlushed) are dead, as
// expired ones are; after a flush_all during a pause (SegmentHeap.flushes)
// every record left in the run is too (the run predates it), and a
// destination renewed before it is flushed with what it holds.
// The inline merge a writer runs when no segment is free is the same code
// with no slices.

import type { ItemSpace } from './item-space.js';
import { BIT_DEAD, recordBytes, recordDeadline } from './item-layout.js';
import { ITEM_FETCHED } from './types.js';
import { EVENT_MERGED, FREE_BUCKET, LATEST_NEVER, MERGE_BUSY, NO_SEGMENT } from './segment-heap.js';
import { BUCKET_COUNT } from './ttl-buckets.js';
import { NEVER } from './expiry-time.js';
import { RankHistogram, agedFrequency, rankOf } from './merge-ranking.js';
import { memcpyRange, relaxedCopyWins } from './shared-copy.js';
import { HeapTurnover } from './heap-turnover.js';

/** Segments merged per pass by default; a merge frees one of them. */
export const MERGE_SEGMENTS = 3;
/** The range `-o merge_segments` accepts. */
export const MIN_MERGE_SEGMENTS = 2;
export const MAX_MERGE_SEGMENTS = 8;
/** Fewest mergeable consecutive segments. */
const MIN_RUN = 2;
/** Counters of items unread for this many heap turnovers are halved when they move. */
const HORIZON_TURNOVERS = 8;
/** Random picks of a bucket (weighted by its segment count) before scanning all buckets. */
const RANDOM_PICKS = 8;
/** Segments past the merge cursor searched for a run that frees a segment without evicting (clean before evicting). */
const CLEAN_LOOKAHEAD = 32;
/** Key hashes the first pass keeps for the second (4 bytes each); past this the second pass re-hashes. */
const MAX_KEPT_HASHES = 1 << 18;

export class MergeEvictor {
  /** Clean before evicting (cleanerRun); false only to measure the alternative (benchmarks, tests). */
  static cleanFirst = true;
  private readonly run: Int32Array;
  private readonly histogram = new RankHistogram();
  /** The first pass's key hashes, in scan order, for the second pass. */
  private hashes = new Uint32Array(1024);
  /** Whole-chunk views, so a move between segments is one copyWithin. */
  private readonly chunkViews = new WeakMap<ArrayBufferLike, Uint8Array>();
  private readonly turnover: HeapTurnover;
  /** Bytes of the cut rank dropped so far in this merge's second pass. */
  private droppedAtCut = 0;
  /** Records left before the next yield, and the slice length (Infinity: never yield). */
  private left = Infinity;
  private slice = Infinity;
  /** SegmentHeap.clears when this merge began: a flush_all during a pause ends it. */
  private clearsAtStart = 0;
  /** SegmentHeap.flushes when this merge began. */
  private flushesAtStart = 0;
  /** Per run position: was that segment flushed when the merge began moving (read before a renew changes it)? */
  private runFlushed: Uint8Array;

  /**
   * `mergeSegments`: segments per pass, clamped to MIN..MAX_MERGE_SEGMENTS.
   * `turnoverMemory`: the heap-turnover measurement shared by every
   * thread's evictor (the run, histogram and hashes are this thread's scratch).
   */
  constructor(mergeSegments = MERGE_SEGMENTS, turnoverMemory?: SharedArrayBuffer) {
    this.turnover = new HeapTurnover(turnoverMemory);
    this.run = new Int32Array(Math.min(MAX_MERGE_SEGMENTS, Math.max(MIN_MERGE_SEGMENTS, Math.floor(mergeSegments))));
    this.runFlushed = new Uint8Array(this.run.length);
  }

  /**
   * Merge one run, freeing at least one segment. False when no bucket has
   * MIN_RUN mergeable segments: the caller then evicts a whole segment.
   */
  evict(space: ItemSpace, nowS: number): boolean {
    const steps = this.evictSteps(space, nowS, Infinity);
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
    }
  }

  /**
   * evict() as a generator that yields after every `sliceRecords` records
   * read: the caller may release the store lock at each yield (and must hold
   * it again before resuming). Returns what evict() returns; a merge given
   * up after a flush_all during a pause returns true (the flush freed all).
   */
  *evictSteps(space: ItemSpace, nowS: number, sliceRecords: number): Generator<void, boolean> {
    const heap = space.heap;
    this.slice = sliceRecords;
    this.left = sliceRecords;
    this.clearsAtStart = heap.clears;
    this.flushesAtStart = heap.flushes;
    let freed = -1;
    // Draw over the segments in circulation: the ids above them are
    // cache_memlimit's reserve (retired, free-bucketed), so a store behaves
    // the same whatever it reserves (the advisor's copies reserve nothing).
    for (let i = 0; i < RANDOM_PICKS && freed < 0; i++) {
      const bucket = heap.bucket[Math.floor(Math.random() * heap.activeCount)]!;
      if (bucket !== FREE_BUCKET) freed = yield* this.mergeBucket(space, bucket, nowS);
    }
    for (let bucket = 0; bucket < BUCKET_COUNT && freed < 0; bucket++) freed = yield* this.mergeBucket(space, bucket, nowS);
    if (heap.clears !== this.clearsAtStart) return true;
    if (freed <= 0) return false;
    this.turnover.freed(nowS, freed);
    return true;
  }

  /** Count one record read; true when the slice is used up (yield, then check abandoned()). */
  private sliceDone(): boolean {
    if (--this.left > 0) return false;
    this.left = this.slice;
    return true;
  }

  /** After a pause: did a flush_all release the heap (the run is gone)? */
  private abandoned(space: ItemSpace): boolean {
    return space.heap.clears !== this.clearsAtStart;
  }

  /** Merge a run of `bucket`; segments freed, or -1 when it has no run to merge. */
  private *mergeBucket(space: ItemSpace, bucket: number, nowS: number): Generator<void, number> {
    const chains = space.chains;
    const head = chains.head[bucket]!;
    let start = chains.mergeCursor[bucket]!;
    if (start === NO_SEGMENT || space.heap.bucket[start] !== bucket) start = head;
    let length = this.collectRun(space, bucket, start);
    if (length < MIN_RUN && start !== head) length = this.collectRun(space, bucket, head);
    if (length < MIN_RUN) return -1;
    // Clean before evicting: when the run at the cursor would evict and one
    // just past it would only compact, merge that one and leave the cursor.
    let cleaning = false;
    const cursor = chains.mergeCursor[bucket]!;
    if (MergeEvictor.cleanFirst && !this.fitsOneFewer(space, length, nowS)) {
      const cleaner = this.cleanerRun(space, bucket, this.run[0]!, length, nowS);
      if (cleaner !== NO_SEGMENT) {
        length = this.collectRun(space, bucket, cleaner);
        cleaning = true;
      }
    }
    const busy = space.heap.busy;
    for (let r = 0; r < length; r++) busy[this.run[r]!] = 1;
    const freed = yield* this.merge(space, bucket, length, nowS, cleaning);
    // The eviction sweep resumes where it was (if its segment is still in the chain).
    if (cleaning && cursor !== NO_SEGMENT && space.heap.bucket[cursor] === bucket) chains.mergeCursor[bucket] = cursor;
    // Freed segments were unmarked by release(); a reset cleared every mark.
    if (!this.abandoned(space)) for (let r = 0; r < length; r++) busy[this.run[r]!] = 0;
    return freed;
  }

  /**
   * Fill `run` with consecutive segments from `start`, stopping at the
   * tail, the pinned segment or one another merge holds. A segment a writer
   * thread owns is taken from it (its owner notices at its next set).
   */
  private collectRun(space: ItemSpace, bucket: number, start: number): number {
    const tail = space.chains.tail[bucket]!;
    let length = 0;
    const most = this.run.length;
    for (let seg = start; seg !== NO_SEGMENT && length < most; seg = space.heap.next[seg]!) {
      if (seg === tail || seg === space.pinned || space.heap.busy[seg] === MERGE_BUSY) break;
      space.heap.busy[seg] = 0;
      this.run[length++] = seg;
    }
    return length;
  }

  /** Do the live bytes of run[0..length) fit one segment fewer (less the packing allowance)? */
  private fitsOneFewer(space: ItemSpace, length: number, nowS: number): boolean {
    return this.liveBytesBefore(space.heap, length, nowS) <= (length - 1) * (space.segmentSize - space.segmentSize / 8);
  }

  /**
   * The first segment of a run of `length` that would free a segment by
   * compaction alone, searched over CLEAN_LOOKAHEAD segments after `from`
   * (the run that would evict), the one with the fewest live bytes; or
   * NO_SEGMENT. Overwrites and deletes leave segments mostly dead while the
   * cursor's run is full of live items: merging that one would evict items
   * the heap has room for (measured on write-heavy small heaps, RESULTS.md).
   */
  private cleanerRun(space: ItemSpace, bucket: number, from: number, length: number, nowS: number): number {
    const heap = space.heap;
    const room = (length - 1) * (space.segmentSize - space.segmentSize / 8);
    const tail = space.chains.tail[bucket]!;
    let best = NO_SEGMENT;
    let bestLive = room;
    let seg = heap.next[from]!;
    for (let i = 0; i < CLEAN_LOOKAHEAD && seg !== NO_SEGMENT && seg !== tail; i++, seg = heap.next[seg]!) {
      let live = 0;
      let n = 0;
      for (let s = seg; n < length && s !== NO_SEGMENT && s !== tail && s !== space.pinned && heap.busy[s] === 0; s = heap.next[s]!, n++) {
        const latest = heap.latestDeadline[s]!;
        if (!(latest !== LATEST_NEVER && latest !== 0 && latest <= nowS) && !heap.isFlushed(s)) live += heap.liveBytes[s]!;
      }
      if (n < length) continue;
      if (live <= bestLive) {
        bestLive = live;
        best = seg;
      }
    }
    return best;
  }

  /** Merge `run[0..length)` of `bucket`; returns the segments freed (at least one). */
  private *merge(space: ItemSpace, bucket: number, length: number, nowS: number, cleaning = false): Generator<void, number> {
    const heap = space.heap;
    const segmentSize = space.segmentSize;
    if (!cleaning && !this.anyRead(heap, length) && this.liveBytesBefore(heap, length, nowS) > segmentSize) {
      // Nothing in the run was ever read (no signal to rank by) and its live
      // items fill more than the one segment a merge would keep: free the
      // oldest segment whole, as FIFO would. A third of a merge's key
      // hashing and no data moved, so set-heavy loads pause least.
      const seg = this.run[0]!;
      const end = space.heap.writeOffset[seg]!;
      for (let off = 0; off < end; ) {
        off = space.dropRecord(seg, off, nowS);
        if (this.sliceDone()) {
          yield;
          if (this.abandoned(space)) return 0;
        }
      }
      space.releaseSegment(seg, nowS);
      space.counters.segmentsDropped++;
      return 1;
    }
    // Segments in circulation: reserved ones (cache_memlimit's room) hold nothing to turn over.
    const horizon = HORIZON_TURNOVERS * this.turnover.seconds(heap.activeCount);
    if (!(yield* this.rankRun(space, length, nowS, horizon))) return 0;
    // All but one segment's worth, best first; one segment when nothing was read
    // (A cleaning run keeps all but one: it was chosen because its live items fit.)
    const keepSegments = cleaning || this.histogram.bytesAbove(0) > 0 ? length - 1 : 1;
    // The gap estimate holds for items much smaller than a segment; capped for huge ones.
    const gap = Math.min(this.histogram.packingGap(), segmentSize / 8);
    this.histogram.cut(keepSegments * (segmentSize - gap));
    return yield* this.moveSurvivors(space, bucket, length, keepSegments, nowS, horizon);
  }

  /** Has any item in run[0..length) been read (SegmentHeap.read)? */
  private anyRead(heap: ItemSpace['heap'], length: number): boolean {
    for (let r = 0; r < length; r++) if (heap.read[this.run[r]!] !== 0) return true;
    return false;
  }

  /** Live bytes of run[0..length), counting a segment whose every deadline has passed as empty. */
  private liveBytesBefore(heap: ItemSpace['heap'], length: number, nowS: number): number {
    let bytes = 0;
    for (let r = 0; r < length; r++) {
      const seg = this.run[r]!;
      const latest = heap.latestDeadline[seg]!;
      if ((latest !== LATEST_NEVER && latest !== 0 && latest <= nowS) || heap.isFlushed(seg)) continue;
      bytes += heap.liveBytes[seg]!;
    }
    return bytes;
  }

  /**
   * First pass: the byte histogram of the run's live, unexpired items by
   * rank. Every record, dead or not, takes a place in `hashes`, so the
   * second pass finds each record's hash even if records died in a pause.
   * False when the merge was abandoned during a pause.
   */
  private *rankRun(space: ItemSpace, length: number, nowS: number, horizon: number): Generator<void, boolean> {
    const heap = space.heap;
    const index = space.index;
    const segmentSize = space.segmentSize;
    const histogram = this.histogram;
    histogram.clear();
    let items = 0;
    for (let r = 0; r < length; r++) items += heap.liveItems[this.run[r]!]!;
    items += items >>> 2;
    if (this.hashes.length < items) this.hashes = new Uint32Array(Math.min(MAX_KEPT_HASHES, Math.max(items, 2 * this.hashes.length)));
    const hashes = this.hashes;
    let n = 0;
    for (let r = 0; r < length; r++) {
      const src = this.run[r]!;
      // While every record is whole: widen the access unit so any time up to
      // now fits, and moves between these segments never need to widen.
      heap.coverAccessTime(src, nowS);
      const words = heap.words[src]!;
      const end = heap.writeOffset[src]!;
      const meanSize = heap.meanLiveBytes(src);
      const srcFlushed = heap.isFlushed(src);
      for (let off = 0; off < end; ) {
        const w = off >>> 2;
        const a = words[w]!;
        const bits = (a >>> 8) & 0xff;
        const size = recordBytes(a & 0xff, words[w + 1]!, bits);
        const loc = (src * segmentSize + off) / 8 + 1;
        off += size;
        if (bits & BIT_DEAD) {
          n++;
          continue;
        }
        const hash = space.hashAt(loc);
        if (n < hashes.length) hashes[n] = hash;
        n++;
        if (index.findLoc(hash, loc)) {
          const deadline = recordDeadline(words, w, a);
          if (!srcFlushed && (deadline === NEVER || nowS < deadline)) {
            const freq = agedFrequency(index.foundFrequency(), nowS - heap.accessTime(src, a), horizon);
            histogram.add(rankOf(freq, size, meanSize), size);
          }
        }
        if (this.sliceDone()) {
          yield;
          if (this.abandoned(space)) return false;
        }
      }
    }
    return true;
  }

  /**
   * Second pass: move the items above the cut (and the newest of the cut
   * rank) toward run[0], at most `keepSegments` destinations; drop the rest.
   * Segment means are read before any destination's header is rewritten
   * (a destination is always a segment already scanned).
   */
  private *moveSurvivors(space: ItemSpace, bucket: number, length: number, keepSegments: number, nowS: number, horizon: number): Generator<void, number> {
    const heap = space.heap;
    const index = space.index;
    const counters = space.counters;
    const segmentSize = space.segmentSize;
    const hashes = this.hashes;
    let n = 0;
    this.droppedAtCut = 0;
    for (let r = 0; r < length; r++) this.runFlushed[r] = heap.isFlushed(this.run[r]!) ? 1 : 0;
    let dst = this.run[0]!;
    heap.renew(dst);
    // A destination's class marks are rebuilt from the records moved into it.
    space.classes.clearMarks(dst);
    let destinations = 1;
    let write = 0;
    let liveItems = 0;
    let latest = 0;
    let freed = 0;
    for (let r = 0; r < length; r++) heap.mark(this.run[r]!, EVENT_MERGED, nowS);
    for (let r = 0; r < length; r++) {
      const src = this.run[r]!;
      const srcBytes = heap.bytes[src]!;
      const chunk = this.chunkOf(srcBytes);
      const words = heap.words[src]!;
      const end = heap.writeOffset[src]!;
      const meanSize = heap.meanLiveBytes(src);
      for (let off = 0; off < end; ) {
        const w = off >>> 2;
        const a = words[w]!;
        const bits = (a >>> 8) & 0xff;
        const size = recordBytes(a & 0xff, words[w + 1]!, bits);
        const loc = (src * segmentSize + off) / 8 + 1;
        if (bits & BIT_DEAD) {
          off += size;
          n++;
          continue;
        }
        // Same records in the same order as the first pass: its hash is at n.
        const hash = n < hashes.length ? hashes[n]! : space.hashAt(loc);
        n++;
        if (index.findLoc(hash, loc)) {
          const deadline = recordDeadline(words, w, a);
          const expired = this.runFlushed[r] === 1 || heap.flushes !== this.flushesAtStart || (deadline !== NEVER && nowS >= deadline);
          const freq = agedFrequency(index.foundFrequency(), nowS - heap.accessTime(src, a), horizon);
          // Packing leaves a gap at the end of each destination: past the
          // last one allowed, what does not fit goes too.
          const keep =
            !expired &&
            this.survives(rankOf(freq, size, meanSize), size) &&
            !(write + size > segmentSize && destinations === keepSegments);
          if (keep) {
            if (write + size > segmentSize) {
              // Destination full (src !== dst here: compaction in place always fits).
              this.close(space, dst, write, liveItems, latest);
              dst = src;
              heap.renew(dst);
              space.classes.clearMarks(dst);
              destinations++;
              write = 0;
              liveItems = 0;
              latest = 0;
            }
            this.moveRecord(heap, src, off, dst, write, size, chunk);
            space.classes.mark(dst, space.classes.classOf(a, words[w + 1]!));
            index.relinkFoundWithFrequency((dst * segmentSize + write) / 8 + 1, freq);
            if (src !== dst) {
              // Counts follow the record, so a pause sees them right.
              heap.liveItems[src]!--;
              heap.liveBytes[src]! -= size;
              heap.liveItems[dst]!++;
              heap.liveBytes[dst]! += size;
            }
            if (freq > 0) heap.read[dst] = 1;
            write += size;
            liveItems++;
            const itemLatest = deadline === NEVER ? LATEST_NEVER : deadline;
            if (itemLatest > latest) latest = itemLatest;
          } else {
            index.removeFound();
            const cls = space.classes.classOf(a, words[w + 1]!);
            space.classes.removed(cls, size);
            if (expired) {
              counters.expiredReclaimed++;
              space.classes.reclaimed(cls, (bits & ITEM_FETCHED) !== 0);
            } else {
              space.classes.evicted(cls, Math.max(0, nowS - heap.accessTime(src, a)), deadline !== NEVER, (bits & ITEM_FETCHED) !== 0);
              counters.evictions++;
              if (space.ghosts !== null) space.ghosts.remember(hash);
              if (space.onEvict !== null) space.onEvict(src * segmentSize + off, nowS);
            }
            // Never read since stored (memcached's expired_unfetched / evicted_unfetched).
            if ((bits & ITEM_FETCHED) === 0) {
              if (expired) counters.expiredUnfetched++;
              else counters.evictedUnfetched++;
            }
            counters.items--;
            counters.bytes -= size;
            heap.liveItems[src]!--;
            heap.liveBytes[src]! -= size;
          }
        }
        off += size;
        if (this.sliceDone()) {
          yield;
          if (this.abandoned(space)) return 0;
        }
      }
      if (src !== dst) {
        space.chains.unlink(src);
        heap.release(src);
        freed++;
      }
    }
    space.chains.mergeCursor[bucket] = heap.next[dst]!;
    counters.merges++;
    if (this.close(space, dst, write, liveItems, latest)) freed++;
    return freed;
  }

  /**
   * Does an unexpired item of rank `rank` and `size` bytes stay? Above the
   * histogram's cut it does; of the cut rank the oldest go until the cut's
   * share is dropped (records come oldest first).
   */
  private survives(rank: number, size: number): boolean {
    const histogram = this.histogram;
    if (rank > histogram.cutRank) return true;
    if (rank < histogram.cutRank) return false;
    if (this.droppedAtCut >= histogram.cutDropBytes) return true;
    this.droppedAtCut += size;
    return false;
  }

  /**
   * Copy the record at src:off to dst:write (compaction in place, within one
   * ArrayBuffer, or across two) and re-stamp its access time in the
   * destination's frame (create time and unit). Every segment of the run was
   * covered up to now before the moves, so the stamp never widens dst's
   * unit, which would walk the half-written destination.
   */
  private moveRecord(heap: ItemSpace['heap'], src: number, off: number, dst: number, write: number, size: number, chunk: Uint8Array): void {
    const srcBytes = heap.bytes[src]!;
    if (src === dst) {
      if (write === off) return;
      // Compaction moves toward the start: disjoint once the gap is a record long.
      if (write + size <= off && !relaxedCopyWins(size, write, off)) memcpyRange(srcBytes, write, srcBytes, off, off + size);
      else srcBytes.copyWithin(write, off, off + size);
      return;
    }
    const dstBytes = heap.bytes[dst]!;
    if (!relaxedCopyWins(size, dstBytes.byteOffset + write, srcBytes.byteOffset + off)) {
      // Two segments never overlap: a memcpy (shared-copy.ts) instead of V8's byte-wise relaxed copy.
      memcpyRange(dstBytes, write, srcBytes, off, off + size);
    } else if (dstBytes.buffer === srcBytes.buffer) {
      const from = srcBytes.byteOffset + off;
      chunk.copyWithin(dstBytes.byteOffset + write, from, from + size);
    } else {
      srcBytes.copy(dstBytes, write, off, off + size);
    }
    const words = heap.words[dst]!;
    const dw = write >>> 2;
    const stamp = heap.accessStamp(dst, heap.accessTime(src, words[dw]!), write);
    words[dw] = ((words[dw]! & 0xffff) | (stamp << 16)) >>> 0;
  }

  /** A view of the whole ArrayBuffer under a segment. */
  private chunkOf(bytes: Buffer): Uint8Array {
    let view = this.chunkViews.get(bytes.buffer);
    if (view === undefined) {
      view = new Uint8Array(bytes.buffer);
      this.chunkViews.set(bytes.buffer, view);
    }
    return view;
  }

  /**
   * Set a destination's header after compaction; frees it when nothing in
   * it is live. Its live counts are already right (kept per record);
   * `liveItems` counts what the merge put there, some of which clients may
   * have deleted or touched since: the latest deadline is kept at least the
   * old one (a touch in a pause may have extended an item's).
   */
  private close(space: ItemSpace, seg: number, write: number, liveItems: number, latest: number): boolean {
    const heap = space.heap;
    heap.setCompactedEnd(seg, write);
    const old = heap.latestDeadline[seg]!;
    heap.latestDeadline[seg] = this.slice === Infinity || liveItems === 0 ? latest : Math.max(latest, old);
    if (heap.liveItems[seg]! > 0) return false;
    space.chains.unlink(seg);
    heap.release(seg);
    return true;
  }
}
