// Segcache's merge eviction: take up to N = 4 consecutive segments of one TTL
// bucket (close in age, same lifetime), keep about 1/N of each by frequency
// per byte, pack the survivors into the first segment and free the others.
// Expired items are dropped whatever their frequency; an item read often for
// its size survives; one never read since it was written or last moved
// (frequency 0) does not.
//
// Done in place (as Pelikan's Rust store): the first segment is compacted
// toward its start, then the survivors of the next segments are appended
// after it, each slot relinked to its item's new place (frequency restarts at
// 0). When the first segment fills up, the segment being scanned becomes the
// destination and is compacted in place, so survivors are never dropped for
// lack of room. A destination gets a fresh generation so every
// location-derived CAS token in it changes: a client holding an old token
// gets a spurious EXISTS, never a lost update. Destinations keep their place
// and create time, so chains stay in age order. When merges free nothing
// (every item hot) the caller evicts a whole segment instead.
//
// The cutoff (weighted frequency an item must exceed) adapts per TTL bucket
// toward keeping 1/N of the bytes scanned. Unlike Segcache, which rescales it
// every tenth of a source segment as it scans, it is fixed during one merge
// and adjusted after it (at most 2x either way) from the share kept: the
// in-scan rule depends on item order, and after a compaction the survivors
// sit together at the start of the first segment, where it reads "keeping
// everything", quadruples the cutoff and drops them.
//
// Every item scanned has its key re-hashed to find its slot (slots hold no
// back pointer): a merge of four 1 MiB segments of 72-byte items hashes
// about 58,000 keys.

import type { ItemSpace } from './item-space.js';
import { BIT_DEAD, BIT_HAS_DEADLINE, fieldWord, recordBytes } from './item-layout.js';
import { FREE_BUCKET, LATEST_NEVER, NO_SEGMENT } from './segment-heap.js';
import { BUCKET_COUNT } from './ttl-buckets.js';
import { NEVER } from './expiry-time.js';

/** Segments merged per pass. */
export const MERGE_SEGMENTS = 4;
/** Fewest mergeable consecutive segments. */
const MIN_RUN = 2;
/** Stop taking sources once the destination is this full (after the second source). */
const STOP_FILL = 0.8;
const TARGET_SHARE = 1 / MERGE_SEGMENTS;
/** The cutoff never reaches 0, or it could not grow back; above the largest frequency it would drop all. */
const MIN_CUTOFF = 0.01;
const MAX_CUTOFF = 127;
/** Random picks of a bucket (weighted by its segment count) before scanning all buckets. */
const RANDOM_PICKS = 8;
/** Merges tried per eviction before falling back to evicting a whole segment. */
const MERGE_ATTEMPTS = 4;

export class MergeEvictor {
  private readonly run = new Int32Array(MERGE_SEGMENTS);

  /**
   * Merge until a segment is freed. False when no bucket has MIN_RUN
   * mergeable segments, or MERGE_ATTEMPTS merges freed nothing (every item
   * hot): the caller then evicts a whole segment.
   */
  evict(space: ItemSpace, nowS: number): boolean {
    const heap = space.heap;
    for (let attempt = 0; attempt < MERGE_ATTEMPTS; attempt++) {
      let freed = -1;
      for (let i = 0; i < RANDOM_PICKS && freed < 0; i++) {
        const bucket = heap.bucket[Math.floor(Math.random() * heap.segmentCount)]!;
        if (bucket !== FREE_BUCKET) freed = this.mergeBucket(space, bucket, nowS);
      }
      for (let bucket = 0; bucket < BUCKET_COUNT && freed < 0; bucket++) freed = this.mergeBucket(space, bucket, nowS);
      if (freed < 0) return false;
      if (freed > 0) return true;
    }
    return false;
  }

  /** Merge a run of `bucket`; segments freed, or -1 when it has no run to merge. */
  private mergeBucket(space: ItemSpace, bucket: number, nowS: number): number {
    const chains = space.chains;
    const head = chains.head[bucket]!;
    let start = chains.mergeCursor[bucket]!;
    if (start === NO_SEGMENT || space.heap.bucket[start] !== bucket) start = head;
    let length = this.collectRun(space, bucket, start);
    if (length < MIN_RUN && start !== head) length = this.collectRun(space, bucket, head);
    if (length < MIN_RUN) return -1;
    return this.merge(space, bucket, length, nowS);
  }

  /** Fill `run` with consecutive segments from `start`, stopping at the tail or the pinned segment. */
  private collectRun(space: ItemSpace, bucket: number, start: number): number {
    const tail = space.chains.tail[bucket]!;
    let length = 0;
    for (let seg = start; seg !== NO_SEGMENT && length < MERGE_SEGMENTS; seg = space.heap.next[seg]!) {
      if (seg === tail || seg === space.pinned) break;
      this.run[length++] = seg;
    }
    return length;
  }

  /**
   * Merge `run[0..length)` of `bucket`; returns the segments freed. Survivors
   * go to the first segment; if it fills up, the segment being scanned
   * becomes the destination and is compacted in place, so a survivor is
   * never dropped for lack of room.
   */
  private merge(space: ItemSpace, bucket: number, length: number, nowS: number): number {
    const heap = space.heap;
    const index = space.index;
    const counters = space.counters;
    const segmentSize = space.segmentSize;
    let dst = this.run[0]!;
    let dstBytes = heap.bytes[dst]!;
    heap.renew(dst);
    let write = 0;
    let liveItems = 0;
    let latest = 0;
    let freed = 0;
    const cutoff = space.chains.mergeCutoff[bucket]!;
    // Bytes of live items scanned and kept, for the cutoff's feedback.
    let scanned = 0;
    let kept = 0;
    for (let r = 0; r < length; r++) {
      if (r >= MIN_RUN && write >= STOP_FILL * segmentSize) break;
      const src = this.run[r]!;
      const srcBytes = heap.bytes[src]!;
      const words = heap.words[src]!;
      const end = heap.writeOffset[src]!;
      const meanSize = heap.liveItems[src]! > 0 ? heap.liveBytes[src]! / heap.liveItems[src]! : 1;
      for (let off = 0; off < end; ) {
        const w = off >>> 2;
        const a = words[w]!;
        const bits = (a >>> 8) & 0xff;
        const size = recordBytes(a & 0xff, words[w + 1]!, bits);
        const loc = (src * segmentSize + off) / 8 + 1;
        if (!(bits & BIT_DEAD) && index.findLoc(space.hashAt(loc), loc)) {
          const deadline = bits & BIT_HAS_DEADLINE ? words[fieldWord(w, a, BIT_HAS_DEADLINE)]! : NEVER;
          if (deadline !== NEVER && nowS >= deadline) {
            index.removeFound();
            counters.expiredReclaimed++;
            counters.items--;
            counters.bytes -= size;
          } else {
            scanned += size;
            if ((index.foundFrequency() * meanSize) / size > cutoff) {
              if (write + size > segmentSize) {
                // Destination full (src !== dst here: compaction in place always fits).
                this.close(space, dst, write, liveItems, latest);
                dst = src;
                dstBytes = srcBytes;
                heap.renew(dst);
                write = 0;
                liveItems = 0;
                latest = 0;
              }
              if (src === dst) dstBytes.copyWithin(write, off, off + size);
              else srcBytes.copy(dstBytes, write, off, off + size);
              index.relinkFound((dst * segmentSize + write) / 8 + 1);
              write += size;
              kept += size;
              liveItems++;
              const itemLatest = deadline === NEVER ? LATEST_NEVER : deadline;
              if (itemLatest > latest) latest = itemLatest;
            } else {
              index.removeFound();
              counters.evictions++;
              counters.items--;
              counters.bytes -= size;
            }
          }
        }
        off += size;
      }
      if (src !== dst) {
        space.chains.unlink(src);
        heap.release(src);
        freed++;
      }
    }
    if (scanned > 0) {
      const t = (kept / scanned - TARGET_SHARE) / TARGET_SHARE;
      if (t > 0.5 || t < -0.5) {
        const next = cutoff * Math.min(2, Math.max(0.5, 1 + t));
        space.chains.mergeCutoff[bucket] = Math.min(MAX_CUTOFF, Math.max(MIN_CUTOFF, next));
      }
    }
    space.chains.mergeCursor[bucket] = heap.next[dst]!;
    counters.merges++;
    if (this.close(space, dst, write, liveItems, latest)) freed++;
    return freed;
  }

  /** Set a destination's header after compaction; frees it when it kept nothing. */
  private close(space: ItemSpace, seg: number, write: number, liveItems: number, latest: number): boolean {
    const heap = space.heap;
    heap.writeOffset[seg] = write;
    heap.liveItems[seg] = liveItems;
    heap.liveBytes[seg] = write;
    heap.latestDeadline[seg] = latest;
    if (liveItems > 0) return false;
    space.chains.unlink(seg);
    heap.release(seg);
    return true;
  }
}
