// Accumulates reply bytes for one connection so that many replies leave in
// one socket write.
//
// Replies are written into a large chunk; `take()` hands out the filled part
// as a view (no copy) and later replies continue after it in the same chunk.
// Bytes already taken are never written again, so the socket may hold the
// views until it has flushed them. A new chunk is allocated only when the
// current one is full.

const DEFAULT_CHUNK = 64 * 1024;

export class ReplyWriter {
  /** Current chunk; encoders may write into it directly after `reserve()`. */
  chunk: Buffer;
  /** Write position in `chunk`. */
  pos = 0;
  /** Start of the bytes in `chunk` not yet taken. */
  private start = 0;
  /** Filled earlier chunks not yet taken. */
  private full: Buffer[] = [];
  private fullBytes = 0;
  private readonly chunkSize: number;

  constructor(chunkSize = DEFAULT_CHUNK) {
    this.chunkSize = chunkSize;
    this.chunk = Buffer.allocUnsafe(chunkSize);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.fullBytes + this.pos - this.start;
  }

  /**
   * Make room for `n` contiguous bytes and return the offset in `this.chunk`
   * where they go; the caller writes them and then calls `advance(n)`.
   */
  reserve(n: number): number {
    if (this.chunk.length - this.pos < n) this.grow(n);
    return this.pos;
  }

  advance(n: number): void {
    this.pos += n;
  }

  writeBuffer(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    const off = this.reserve(n);
    this.chunk.set(src.subarray(start, end), off);
    this.pos = off + n;
  }

  /** Write a string of one-byte characters (ASCII / latin1). */
  writeAscii(s: string): void {
    const off = this.reserve(s.length);
    this.pos = off + this.chunk.write(s, off, 'latin1');
  }

  /** Write a non-negative safe integer in decimal. */
  writeDecimal(n: number): void {
    if (n < 10) {
      const off = this.reserve(1);
      this.chunk[off] = 48 + n;
      this.pos = off + 1;
      return;
    }
    this.writeAscii(String(n));
  }

  writeCRLF(): void {
    const off = this.reserve(2);
    this.chunk[off] = 13;
    this.chunk[off + 1] = 10;
    this.pos = off + 2;
  }

  /**
   * Hand out everything written since the last call: null when nothing,
   * else one Buffer, or several when replies spanned chunks.
   */
  take(): Buffer | Buffer[] | null {
    const tail = this.pos > this.start ? this.chunk.subarray(this.start, this.pos) : null;
    this.start = this.pos;
    if (this.full.length === 0) return tail;
    const out = this.full;
    if (tail !== null) out.push(tail);
    this.full = [];
    this.fullBytes = 0;
    return out;
  }

  private grow(n: number): void {
    if (this.pos > this.start) {
      this.full.push(this.chunk.subarray(this.start, this.pos));
      this.fullBytes += this.pos - this.start;
    }
    this.chunk = Buffer.allocUnsafe(Math.max(this.chunkSize, n));
    this.pos = 0;
    this.start = 0;
  }
}
