// Accumulates reply bytes for one connection so that many replies leave in
// one socket write.
//
// Replies are written into a large chunk; `take()` hands out the filled part
// as a view (no copy) and later replies continue after it in the same chunk.
// Bytes already taken are never written again while the socket may still
// hold the views; once the connection knows the socket has let go of them
// (everything written reached the kernel) it calls `recycle()` and the chunk
// is reused from its start, and up to MAX_SPARES chunks filled by replies
// larger than one chunk are kept for the next such reply: a busy connection
// then allocates no chunks at all (fewer external buffers for the GC, less
// malloc heap).
//
// The small writes replies are made of (a space, a 3-digit length, a short
// key) are done byte by byte: for a few bytes that is several times cheaper
// than Buffer.write or a subarray + set.

const DEFAULT_CHUNK = 64 * 1024;
/** Up to this many bytes a plain loop beats TypedArray.set (which allocates a view). */
const SMALL_COPY = 24;
/** Strings up to this length are written char by char rather than through Buffer.write. */
const SMALL_STRING = 32;
/** Filled chunks kept for reuse after a recycle (bounded: a connection holds at most 1 + this many). */
const MAX_SPARES = 2;

/** Number of decimal digits of a non-negative safe integer. */
export function decimalDigits(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

/**
 * Write non-negative safe integer `n` in decimal into `buf` at `off`;
 * returns the offset after it. The caller has checked there is room.
 */
export function putDecimal(buf: Uint8Array, off: number, n: number): number {
  if (n < 10) {
    buf[off] = 48 + n;
    return off + 1;
  }
  const end = off + decimalDigits(n);
  let p = end;
  // Below 2^31, integer ops; above, floor division (still exact for safe integers).
  if (n < 0x80000000) {
    while (n >= 10) {
      const q = (n / 10) | 0;
      buf[--p] = 48 + (n - q * 10);
      n = q;
    }
  } else {
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[--p] = 48 + (n - q * 10);
      n = q;
    }
  }
  buf[--p] = 48 + n;
  return end;
}

/** Copy `src[start, end)` into `dst` at `off`; returns the offset after it. */
export function putBytes(dst: Uint8Array, off: number, src: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n <= SMALL_COPY) {
    for (let i = 0; i < n; i++) dst[off + i] = src[start + i]!;
  } else {
    dst.set(start === 0 && end === src.length ? src : src.subarray(start, end), off);
  }
  return off + n;
}

function viewOf(chunk: Buffer): DataView<ArrayBufferLike> {
  return new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
}

export class ReplyWriter {
  /** Current chunk; encoders may write into it directly after `reserve()`. */
  chunk: Buffer;
  /** A DataView over exactly `chunk` (for CacheStore.copyValue). */
  view: DataView<ArrayBufferLike>;
  /** Write position in `chunk`. */
  pos = 0;
  /** Start of the bytes in `chunk` not yet taken. */
  private start = 0;
  /** Filled earlier chunks not yet taken. */
  private full: Buffer[] = [];
  private fullBytes = 0;
  /** Standard-size chunks filled and taken since the last recycle. */
  private retired: Buffer[] = [];
  /** Standard-size chunks free for reuse. */
  private spares: Buffer[] = [];
  /**
   * The last view take() made of `chunk` from its start. A busy connection
   * recycles after each write and its next replies start at 0 again, often
   * with the same length (STORED): the view is handed out again instead of
   * a new one per reply. Only a view of the current chunk is kept.
   */
  private head: Buffer | null = null;
  private readonly chunkSize: number;

  constructor(chunkSize = DEFAULT_CHUNK) {
    this.chunkSize = chunkSize;
    this.chunk = Buffer.allocUnsafe(chunkSize);
    this.view = viewOf(this.chunk);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.fullBytes + this.pos - this.start;
  }

  /**
   * Make room for `n` contiguous bytes and return the offset in `this.chunk`
   * where they go; the caller writes them and then calls `advance(n)` (or
   * sets `pos` past what it wrote, at most `n` bytes).
   */
  reserve(n: number): number {
    if (this.chunk.length - this.pos < n) this.grow(n);
    return this.pos;
  }

  advance(n: number): void {
    this.pos += n;
  }

  writeBuffer(src: Uint8Array, start = 0, end = src.length): void {
    const off = this.reserve(end - start);
    this.pos = putBytes(this.chunk, off, src, start, end);
  }

  /** Write a string of one-byte characters (ASCII / latin1). */
  writeAscii(s: string): void {
    const n = s.length;
    const off = this.reserve(n);
    if (n <= SMALL_STRING) {
      const chunk = this.chunk;
      for (let i = 0; i < n; i++) chunk[off + i] = s.charCodeAt(i);
      this.pos = off + n;
    } else {
      this.pos = off + this.chunk.write(s, off, 'latin1');
    }
  }

  /** Write one byte (an ASCII character code). */
  writeByte(c: number): void {
    const off = this.reserve(1);
    this.chunk[off] = c;
    this.pos = off + 1;
  }

  /** Write an integer in decimal (fast for non-negative safe integers, String(n) otherwise). */
  writeDecimal(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) {
      this.writeAscii(String(n));
      return;
    }
    const off = this.reserve(16);
    this.pos = putDecimal(this.chunk, off, n);
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
    let tail: Buffer | null = null;
    if (this.pos > this.start) {
      if (this.start === 0) {
        if (this.head === null || this.head.length !== this.pos) this.head = this.chunk.subarray(0, this.pos);
        tail = this.head;
      } else {
        tail = this.chunk.subarray(this.start, this.pos);
      }
    }
    this.start = this.pos;
    if (this.full.length === 0) return tail;
    const out = this.full;
    if (tail !== null) out.push(tail);
    this.full = [];
    this.fullBytes = 0;
    return out;
  }

  /**
   * Everything taken so far is no longer referenced by anyone (the socket
   * has handed it to the kernel): write the next replies from the start of
   * the current chunk again. Ignored while untaken bytes remain.
   */
  recycle(): void {
    if (this.pos !== this.start || this.full.length !== 0) return;
    this.pos = 0;
    this.start = 0;
    if (this.retired.length > 0) {
      for (const c of this.retired) if (this.spares.length < MAX_SPARES) this.spares.push(c);
      this.retired = [];
    }
  }

  /**
   * Keep only the first `length` untaken bytes (drop a reply that failed
   * half-way). Nothing happens when `length` is not below `this.length`.
   */
  truncate(length: number): void {
    if (length >= this.length) return;
    if (length >= this.fullBytes) {
      this.pos = this.start + (length - this.fullBytes);
      return;
    }
    // The cut falls in an earlier chunk: keep the parts before it and a
    // prefix of the part it falls in; the current chunk's bytes go.
    const kept: Buffer[] = [];
    let bytes = 0;
    for (const part of this.full) {
      if (bytes + part.length > length) {
        if (length > bytes) kept.push(part.subarray(0, length - bytes));
        bytes = length;
        break;
      }
      kept.push(part);
      bytes += part.length;
    }
    this.full = kept;
    this.fullBytes = bytes;
    this.pos = this.start;
  }

  /** Chunks this writer holds now, for accounting (current + spares). */
  get heldBytes(): number {
    let n = this.chunk.length;
    for (const c of this.spares) n += c.length;
    return n;
  }

  private grow(n: number): void {
    if (this.pos > this.start) {
      this.full.push(this.chunk.subarray(this.start, this.pos));
      this.fullBytes += this.pos - this.start;
    }
    // Only standard chunks are reused; a larger one (one big value) is
    // dropped once the socket is done with it.
    if (this.chunk.length === this.chunkSize && this.retired.length < MAX_SPARES) this.retired.push(this.chunk);
    const spare = n <= this.chunkSize ? this.spares.pop() : undefined;
    this.chunk = spare ?? Buffer.allocUnsafe(Math.max(this.chunkSize, n));
    this.view = viewOf(this.chunk);
    this.head = null;
    this.pos = 0;
    this.start = 0;
  }
}
