// Writes a warm-restart image file front to back: a reserved head (header
// and table, known only at the end), then a stream of views (segment data,
// index arrays, trailer), then the head at offset 0, the exact length and,
// when asked, an fdatasync (data and size: all a later read needs). Two
// ways, same bytes on disk:
//
// - direct (O_DIRECT, the default where the filesystem takes it): the
//   stream is copied through one small reusable staging buffer and written
//   in large block-aligned chunks straight to the device, bypassing the
//   page cache. Why: a buffered save copies every byte into fresh
//   page-cache pages, and on a VM with free page reporting each first touch
//   of such a page is a host fault (about 3 CPU s/GiB measured, against
//   about 0.5 for the copy through a resident buffer; benchmarks/RESULTS.md,
//   issue 12). JS cannot see addresses, so the staging buffer's aligned
//   offset is found by probing: an O_DIRECT write of one block from offset
//   0, 8, 16, ... until the kernel stops answering EINVAL. File offsets and
//   lengths are whole blocks; the last block is padded with zeros and the
//   file then truncated to its exact length; the first blocks (head plus
//   the start of the stream, kept in memory) are written again at the end.
// - buffered (the fallback): the views go out by positional writev
//   (sequential-io.ts). Taken when O_DIRECT is not on this platform, the
//   open refuses it (EINVAL: a filesystem without direct I/O), or no probed
//   offset is accepted; `note` says which.
//
// Crash semantics are the caller's (store-image.ts writes FILE.tmp and
// renames it only after finish()): nothing here makes a file valid early.
// Not here: what the bytes are or their checksums.

import { closeSync, constants, fdatasyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { DIRECT_BLOCK, probeAligned, stagingMemory } from './direct-buffer.js';
import { IoThread } from './io-thread.js';
import { SequentialWriter, writeAllAt } from './sequential-io.js';

export { DIRECT_BLOCK };
/** Staging buffer: large enough that a write keeps the device busy, small enough to stay resident. */
export const STAGING_BYTES = 8 * 1024 * 1024;

/** The two system calls whose answers decide the path; tests substitute ones that refuse. */
export interface WriterIo {
  open(path: string, flags: number, mode: number): number;
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
}

export const SYSTEM_IO: WriterIo = {
  open: (path, flags, mode) => openSync(path, flags, mode),
  write: (fd, buffer, offset, length, position) => writeSync(fd, buffer, offset, length, position),
};

export interface WriterOptions {
  /** Try O_DIRECT (default true); false writes through the page cache. */
  direct?: boolean;
  /** Staging buffer bytes, a multiple of DIRECT_BLOCK (tests use small ones to cross chunk edges). */
  stagingBytes?: number;
  io?: WriterIo;
  /** Bytes the stream will hold: from WRITE_THREAD_ABOVE on, chunks are written by a helper thread (not with a test's `io`). */
  expectedBytes?: number;
  /** Tests: the size from which the helper thread writes (default WRITE_THREAD_ABOVE). */
  threadAbove?: number;
}

/** Images from this size on overlap copying with the device: a thread writes one chunk while the next is filled. */
export const WRITE_THREAD_ABOVE = 64 * 1024 * 1024;

export interface ImageWriter {
  /** The bytes bypass the page cache. */
  readonly direct: boolean;
  /** Why the page cache is used ('' when direct or when direct was not asked for). */
  readonly note: string;
  /** Direct chunks were written by a helper thread while the next was filled. */
  readonly threaded: boolean;
  /** Append `view` to the stream (it must not change until finish returns). */
  add(view: Uint8Array): void;
  /** Write `head` (exactly the reserved length) at offset 0, complete the file to its exact length, fdatasync when `sync`, close. */
  finish(head: readonly Uint8Array[], sync: boolean): void;
  /** Close without finishing (after an error); never throws. */
  abandon(): void;
}

const WRITE_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC;

/**
 * Create (truncate) `path` for an image whose first `headBytes` are written
 * last. Throws only what a buffered open or write would (the caller reports it).
 */
export function openImageWriter(path: string, headBytes: number, options: WriterOptions = {}): ImageWriter {
  const io = options.io ?? SYSTEM_IO;
  const mode = 0o600;
  if (options.direct === false) return new BufferedWriter(io.open(path, WRITE_CREATE, mode), headBytes, '');
  const flag = (constants as { O_DIRECT?: number }).O_DIRECT;
  if (flag === undefined) return new BufferedWriter(io.open(path, WRITE_CREATE, mode), headBytes, 'no O_DIRECT on this platform');
  let fd: number;
  try {
    fd = io.open(path, WRITE_CREATE | flag, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    return new BufferedWriter(io.open(path, WRITE_CREATE, mode), headBytes, 'the filesystem refuses O_DIRECT');
  }
  try {
    const chunk = options.stagingBytes ?? STAGING_BYTES;
    const threaded = options.io === undefined && (options.expectedBytes ?? 0) >= (options.threadAbove ?? WRITE_THREAD_ABOVE);
    // Two chunks back to back when a thread writes one while the other fills.
    const staging = alignedStaging(io, fd, threaded ? 2 * chunk : chunk, threaded);
    if (staging !== null) {
      const slots = threaded ? [staging.subarray(0, chunk), staging.subarray(chunk)] : [staging];
      return new DirectWriter(io, fd, slots, headBytes, threaded ? new ChunkThread(fd, slots) : null);
    }
  } catch (err) {
    closeQuietly(fd);
    throw err;
  }
  closeQuietly(fd);
  return new BufferedWriter(io.open(path, WRITE_CREATE, mode), headBytes, 'no buffer offset passed the O_DIRECT alignment probe');
}

/**
 * A view of `bytes` whose address the kernel takes for O_DIRECT, found by
 * writing one block from successive offsets at file position 0 (the head
 * is rewritten at the end anyway); null when every offset is refused.
 */
function alignedStaging(io: WriterIo, fd: number, bytes: number, shared: boolean): Uint8Array | null {
  const { memory } = stagingMemory(bytes, shared);
  return probeAligned(memory, bytes, (offset) => {
    if (io.write(fd, memory, offset, DIRECT_BLOCK, 0) !== DIRECT_BLOCK) throw Object.assign(new Error('short probe write'), { code: 'EINVAL' });
  });
}

class BufferedWriter implements ImageWriter {
  readonly direct = false;
  readonly threaded = false;
  private readonly stream: SequentialWriter;
  private open = true;

  constructor(
    private readonly fd: number,
    headBytes: number,
    readonly note: string,
  ) {
    this.stream = new SequentialWriter(fd, headBytes);
  }

  add(view: Uint8Array): void {
    this.stream.add(view);
  }

  finish(head: readonly Uint8Array[], sync: boolean): void {
    this.stream.flush();
    writeAllAt(this.fd, head, 0);
    if (sync) fdatasyncSync(this.fd);
    this.open = false;
    closeSync(this.fd);
  }

  abandon(): void {
    // Never twice: the number may belong to another file by now.
    if (this.open) closeQuietly(this.fd);
    this.open = false;
  }
}

class DirectWriter implements ImageWriter {
  readonly direct = true;
  readonly note = '';
  readonly threaded: boolean;
  /** The staging buffer being filled (one of `slots`). */
  private staging: Uint8Array;
  private slot = 0;
  /** Bytes in the staging buffer, not yet written. */
  private fill = 0;
  /** File position of staging[0]. */
  private position = 0;
  /** The file's first blocks as written (zeros where the head goes): rewritten with the head at the end. */
  private readonly first: Uint8Array;
  private open = true;

  constructor(
    private readonly io: WriterIo,
    private readonly fd: number,
    private readonly slots: readonly Uint8Array[],
    private readonly headBytes: number,
    private readonly thread: ChunkThread | null,
  ) {
    this.threaded = thread !== null;
    this.staging = slots[0]!;
    this.first = new Uint8Array(roundUp(headBytes));
    // The reserved head goes through the stream as zeros, so the data lands right after it.
    for (let left = headBytes; left > 0; ) {
      const n = Math.min(left, this.staging.length - this.fill);
      this.staging.fill(0, this.fill, this.fill + n);
      this.fill += n;
      left -= n;
      if (this.fill === this.staging.length) this.flush(this.staging.length);
    }
  }

  add(view: Uint8Array): void {
    for (let at = 0; at < view.length; ) {
      const n = Math.min(view.length - at, this.staging.length - this.fill);
      this.staging.set(n === view.length ? view : view.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === this.staging.length) this.flush(this.staging.length);
    }
  }

  finish(head: readonly Uint8Array[], sync: boolean): void {
    const total = this.position + this.fill;
    if (this.fill > 0) {
      const padded = roundUp(this.fill);
      this.staging.fill(0, this.fill, padded);
      this.flush(padded);
    }
    this.thread?.drain();
    // The first blocks again, now with the head in them.
    let at = 0;
    for (const part of head) {
      this.first.set(part, at);
      at += part.length;
    }
    if (at !== this.headBytes) throw new Error(`head is ${at} bytes, ${this.headBytes} were reserved`);
    const staging = this.slots[0]!;
    for (let from = 0; from < this.first.length; from += staging.length) {
      const n = Math.min(staging.length, this.first.length - from);
      staging.set(this.first.subarray(from, from + n));
      this.writeBlocks(staging, n, from);
    }
    ftruncateSync(this.fd, total);
    if (sync) fdatasyncSync(this.fd);
    this.thread?.stop();
    this.open = false;
    closeSync(this.fd);
  }

  abandon(): void {
    this.thread?.stop();
    if (this.open) closeQuietly(this.fd);
    this.open = false;
  }

  /** Write staging[0, length) (whole blocks) at the current position (on the thread, if any) and go on in the next slot. */
  private flush(length: number): void {
    if (this.position < this.first.length) {
      const n = Math.min(length, this.first.length - this.position);
      this.first.set(this.staging.subarray(0, n), this.position);
    }
    if (this.thread !== null && this.thread.post(this.slot, length, this.position)) {
      this.slot = (this.slot + 1) % this.slots.length;
      this.staging = this.slots[this.slot]!;
      // The slot's previous chunk must be on the device before it is refilled.
      this.thread.waitSlotFree();
    } else {
      this.writeBlocks(this.staging, length, this.position);
    }
    this.position += this.fill;
    this.fill = 0;
  }

  private writeBlocks(staging: Uint8Array, length: number, position: number): void {
    for (let done = 0; done < length; ) {
      const n = this.io.write(this.fd, staging, done, length - done, position + done);
      // A short direct write leaves the rest misaligned: only a full device does that.
      if (n <= 0 || n % DIRECT_BLOCK !== 0) throw new Error(`short direct write (${n} of ${length - done} bytes)`);
      done += n;
    }
  }
}

/**
 * The write thread (io-thread.ts) over the two staging slots, so the device
 * writes one chunk while the caller copies and checksums the next; a write
 * error or a stall comes back as a throw from the next wait.
 */
class ChunkThread {
  private readonly thread: IoThread;
  private checkedStart = false;

  constructor(fd: number, slots: readonly Uint8Array[]) {
    this.thread = new IoThread('write', fd, slots, DIRECT_BLOCK);
  }

  /** Hand `slot` to the thread; false when the thread is not there (write it yourself). */
  post(slot: number, length: number, position: number): boolean {
    // The first chunk waits for the start; a thread that never starts is given up on for good.
    if (!this.checkedStart) {
      this.checkedStart = true;
      if (!this.thread.ready(THREAD_START_MS)) return false;
    }
    return this.thread.post(slot, length, position);
  }

  /** Wait until at most one posted chunk is still being written (the slot about to be filled is free). */
  waitSlotFree(): void {
    this.waitDone(this.thread.count - 1);
  }

  /** Wait until every posted chunk is written; throws the thread's write error. */
  drain(): void {
    if (this.thread.count > 0) this.waitDone(this.thread.count);
  }

  stop(): void {
    this.thread.stop();
  }

  private waitDone(count: number): void {
    this.thread.wait(count, 'the direct write thread stalled');
    const failure = this.thread.failure();
    if (failure !== null) {
      this.thread.stop();
      throw new Error(failure);
    }
  }
}

/** How long the thread may take to start before the writer writes itself. */
const THREAD_START_MS = 5_000;

function roundUp(n: number): number {
  return Math.ceil(n / DIRECT_BLOCK) * DIRECT_BLOCK;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
