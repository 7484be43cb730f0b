// The shared memory behind `watch` in a -t N server: one flag word (the
// union of every watcher's event types in every worker), the global line
// id, the watcher counters `stats` reports, and one bounded ring per
// producing thread (each worker and the housekeeper). A thread that makes a
// watch event while some watcher anywhere wants its type writes the line
// into its own ring; every worker that holds watchers reads every ring with
// its own cursor (drain) and hands the lines to its watchers (watch-bus.ts).
//
// Not here: the per-watcher buffer and its `skipped=N` (watch-stream.ts),
// when to drain (watch-bus.ts), the line text (lib/respond/watch-command.ts).
//
// A ring is single-producer, multi-consumer, and never overwrites: a line
// that does not fit behind the slowest active reader is dropped and counted
// (memcached's log_worker_dropped; its per-thread log buffers drop the same
// way). Positions are byte counts that wrap at 2^32; the ring size is a
// power of two, so `position & mask` is the offset. A record is 12 bytes of
// header (text length, event type, gid) and the latin1 text, padded to 4
// bytes; a record never wraps: the producer writes a -1 length (pad) and
// starts over at offset 0. The producer publishes a record with one
// Atomics.store of its head; readers publish their cursors the same way, so
// the producer never writes over bytes a reader has yet to read.
//
// Wake-ups: a reader that has caught up sleeps in Atomics.waitAsync on the
// doorbell cell; a producer that finds some active reader at its old head
// (caught up, so maybe asleep) bumps the doorbell and notifies. Producer
// stores head then loads cursors, a reader stores its cursor then loads
// head: one of the two always sees the other, so no line waits for the
// reader's time-out.

/** Bytes of each thread's ring (memcached's per-thread logger buffer is 64 KiB too). */
export const WATCH_RING_BYTES = 64 * 1024;

// Int32 cells of the header.
const FLAGS = 0;
const GID = 1;
const LOCK = 2;
const DOORBELL = 3;
/** Then two cells per reader: the union of its watchers' types, and how many it holds. */
const READER_FLAGS = 4;
// Float64 counters, one row per thread: written / dropped by producers, sent / skipped by readers.
const WRITTEN = 0;
const DROPPED = 1;
const SENT = 2;
const SKIPPED = 3;
const COUNTERS = 4;
// Per ring, before its bytes: head, then a cursor and an active cell per reader.
const RECORD_HEADER = 12;
const PAD = -1;

export interface WatchRingsMemory {
  buffer: SharedArrayBuffer;
  /** Producing threads (rings): workers 0..N-1, the housekeeper N. */
  rings: number;
  /** Reading threads (the workers). */
  readers: number;
  ringBytes: number;
}

/** Ring bytes for -o worker_logbuf_size: a power of two, 1 KiB to 64 MiB. */
export function ringBytesFor(requested: number): number {
  let n = 1024;
  while (n < requested && n < 64 * 1024 * 1024) n *= 2;
  return n;
}

export function newWatchRingsMemory(rings: number, readers: number, ringBytes = WATCH_RING_BYTES): WatchRingsMemory {
  if ((ringBytes & (ringBytes - 1)) !== 0 || ringBytes < 1024) throw new Error('watch ring size must be a power of two >= 1024');
  const bytes = layout(rings, readers, ringBytes).total;
  return { buffer: new SharedArrayBuffer(bytes), rings, readers, ringBytes };
}

function ringControlCells(readers: number): number {
  // head + cursor and active per reader, rounded to 8 bytes.
  return (1 + 2 * readers + 1) & ~1;
}

function headerCells(readers: number): number {
  return (READER_FLAGS + 2 * readers + 1) & ~1;
}

function layout(rings: number, readers: number, ringBytes: number): { counters: number; rings: number; ringStride: number; total: number } {
  const counters = headerCells(readers) * 4;
  const ringsAt = counters + (rings + readers) * COUNTERS * 8;
  const ringStride = ringControlCells(readers) * 4 + ringBytes;
  return { counters, rings: ringsAt, ringStride, total: ringsAt + rings * ringStride };
}

/** One thread's view of the shared watch memory. */
export class WatchRings {
  /** The union of every watcher's event types (read by publishers, one load). */
  readonly flagWord: Int32Array;
  private readonly header: Int32Array;
  private readonly readerFlags: Int32Array;
  private readonly counters: Float64Array;
  private readonly controls: Int32Array[] = [];
  private readonly bytes: Buffer[] = [];
  private readonly words: Int32Array[] = [];
  private readonly mask: number;
  private readonly cap: number;
  private readonly readers: number;

  constructor(
    readonly memory: WatchRingsMemory,
    /** This thread's ring (-1: this thread produces nothing). */
    private readonly ring: number,
  ) {
    const { buffer, rings, readers, ringBytes } = memory;
    const at = layout(rings, readers, ringBytes);
    this.header = new Int32Array(buffer, 0, headerCells(readers));
    this.readerFlags = this.header.subarray(READER_FLAGS, READER_FLAGS + 2 * readers);
    this.flagWord = this.header.subarray(FLAGS, FLAGS + 1);
    this.counters = new Float64Array(buffer, at.counters, (rings + readers) * COUNTERS);
    const cells = ringControlCells(readers);
    for (let r = 0; r < rings; r++) {
      const base = at.rings + r * at.ringStride;
      this.controls.push(new Int32Array(buffer, base, cells));
      this.bytes.push(Buffer.from(buffer, base + cells * 4, ringBytes));
      this.words.push(new Int32Array(buffer, base + cells * 4, ringBytes / 4));
    }
    this.cap = ringBytes;
    this.mask = ringBytes - 1;
    this.readers = readers;
  }

  nextGid(): number {
    return Atomics.add(this.header, GID, 1) + 1;
  }

  // ---- producer side (this thread's ring) ----

  /** Write one line of event type `flag`; false when it was dropped (ring full or nobody reading). */
  write(flag: number, gid: number, text: string): boolean {
    if (this.ring < 0) return false;
    const control = this.controls[this.ring]!;
    const head = Atomics.load(control, 0) >>> 0;
    let slowest = -1;
    for (let c = 0; c < this.readers; c++) {
      if (Atomics.load(control, 2 + 2 * c) === 0) continue;
      const lag = (head - (Atomics.load(control, 1 + 2 * c) >>> 0)) >>> 0;
      if (lag > slowest) slowest = lag;
    }
    if (slowest < 0) return false;
    const need = (RECORD_HEADER + text.length + 3) & ~3;
    const offset = head & this.mask;
    const pad = offset + need > this.cap ? this.cap - offset : 0;
    if (slowest + pad + need > this.cap) {
      this.counters[this.ring * COUNTERS + DROPPED]! += 1;
      return false;
    }
    const words = this.words[this.ring]!;
    let at = offset;
    if (pad > 0) {
      words[at >>> 2] = PAD;
      at = 0;
    }
    words[at >>> 2] = text.length;
    words[(at >>> 2) + 1] = flag;
    words[(at >>> 2) + 2] = gid;
    this.bytes[this.ring]!.write(text, at + RECORD_HEADER, 'latin1');
    Atomics.store(control, 0, (head + pad + need) | 0);
    this.counters[this.ring * COUNTERS + WRITTEN]! += 1;
    // A reader at the old head has caught up and may be asleep: wake it.
    for (let c = 0; c < this.readers; c++) {
      if (Atomics.load(control, 2 + 2 * c) !== 0 && Atomics.load(control, 1 + 2 * c) >>> 0 === head) {
        Atomics.add(this.header, DOORBELL, 1);
        Atomics.notify(this.header, DOORBELL);
        break;
      }
    }
    return true;
  }

  // ---- reader side (a worker with watchers) ----

  /** Start reading every ring from its current head (earlier lines are not this reader's). */
  startReading(reader: number): void {
    for (const control of this.controls) {
      Atomics.store(control, 1 + 2 * reader, Atomics.load(control, 0));
      Atomics.store(control, 2 + 2 * reader, 1);
    }
  }

  stopReading(reader: number): void {
    for (const control of this.controls) Atomics.store(control, 2 + 2 * reader, 0);
  }

  /** The doorbell's value, read before a drain and waited on after it. */
  doorbell(): number {
    return Atomics.load(this.header, DOORBELL);
  }

  /** Sleep until a producer rings (or `timeoutMs`). */
  waitForLines(seen: number, timeoutMs: number): Promise<unknown> {
    const r = Atomics.waitAsync(this.header, DOORBELL, seen, timeoutMs);
    return r.async ? r.value : Promise.resolve(r.value);
  }

  /**
   * Hand the lines of every ring, up to the head each had when reached, to
   * `deliver`. Returns true when a ring got more lines meanwhile: then drain
   * again rather than wait (see the header on wake-ups). One pass at most,
   * so a busy producer cannot hold this thread.
   */
  drain(reader: number, deliver: (flag: number, gid: number, line: string) => void): boolean {
    let more = false;
    for (let r = 0; r < this.controls.length; r++) {
      const control = this.controls[r]!;
      const words = this.words[r]!;
      const bytes = this.bytes[r]!;
      let cursor = Atomics.load(control, 1 + 2 * reader) >>> 0;
      const head = Atomics.load(control, 0) >>> 0;
      if (cursor === head) continue;
      while (cursor !== head) {
        const offset = cursor & this.mask;
        const len = words[offset >>> 2]!;
        if (len === PAD) {
          cursor = (cursor + this.cap - offset) >>> 0;
          continue;
        }
        deliver(words[(offset >>> 2) + 1]!, words[(offset >>> 2) + 2]!, bytes.toString('latin1', offset + RECORD_HEADER, offset + RECORD_HEADER + len));
        cursor = (cursor + ((RECORD_HEADER + len + 3) & ~3)) >>> 0;
      }
      Atomics.store(control, 1 + 2 * reader, cursor | 0);
      if (Atomics.load(control, 0) >>> 0 !== cursor) more = true;
    }
    return more;
  }

  // ---- who watches what ----

  /**
   * Set reader `reader`'s share of the flag word (the union of its own
   * watchers' types) and its watcher count, and recompute the union. Under
   * a short spin lock: subscriptions are rare.
   */
  setReaderFlags(reader: number, flags: number, watchers: number): void {
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0) {
      // Another thread is between its stores below.
    }
    this.readerFlags[2 * reader] = flags;
    this.readerFlags[2 * reader + 1] = watchers;
    let union = 0;
    for (let c = 0; c < this.readers; c++) union |= this.readerFlags[2 * c]!;
    Atomics.store(this.flagWord, 0, union);
    Atomics.store(this.header, LOCK, 0);
  }

  /** A reader's thread is gone (a worker that failed): its watchers and cursors no longer count. */
  forgetReader(reader: number): void {
    this.setReaderFlags(reader, 0, 0);
    this.stopReading(reader);
  }

  // ---- counters (stats log_worker_* and log_watcher_*) ----

  countSent(reader: number, n: number): void {
    this.counters[(this.memory.rings + reader) * COUNTERS + SENT]! += n;
  }

  countSkipped(reader: number, n: number): void {
    this.counters[(this.memory.rings + reader) * COUNTERS + SKIPPED]! += n;
  }

  totals(): { written: number; dropped: number; sent: number; skipped: number; watchers: number } {
    let watchers = 0;
    for (let c = 0; c < this.readers; c++) watchers += Atomics.load(this.readerFlags, 2 * c + 1);
    const t = { written: 0, dropped: 0, sent: 0, skipped: 0, watchers };
    for (let row = 0; row < this.memory.rings + this.memory.readers; row++) {
      t.written += this.counters[row * COUNTERS + WRITTEN]!;
      t.dropped += this.counters[row * COUNTERS + DROPPED]!;
      t.sent += this.counters[row * COUNTERS + SENT]!;
      t.skipped += this.counters[row * COUNTERS + SKIPPED]!;
    }
    return t;
  }
}
