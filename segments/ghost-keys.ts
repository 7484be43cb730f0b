// Ghost keys: the hashes of recently evicted keys, so a key asked for and
// written again soon after eviction is admitted as if it had been read
// once (S3-FIFO's ghost queue, issue 17). Under merge eviction an item
// never read ranks 0 and goes first at every merge; a look-aside client
// misses, then re-sets the key it wants, so a key that comes back that way
// has shown reuse the cache missed, and starting it at frequency 1 lets it
// outrank the one-hit wonders written around it.
//
// A readmitted key also sets its segment's read mark (a merge of a run
// with no read mark drops the oldest segment whole, merge-eviction.ts)
// only if a get missed it since the eviction: a key written again with no
// get between (write-through, bulk loads, set-only traffic) showed no read
// the cache lost. Without that condition a set-only load that cycles its
// keys marked nearly every segment read, so merges ranked and moved data
// no one reads instead of dropping the oldest segment. (Requiring the miss
// for the frequency too cost hit ratio on the traces' explicit sets:
// benchmarks/RESULTS.md, session 13.)
//
// A direct-mapped table of 32-bit key hashes in shared memory (every
// thread's ItemSpace sees the same ghosts): an eviction overwrites its
// slot, so the table forgets on its own at about its size in evictions; a
// recall clears the slot (a key is readmitted once per eviction). A false
// recall needs two keys with the same 32-bit hash: it costs one wrong
// admission, never a wrong value. Not counted in -m (as the hash index):
// 4 bytes per entry, one entry per ENTRY_BYTES_OF_LIMIT bytes of -m.
//
// Not: an admission filter that refuses writes (every set is stored, as
// memcached does), nor a frequency sketch.

/**
 * One ghost entry per this many bytes of the memory limit: 4 bytes per 128,
 * 3.1% of -m, one entry per hash slot the index is presized for (the store's
 * typical item size). Measured on the 58 cases (RESULTS.md, issue 17):
 * capacity misses 0.838x memcached's at 512, 0.819x at 128.
 */
export const ENTRY_BYTES_OF_LIMIT = 128;
const MIN_ENTRIES = 1024;
const MAX_ENTRIES = 1 << 22;

/** Ghost entries for a memory limit, one per `bytesPerEntry` of it: a power of two, bounded. */
export function ghostEntries(memoryLimitBytes: number, bytesPerEntry = ENTRY_BYTES_OF_LIMIT): number {
  const want = Math.max(MIN_ENTRIES, Math.min(MAX_ENTRIES, memoryLimitBytes / bytesPerEntry));
  return 2 ** Math.floor(Math.log2(want));
}

/** recall(): not a ghost. */
export const RECALL_NONE = 0;
/** recall(): evicted lately, written again with no get miss between. */
export const RECALL_EVICTED = 1;
/** recall(): evicted lately, missed by a get, written again. */
export const RECALL_ASKED = 2;

/** Bit 0 of an entry: a get missed the key since its eviction. The slot index already holds the hash's bit 0. */
const ASKED = 1;

/** A key's entry: its hash with bit 0 clear (0 marks an empty slot, so a hash of 0 or 1 is kept as 2: a rare false recall). */
function entryOf(hash: number): number {
  return (hash & ~ASKED) >>> 0 || 2;
}

export class GhostKeys {
  readonly memory: SharedArrayBuffer;
  private readonly table: Uint32Array;
  private readonly mask: number;

  /** A new table of `entries` (a power of two), or a view of another thread's (`memory`). */
  constructor(entries: number, memory?: SharedArrayBuffer) {
    this.memory = memory ?? new SharedArrayBuffer(entries * 4);
    this.table = new Uint32Array(this.memory);
    this.mask = this.table.length - 1;
  }

  /** Remember an evicted key by its hash, not yet asked for. */
  remember(hash: number): void {
    this.table[(hash >>> 0) & this.mask] = entryOf(hash);
  }

  /**
   * A get missed this key: if it is a ghost, mark it asked for. Called
   * under the store's shared lock, so a compare-and-swap: a racing
   * remember() of another key in the slot wins.
   */
  missed(hash: number): void {
    const slot = (hash >>> 0) & this.mask;
    const entry = entryOf(hash);
    if (this.table[slot] === entry) Atomics.compareExchange(this.table, slot, entry, entry | ASKED);
  }

  /**
   * A key with no live version is being written: RECALL_NONE, or it was
   * evicted recently (RECALL_EVICTED) and a get missed it since
   * (RECALL_ASKED). The ghost is forgotten (a key is readmitted once per
   * eviction).
   */
  recall(hash: number): number {
    const slot = (hash >>> 0) & this.mask;
    const entry = entryOf(hash);
    const held = this.table[slot]!;
    if ((held & ~ASKED) >>> 0 !== entry) return RECALL_NONE;
    this.table[slot] = 0;
    return held === entry ? RECALL_EVICTED : RECALL_ASKED;
  }

  /** Forget every ghost (flush_all). */
  clear(): void {
    this.table.fill(0);
  }
}
