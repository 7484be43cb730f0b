// Growth between table generations: when items exceed the index's load
// limit the table doubles into the other area, and the old table's buckets
// move over a few at a time (on each insert and each expiry tick), never in
// one long pause. Slots keep only a 16-bit tag, so each entry's bucket in
// the new table comes from re-hashing its key in its segment. The rest of
// the index (lookups that still consult the old table, the epoch that tells
// other threads to rebuild their views) is hash-index.ts's.

import { COUNTED, CURSOR, NO_BUCKET, WORDS_PER_BUCKET, altHash, locOfSlot } from './index-layout.js';
import type { KeySource, SlotTable } from './slot-table.js';

/**
 * Move up to `buckets` primary buckets (with their chains) of `old` into
 * `cur`, advancing the shared cursor. Returns true when `old` is drained.
 */
export function migrateBuckets(old: SlotTable, cur: SlotTable, control: Int32Array, keys: KeySource, buckets: number): boolean {
  let cursor = control[CURSOR]!;
  const end = Math.min(old.buckets, cursor + buckets);
  for (; cursor < end; cursor++) {
    let b = cursor;
    do {
      const base = b * WORDS_PER_BUCKET;
      for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
        const lo = old.words[i + 1]!;
        const meta = old.words[i]!;
        if (lo !== 0) cur.place(keys.hashAt(locOfSlot(meta, lo)), meta & ~COUNTED, lo);
        // Empty the old slot: a lookup still searches this bucket while the
        // key's other bucket has not migrated, and must not find (and
        // relink or remove) a stale copy instead of the one in `cur`.
        old.words[i] = 0;
        old.words[i + 1] = 0;
      }
      b = old.next[b]!;
    } while (b !== NO_BUCKET);
    // cur.place may have grown cur's overflow pool (its views follow).
    control[CURSOR] = cursor + 1;
  }
  return cursor === old.buckets;
}

/** Could a key with `hash` still sit in `old` (one of its two buckets not yet migrated)? */
export function mayBeUnmigrated(old: SlotTable, control: Int32Array, hash: number): boolean {
  const cursor = control[CURSOR]!;
  return (hash & old.mask) >= cursor || (altHash(hash) & old.mask) >= cursor;
}
