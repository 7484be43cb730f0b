// Writes a warm-restart image file front to back: a reserved head (header
// and table, known only at the end), then a stream of views (segment data,
// index arrays, trailer), then the head at offset 0, the exact length and
// an fsync. Two ways, same bytes on disk:
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

import { closeSync, constants, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SequentialWriter, writeAllAt } from './sequential-io.js';

/** File offsets and lengths of direct writes are multiples of this (covers 512- and 4096-byte devices). */
export const DIRECT_BLOCK = 4096;
/** Staging buffer: large enough that a write keeps the device busy, small enough to stay resident. */
export const STAGING_BYTES = 8 * 1024 * 1024;
/** Probe step: V8 backing stores are at least 8-byte aligned. */
const PROBE_STEP = 8;

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
  /** Write `head` (exactly the reserved length) at offset 0, complete the file to its exact length, fsync when `sync`, close. */
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
      return new DirectWriter(io, fd, slots, headBytes, threaded ? new ChunkThread(fd, staging, chunk) : null);
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
  if (bytes <= 0 || bytes % DIRECT_BLOCK !== 0) throw new Error(`staging size ${bytes} is not a positive multiple of ${DIRECT_BLOCK}`);
  const raw = new Uint8Array(shared ? new SharedArrayBuffer(bytes + DIRECT_BLOCK) : new ArrayBuffer(bytes + DIRECT_BLOCK));
  for (let offset = 0; offset < DIRECT_BLOCK; offset += PROBE_STEP) {
    try {
      if (io.write(fd, raw, offset, DIRECT_BLOCK, 0) === DIRECT_BLOCK) return raw.subarray(offset, offset + bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }
  return null;
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
    if (sync) fsyncSync(this.fd);
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
    if (sync) fsyncSync(this.fd);
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

// The helper thread's whole program: wait for a posted chunk, write it, count it done.
const THREAD_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { fd, control, jobs, bytes, chunk, block, error } = workerData;
if (Atomics.compareExchange(control, ${'3'}, 0, 1) === 0) {
  for (let next = 0; ; next++) {
    while (Atomics.load(control, 0) <= next) Atomics.wait(control, 0, next);
    if (Atomics.load(control, 4) === 1) break;
    const slot = next % 2;
    const length = jobs[slot * 2];
    const position = jobs[slot * 2 + 1];
    try {
      for (let done = 0; done < length; ) {
        const n = writeSync(fd, bytes, slot * chunk + done, length - done, position + done);
        if (n <= 0 || n % block !== 0) throw new Error('short direct write (' + n + ' of ' + (length - done) + ' bytes)');
        done += n;
      }
    } catch (err) {
      if (Atomics.load(control, 2) === 0) {
        const text = Buffer.from(String(err && err.message)).subarray(0, error.length);
        error.set(text);
        Atomics.store(control, 5, text.length);
      }
      Atomics.store(control, 2, 1);
    }
    Atomics.store(control, 1, next + 1);
    Atomics.notify(control, 1);
  }
}
`;

/** Control words shared with the thread. */
const POSTED = 0;
const DONE = 1;
const FAILED = 2;
/** 0 starting, 1 running, 2 given up on (it never started in time: the writer writes itself). */
const STATE = 3;
const STOP = 4;
/** How long a start or one chunk may take before the writer gives up on the thread. */
const THREAD_START_MS = 5_000;
const CHUNK_MS = 60_000;

/**
 * A worker thread that writes posted chunks of a shared two-slot staging
 * buffer with the same O_DIRECT descriptor, so the device writes one chunk
 * while the caller copies and checksums the next. Synchronous for the
 * caller (Atomics.wait): a save runs while the server stops.
 */
class ChunkThread {
  private readonly control = new Int32Array(new SharedArrayBuffer(8 * 4));
  private readonly jobs = new Float64Array(new SharedArrayBuffer(4 * 8));
  /** The thread's first write error message (UTF-8; its length in control word 5). */
  private readonly error = new Uint8Array(new SharedArrayBuffer(256));
  private posted = 0;
  private usable = true;

  constructor(fd: number, staging: Uint8Array, chunk: number) {
    try {
      const worker = new Worker(THREAD_SOURCE, {
        eval: true,
        workerData: { fd, control: this.control, jobs: this.jobs, bytes: staging, chunk, block: DIRECT_BLOCK, error: this.error },
      });
      worker.unref();
      worker.on('error', () => {});
    } catch {
      this.usable = false;
    }
  }

  /** Hand slot `slot` (length bytes for `position`) to the thread; false when the thread is not there (write it yourself). */
  post(slot: number, length: number, position: number): boolean {
    if (!this.usable) return false;
    if (this.posted === 0 && !this.started()) return false;
    this.jobs[slot * 2] = length;
    this.jobs[slot * 2 + 1] = position;
    this.posted++;
    Atomics.store(this.control, POSTED, this.posted);
    Atomics.notify(this.control, POSTED);
    return true;
  }

  /** Wait until at most one posted chunk is still being written (the slot about to be filled is free). */
  waitSlotFree(): void {
    this.waitDone(this.posted - 1);
  }

  /** Wait until every posted chunk is written; throws the thread's write error. */
  drain(): void {
    if (this.posted > 0) this.waitDone(this.posted);
  }

  stop(): void {
    if (!this.usable) return;
    this.usable = false;
    Atomics.store(this.control, STOP, 1);
    Atomics.store(this.control, POSTED, this.posted + 1);
    Atomics.notify(this.control, POSTED);
  }

  private started(): boolean {
    const t0 = Date.now();
    while (Atomics.load(this.control, STATE) === 0 && Date.now() - t0 < THREAD_START_MS) Atomics.wait(this.control, STATE, 0, 5);
    // Either it runs, or it is told never to (it then exits without touching the file).
    if (Atomics.compareExchange(this.control, STATE, 0, 2) === 0 || Atomics.load(this.control, STATE) !== 1) {
      this.usable = false;
      return false;
    }
    return true;
  }

  private waitDone(count: number): void {
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done >= count) break;
      if (Atomics.wait(this.control, DONE, done, CHUNK_MS) === 'timed-out' && Atomics.load(this.control, DONE) === done) {
        this.stop();
        throw new Error('the direct write thread stalled');
      }
    }
    if (Atomics.load(this.control, FAILED) !== 0) {
      this.stop();
      throw new Error(Buffer.from(this.error.subarray(0, Atomics.load(this.control, 5))).toString() || 'direct write failed on the write thread');
    }
  }
}

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
