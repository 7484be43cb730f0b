// Holds a connection's unparsed input between reads.
//
// Bytes are appended into one growable Buffer: a value arriving in many
// chunks is copied once per byte (amortised by doubling), never re-joined per
// chunk as `Buffer.concat` on every read would. The parser sees
// `view()` = the bytes from index 0 to the end of valid data and starts at
// `start`; consumed bytes are dropped by moving `start`, and the live tail is
// moved to the front only when room is needed.
//
// The buffer is allocated only when a read leaves a partial request behind,
// and a large one is released once empty, so idle connections hold nothing.
// An optional gauge counts the buffers held and their bytes (`stats`
// read_buf_count / read_buf_bytes); it moves only when a buffer is
// allocated, grown or dropped, never per request.

/** Where a thread's input buffers are counted (ServerCounters has both fields). */
export interface ReadBufferGauge {
  readBufCount: number;
  readBufBytes: number;
}

/** First allocation; partial command lines and small values fit. */
const INITIAL_BYTES = 16 * 1024;
/** Buffers above this size are dropped when they empty out. */
const KEEP_BYTES = 64 * 1024;

export class InputBuffer {
  private buf: Buffer | null = null;
  /** Index of the first unconsumed byte. */
  start = 0;
  /** Index one past the last valid byte. */
  end = 0;
  /** Bytes copied so far (appends and compactions): linear in the input, never quadratic. */
  copiedBytes = 0;

  constructor(private readonly gauge?: ReadBufferGauge) {}

  /** Unconsumed bytes held. */
  get length(): number {
    return this.end - this.start;
  }

  /** Bytes of memory held (for accounting). */
  get capacity(): number {
    return this.buf === null ? 0 : this.buf.length;
  }

  /** Append `src[from..]`. */
  append(src: Buffer, from = 0): void {
    const n = src.length - from;
    if (n <= 0) return;
    this.ensureRoom(n);
    const buf = this.buf as Buffer;
    src.copy(buf, this.end, from);
    this.end += n;
    this.copiedBytes += n;
  }

  /**
   * The valid bytes as one Buffer whose length is `end` (the parser's end of
   * input); parse from `start`. Valid until the next append or consume.
   */
  view(): Buffer {
    return this.buf === null ? Buffer.alloc(0) : this.buf.subarray(0, this.end);
  }

  /** Drop everything before absolute index `to`. */
  consumeTo(to: number): void {
    this.start = to;
    if (this.start >= this.end) this.clear();
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
    if (this.buf !== null && this.buf.length > KEEP_BYTES) this.drop();
  }

  /** Empty and give the memory back (the connection is closed). */
  release(): void {
    this.start = 0;
    this.end = 0;
    if (this.buf !== null) this.drop();
  }

  private drop(): void {
    if (this.gauge !== undefined && this.buf !== null) {
      this.gauge.readBufCount--;
      this.gauge.readBufBytes -= this.buf.length;
    }
    this.buf = null;
  }

  private ensureRoom(n: number): void {
    if (this.buf === null) {
      this.buf = Buffer.allocUnsafe(Math.max(INITIAL_BYTES, n));
      if (this.gauge !== undefined) {
        this.gauge.readBufCount++;
        this.gauge.readBufBytes += this.buf.length;
      }
      this.start = 0;
      this.end = 0;
      return;
    }
    if (this.buf.length - this.end >= n) return;
    const live = this.end - this.start;
    if (live + n <= this.buf.length && this.start >= live) {
      // Enough room once the live tail moves to the front, and the move is
      // cheap relative to what was consumed.
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.copiedBytes += live;
    } else {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, live + n));
      this.buf.copy(next, 0, this.start, this.end);
      this.copiedBytes += live;
      if (this.gauge !== undefined) this.gauge.readBufBytes += next.length - this.buf.length;
      this.buf = next;
    }
    this.start = 0;
    this.end = live;
  }
}
