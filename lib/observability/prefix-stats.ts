// `stats detail`: per-prefix counts of gets, hits, sets and deletes, as
// memcached's stats_prefix.c keeps them. A key's prefix is everything
// before the first delimiter byte (-D, default ':'); keys without one are
// not counted. Counting is off until `stats detail on` (or -D); the request
// path only tests settings.detailEnabled when counting is off.
//
// One table for every thread of a -t N server, in a SharedArrayBuffer
// (PrefixStatsMemory), so `stats detail dump` on any worker answers the sum
// over all threads with no message round trip: prefixes are entries
// numbered in order of first use (dump keeps that order), found through an
// open-addressing hash of entry numbers; an entry's bytes are written
// before a compare-exchange publishes its number in the hash, so readers
// never see a half-written prefix, and a thread that loses that race finds
// the winner's entry (its own number stays unused, with no counts). Counts
// are per thread (one row each, written only by its thread, summed by the
// dump): no atomic operation and no shared cache line on the request path.
// `stats reset` bumps a generation: a thread zeroes its own row when it
// next counts, and the dump leaves out rows of an older generation.
//
// Bounded, unlike memcached: at most `limit` distinct prefixes (MAX_PREFIXES)
// are tracked, and not reclaimed by a reset; keys with a new prefix beyond
// that are not counted (`untracked`), so a client inventing prefixes cannot
// grow memory. The memory is reserved up front but touched only as
// prefixes are used (entries are dense by number).

/** Distinct prefixes tracked at most. */
export const MAX_PREFIXES = 10_000;

/** Bytes kept per prefix: memcached keys are at most 250 bytes, the prefix shorter. */
const PREFIX_STRIDE = 252;
// Int32 header cells.
const ENTRIES = 0;
const UNTRACKED = 1;
const GENERATION = 2;
const ROW_GENERATIONS = 3;
const COUNTS = 4; // get, hit, set, del

export interface PrefixStatsMemory {
  buffer: SharedArrayBuffer;
  threads: number;
  limit: number;
}

function slotCount(limit: number): number {
  let n = 16;
  while (n < limit * 2) n *= 2;
  return n;
}

function layout(threads: number, limit: number): { slots: number; meta: number; bytes: number; counts: number; total: number } {
  const header = ((ROW_GENERATIONS + threads + 1) & ~1) * 4;
  const slots = header;
  const meta = slots + slotCount(limit) * 4;
  const bytes = meta + limit * 8;
  const counts = (bytes + limit * PREFIX_STRIDE + 7) & ~7;
  return { slots, meta, bytes, counts, total: counts + threads * limit * COUNTS * 8 };
}

export function newPrefixStatsMemory(threads: number, limit = MAX_PREFIXES): PrefixStatsMemory {
  return { buffer: new SharedArrayBuffer(layout(threads, limit).total), threads, limit };
}

export class PrefixStats {
  private readonly header: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Per entry: hash, prefix length. */
  private readonly meta: Int32Array;
  private readonly bytes: Buffer;
  private readonly counts: Float64Array;
  /** This thread's row in `counts`. */
  private readonly row: number;
  private readonly limit: number;

  constructor(
    private readonly delimiter: number,
    /** Shared with the other threads (-t N); a private table when absent. */
    readonly memory: PrefixStatsMemory | number = MAX_PREFIXES,
    private readonly thread = 0,
  ) {
    const mem = typeof memory === 'number' ? newPrefixStatsMemory(1, memory) : memory;
    const at = layout(mem.threads, mem.limit);
    this.limit = mem.limit;
    this.header = new Int32Array(mem.buffer, 0, ROW_GENERATIONS + mem.threads);
    this.slots = new Int32Array(mem.buffer, at.slots, slotCount(mem.limit));
    this.mask = this.slots.length - 1;
    this.meta = new Int32Array(mem.buffer, at.meta, mem.limit * 2);
    this.bytes = Buffer.from(mem.buffer, at.bytes, mem.limit * PREFIX_STRIDE);
    this.counts = new Float64Array(mem.buffer, at.counts, mem.threads * mem.limit * COUNTS);
    this.row = thread * mem.limit * COUNTS;
  }

  /** Keys whose prefix was new when the table was full. */
  get untracked(): number {
    return Atomics.load(this.header, UNTRACKED);
  }

  /** Distinct prefixes tracked. */
  get size(): number {
    return Math.min(Atomics.load(this.header, ENTRIES), this.limit);
  }

  recordGet(key: Uint8Array, hit: boolean): void {
    const at = this.countsAt(key);
    if (at < 0) return;
    this.counts[at]!++;
    if (hit) this.counts[at + 1]!++;
  }

  recordSet(key: Uint8Array): void {
    const at = this.countsAt(key);
    if (at >= 0) this.counts[at + 2]!++;
  }

  recordDelete(key: Uint8Array): void {
    const at = this.countsAt(key);
    if (at >= 0) this.counts[at + 3]!++;
  }

  /** memcached's dump, summed over threads: `PREFIX <p> get <n> hit <n> set <n> del <n>` lines, then END (no final CRLF). */
  dump(): string {
    const generation = Atomics.load(this.header, GENERATION);
    const rows: number[] = [];
    const threads = this.header.length - ROW_GENERATIONS;
    for (let t = 0; t < threads; t++) {
      if (Atomics.load(this.header, ROW_GENERATIONS + t) === generation) rows.push(t * this.limit * COUNTS);
    }
    let s = '';
    for (let id = 0; id < this.size; id++) {
      let get = 0;
      let hit = 0;
      let set = 0;
      let del = 0;
      for (const row of rows) {
        const at = row + id * COUNTS;
        get += this.counts[at]!;
        hit += this.counts[at + 1]!;
        set += this.counts[at + 2]!;
        del += this.counts[at + 3]!;
      }
      if (get + set + del === 0) continue;
      const prefix = this.bytes.toString('latin1', id * PREFIX_STRIDE, id * PREFIX_STRIDE + this.meta[id * 2 + 1]!);
      s += `PREFIX ${prefix} get ${get} hit ${hit} set ${set} del ${del}\r\n`;
    }
    return s + 'END';
  }

  /** `stats reset`: every thread's counts start again from zero. */
  clear(): void {
    Atomics.add(this.header, GENERATION, 1);
    Atomics.store(this.header, UNTRACKED, 0);
  }

  /** Index in `counts` of this thread's counts for the key's prefix, -1 when not counted. */
  private countsAt(key: Uint8Array): number {
    // memcached stops at a NUL byte as well as at the delimiter.
    let n = 0;
    let hash = 0x811c9dc5;
    while (n < key.length && key[n] !== this.delimiter) {
      const b = key[n]!;
      if (b === 0) return -1;
      hash = Math.imul(hash ^ b, 0x01000193);
      n++;
    }
    if (n === key.length || n > PREFIX_STRIDE) return -1;
    const id = this.entryFor(key, n, hash | 0);
    if (id < 0) return -1;
    const generation = Atomics.load(this.header, GENERATION);
    if (this.header[ROW_GENERATIONS + this.thread] !== generation) {
      // A reset since this thread last counted: its old counts go.
      this.counts.fill(0, this.row, this.row + this.size * COUNTS);
      Atomics.store(this.header, ROW_GENERATIONS + this.thread, generation);
    }
    return this.row + id * COUNTS;
  }

  /** The entry number of key[0, n), added when new; -1 when the table is full. */
  private entryFor(key: Uint8Array, n: number, hash: number): number {
    let slot = hash & this.mask;
    for (;;) {
      let taken = Atomics.load(this.slots, slot);
      if (taken === 0) {
        const id = Atomics.add(this.header, ENTRIES, 1);
        if (id >= this.limit) {
          Atomics.sub(this.header, ENTRIES, 1);
          Atomics.add(this.header, UNTRACKED, 1);
          return -1;
        }
        this.meta[id * 2] = hash;
        this.meta[id * 2 + 1] = n;
        this.bytes.set(key.subarray(0, n), id * PREFIX_STRIDE);
        taken = Atomics.compareExchange(this.slots, slot, 0, id + 1);
        if (taken === 0) return id;
        // Another thread took this slot first: `id` stays unused; look at its entry.
      }
      const id = taken - 1;
      if (this.meta[id * 2] === hash && this.meta[id * 2 + 1] === n && this.samePrefix(id, key, n)) return id;
      slot = (slot + 1) & this.mask;
    }
  }

  private samePrefix(id: number, key: Uint8Array, n: number): boolean {
    const at = id * PREFIX_STRIDE;
    for (let i = 0; i < n; i++) if (this.bytes[at + i] !== key[i]) return false;
    return true;
  }
}
