// Defaults the store derives from its options: the segment size for a
// memory limit and item size, and a zeroed counter set.

import type { StoreCounters } from './types.js';

const MIB = 1024 * 1024;
const MAX_WIDENED = 1024 * MIB;

/** At most this many segments by default: above 64 GiB segments grow instead (16 MiB at 1 TiB). */
export const MAX_DEFAULT_SEGMENTS = 65536;

/**
 * Default segment size: -I bytes (at least 1 MiB and at least 1/65536 of
 * the limit, so per-segment headers and views stay bounded at -m 1 TiB),
 * then widened so the segments divide the memory limit exactly (no unused
 * remainder).
 *
 * -I, not -I plus the largest header and key: memcached counts its item
 * header (48 bytes), key, CRLF and CAS against -I and refuses the rest, so
 * every value it stores fits a record of at most -I - 20 bytes here (ours
 * is at most 24 bytes of header plus key and value, padded to 8), and the store refuses
 * what would not fit (SegmentStore valueMax). One segment more per -m in
 * MiB: -m 8 is 8 segments of 1 MiB, not 7 of 1.14 MiB (issue 17,
 * benchmarks/RESULTS.md).
 */
export function defaultSegmentSize(memoryLimitBytes: number, itemSizeMax: number): number {
  const floor = Math.max(MIB, itemSizeMax, Math.ceil(memoryLimitBytes / MAX_DEFAULT_SEGMENTS));
  const least = Math.ceil(floor / 8) * 8;
  const count = Math.floor(memoryLimitBytes / least);
  if (count < 1) return least;
  // Widening stops at 1 GiB: offsets within a segment stay well inside 31 bits.
  return Math.max(least, Math.min(MAX_WIDENED, Math.floor(memoryLimitBytes / count / 8) * 8));
}

/** Counters all at zero. */
export function newCounters(): StoreCounters {
  return {
    items: 0,
    bytes: 0,
    totalItems: 0,
    getHits: 0,
    getMisses: 0,
    getExpired: 0,
    getFlushed: 0,
    casHits: 0,
    casMisses: 0,
    casBadval: 0,
    incrHits: 0,
    incrMisses: 0,
    decrHits: 0,
    decrMisses: 0,
    deleteHits: 0,
    deleteMisses: 0,
    touchHits: 0,
    touchMisses: 0,
    evictions: 0,
    expiredReclaimed: 0,
    expiredSegments: 0,
    merges: 0,
    segmentsDropped: 0,
    storeTooLarge: 0,
    storeNoMemory: 0,
    inlineMerges: 0,
    mergeSlices: 0,
    expiredUnfetched: 0,
    evictedUnfetched: 0,
    crawlerReclaimed: 0,
    crawlerItemsChecked: 0,
  };
}
