// Ghost keys: the hashes of recently evicted keys, so a key written again
// soon after eviction is admitted as if it had been read once (S3-FIFO's
// ghost queue, issue 17). Under merge eviction an item never read ranks 0
// and goes first at every merge; a look-aside client re-sets a key only
// when it wants it again, so a key that comes back after an eviction has
// shown reuse the cache missed, and starting it at frequency 1 lets it
// outrank the one-hit wonders written around it.
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

  /** Remember an evicted key by its hash. */
  remember(hash: number): void {
    // 0 marks an empty slot; a hash of 0 is kept as 1 (costs a rare false recall).
    this.table[(hash >>> 0) & this.mask] = hash >>> 0 || 1;
  }

  /** Was this key evicted recently (and not recalled since)? Forgets it when so. */
  recall(hash: number): boolean {
    const slot = (hash >>> 0) & this.mask;
    if (this.table[slot] !== (hash >>> 0 || 1)) return false;
    this.table[slot] = 0;
    return true;
  }

  /** Forget every ghost (flush_all). */
  clear(): void {
    this.table.fill(0);
  }
}
