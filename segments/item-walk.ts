// A resumable walk over the live items of the segment heap, a slice at a
// time: what `lru_crawler metadump` reads (memcached's crawler walks its LRUs
// the same way, a few items per lock hold).
//
// It reads only SegmentHeap's typed arrays (segment headers and record
// words), segment by segment in id order, and visits records that are not
// dead and not expired at the store's current second, in segments no
// flush_all has left (SegmentHeap.isFlushed). Between slices the
// store keeps serving writes: a segment that was freed, reused or compacted
// since the walk stopped in it (its generation changed) is left for the next
// one, so a walk never reads a torn record; items written or moved meanwhile
// may be missed or seen twice, as with memcached's crawler.
//
// It is not a snapshot, and it does not lock anything: callers run one
// slice inside one synchronous turn.

import { BIT_DEAD, recordBytes, recordDeadline } from './item-layout.js';
import { MERGE_BUSY, type SegmentHeap } from './segment-heap.js';
import { NEVER } from './expiry-time.js';

/** Called per live record: its address (an ItemRef), its record size in bytes and its deadline (NEVER = none). */
export type ItemVisitor = (ref: number, recordSize: number, deadline: number) => void;

export class ItemWalk {
  private seg = -1;
  private offset = 0;
  private generation = -1;
  private finished = false;

  /** `nowS` gives the store's current second, or -1 when a due delayed flush_all is not applied yet (the walk then finds nothing). */
  constructor(
    private readonly heap: SegmentHeap,
    private readonly nowS: () => number,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  /**
   * Visit live records until `budget` records (live or dead) have been
   * read or the heap is exhausted. Returns true once the whole heap has
   * been walked.
   */
  step(budget: number, visit: ItemVisitor): boolean {
    if (this.finished) return true;
    const heap = this.heap;
    const now = this.nowS();
    if (now < 0) {
      this.finished = true;
      return true;
    }
    let left = budget;
    while (left > 0) {
      if (
        this.seg < 0 ||
        this.offset >= heap.writeOffset[this.seg]! ||
        heap.generation[this.seg] !== this.generation ||
        heap.isFree(this.seg) ||
        heap.busy[this.seg] === MERGE_BUSY ||
        heap.isFlushed(this.seg)
      ) {
        if (!this.enterNextSegment()) return true;
        continue;
      }
      const seg = this.seg;
      const words = heap.words[seg]!;
      const end = heap.writeOffset[seg]!;
      const base = seg * heap.segmentSize;
      let off = this.offset;
      while (off < end && left > 0) {
        const w = off >>> 2;
        const a = words[w]!;
        const bits = (a >>> 8) & 0xff;
        const size = recordBytes(a & 0xff, words[w + 1]!, bits);
        left--;
        if (!(bits & BIT_DEAD)) {
          const deadline = recordDeadline(words, w, a);
          if (deadline === NEVER || now < deadline) visit(base + off, size, deadline);
        }
        off += size;
      }
      this.offset = off;
    }
    return false;
  }

  /** Move to the next segment in use; false when there is none. */
  private enterNextSegment(): boolean {
    const heap = this.heap;
    for (let seg = this.seg + 1; seg < heap.segmentCount; seg++) {
      // A segment a paused merge holds may be half compacted: skipped (its items are missed, as a moving item may be).
      // One a writer owns is walked: its records up to writeOffset are linked and whole, its owner writes only past it.
      // One a flush_all left holds only flushed items.
      if (heap.isFree(seg) || heap.writeOffset[seg] === 0 || heap.busy[seg] === MERGE_BUSY || heap.isFlushed(seg)) continue;
      this.seg = seg;
      this.offset = 0;
      this.generation = heap.generation[seg]!;
      return true;
    }
    this.seg = heap.segmentCount;
    this.finished = true;
    return false;
  }
}
