// Reads a warm-restart image's bulk sections (segment data, index arrays)
// into many views, front to back: with O_DIRECT through one aligned staging
// buffer where the filesystem takes it, else with the image's ordinary
// descriptor in large readv calls (sequential-io.ts). Why direct: an image
// saved with O_DIRECT (image-writer.ts) is not in the page cache, and a
// buffered read would first fill fresh page-cache pages (on this VM each
// first touch is a host fault) only to copy them into the heap. The staging
// offset is found as image-writer.ts finds it, by probing (here with a
// one-block read at offset 0). Small reads (header, table, trailer, index
// head) stay on the ordinary descriptor.
//
// Read-ahead: the direct reader's staging buffer has two slots, and a
// helper thread (when it starts; else the caller reads itself) reads the
// next chunk into one slot while the caller copies out of the other and
// checks what it copied, so the device's time overlaps the CRC and the
// record walk instead of adding to them. The thread only ever writes the
// slot the caller is not using, and the caller waits for its chunk before
// touching that slot; close() waits for any read still running.
//
// Not here: what the bytes mean or how they are checked.

import { closeSync, constants, openSync, readSync } from 'node:fs';
import { DIRECT_BLOCK, probeAligned, stagingMemory } from './direct-buffer.js';
import { STAGING_BYTES } from './image-writer.js';
import { IoThread } from './io-thread.js';
import { ShortRead, readAllAt } from './sequential-io.js';

/** Reads an image's bulk sections (segment data, index arrays) into many views, front to back. */
export interface BulkReader {
  /** The bytes come from the device with O_DIRECT (not through the page cache). */
  readonly direct: boolean;
  /**
   * Fill `targets`, back to back from `position`; call `onRead(i)` as soon
   * as target i is filled (its bytes are still in cache). Throws ShortRead
   * at end of file.
   */
  readAllAt(targets: readonly Uint8Array[], position: number, onRead: (i: number) => void): void;
  /** Chunks the read-ahead thread read and the caller then used. */
  readonly aheadChunks: number;
  close(): void;
}

export interface BulkReaderOptions {
  /** Try O_DIRECT (default false here; store-image.ts asks for it). */
  direct?: boolean;
  /** Bytes per staging slot, a multiple of DIRECT_BLOCK (tests use small ones). */
  stagingBytes?: number;
  /** Read the next chunk on a helper thread (default true). */
  readAhead?: boolean;
  /** Tests: wait (up to 5 s) for the thread to run before the first read, so it is surely used. */
  awaitThread?: boolean;
}

/**
 * A bulk reader for `file`: O_DIRECT through an aligned staging buffer when
 * `direct` and the filesystem allows it, else `fd`'s own buffered readv
 * (sequential-io.ts). Never throws for a refused O_DIRECT.
 */
export function openBulkReader(file: string, fd: number, options: BulkReaderOptions = {}): BulkReader {
  const buffered: BulkReader = { direct: false, aheadChunks: 0, readAllAt: (targets, position, onRead) => readAllAt(fd, targets, position, onRead), close: () => {} };
  const flag = (constants as { O_DIRECT?: number }).O_DIRECT;
  if (options.direct !== true || flag === undefined) return buffered;
  let direct: number;
  try {
    direct = openSync(file, constants.O_RDONLY | flag);
  } catch {
    return buffered;
  }
  const bytes = options.stagingBytes ?? STAGING_BYTES;
  // Two slots back to back; bytes is a multiple of the block, so the second is aligned when the first is.
  // A plain buffer, not the page-aligned kind the writer uses: on this VM page-aligned O_DIRECT
  // reads restored slower (8 of 8 alternated pairs, benchmarks/RESULTS.md issue 12 session 7),
  // where page-aligned writes saved 2-3x faster.
  const { memory } = stagingMemory(2 * bytes, true, false);
  let staging: Uint8Array | null = null;
  try {
    staging = probeAligned(memory, 2 * bytes, (offset) => readSync(direct, memory, offset, DIRECT_BLOCK, 0));
  } catch {
    // Any other refusal: the buffered path below.
  }
  if (staging !== null) {
    const slots = [staging.subarray(0, bytes), staging.subarray(bytes)] as const;
    const thread = options.readAhead !== false ? new ReadThread(direct, slots) : null;
    if (options.awaitThread === true) thread?.awaitStart(5_000);
    return new DirectReader(direct, slots, thread);
  }
  closeQuietly(direct);
  return buffered;
}

class DirectReader implements BulkReader {
  readonly direct = true;
  /** File position of staging[0] and how many bytes it holds from there. */
  private base = -1;
  private held = 0;
  /** The slot the caller copies from; the thread may only fill the other. */
  private slot: 0 | 1 = 0;
  private staging: Uint8Array;
  /** File position the other slot is being filled from by the thread (-1: none posted). */
  private ahead = -1;
  aheadChunks = 0;

  constructor(
    private readonly fd: number,
    private readonly slots: readonly [Uint8Array, Uint8Array],
    private readonly thread: ReadThread | null,
  ) {
    this.staging = slots[0];
  }

  readAllAt(targets: readonly Uint8Array[], position: number, onRead: (i: number) => void): void {
    let at = position;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      for (let filled = 0; filled < target.length; ) {
        if (at < this.base || at >= this.base + this.held) this.load(at);
        const from = at - this.base;
        const n = Math.min(target.length - filled, this.held - from);
        target.set(this.staging.subarray(from, from + n), filled);
        filled += n;
        at += n;
      }
      onRead(i);
    }
  }

  close(): void {
    // No read may still be writing a slot (or using the descriptor) once this returns.
    if (this.ahead >= 0) this.thread?.finish(1 - this.slot);
    this.thread?.stop();
    closeQuietly(this.fd);
  }

  /** Make the staging slot hold the block holding `at` (from the thread's read-ahead when it guessed right), then post the next. */
  private load(at: number): void {
    const base = Math.floor(at / DIRECT_BLOCK) * DIRECT_BLOCK;
    const other = (1 - this.slot) as 0 | 1;
    let held = -1;
    if (this.ahead >= 0) {
      const aheadAt = this.ahead;
      this.ahead = -1;
      // The other slot is now either filled by the thread or left alone for good.
      const got = this.thread!.finish(other);
      if (aheadAt === base && got >= 0) {
        held = got;
        this.aheadChunks++;
      }
    }
    if (held < 0) held = readBlocks(this.fd, this.slots[other], base);
    this.slot = other;
    this.staging = this.slots[other];
    this.base = base;
    this.held = held;
    if (at >= this.base + this.held) throw new ShortRead('image truncated');
    // A full slot: the file goes on, so the next chunk is likely wanted next.
    if (this.thread !== null && held === this.staging.length && this.thread.post(1 - this.slot, base + held)) this.ahead = base + held;
  }
}

/** Fill `slot` from block-aligned `base` until it is full or the file ends; returns the bytes held. */
function readBlocks(fd: number, slot: Uint8Array, base: number): number {
  let held = 0;
  while (held < slot.length) {
    const n = readSync(fd, slot, held, slot.length - held, base + held);
    if (n === 0) break;
    held += n;
    // A short read is the end of the file (O_DIRECT reads whole blocks otherwise).
    if (n % DIRECT_BLOCK !== 0) break;
  }
  return held;
}

/** The read-ahead thread (io-thread.ts): fills one staging slot at a time with the same O_DIRECT descriptor. */
class ReadThread {
  private readonly thread: IoThread;
  private readonly slots: readonly [Uint8Array, Uint8Array];

  constructor(fd: number, slots: readonly [Uint8Array, Uint8Array]) {
    this.slots = slots;
    this.thread = new IoThread('read', fd, slots, DIRECT_BLOCK);
  }

  /** Ask for slot `slot` to be filled from `base`; false when the thread is not running (not yet started, or given up on): read it yourself. */
  post(slot: number, base: number): boolean {
    return this.thread.post(slot, this.slots[slot]!.length, base);
  }

  /** Tests: wait until the thread runs (or `ms` pass). */
  awaitStart(ms: number): void {
    const t0 = Date.now();
    while (!this.thread.ready() && Date.now() - t0 < ms) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }

  /** Wait for the posted read of `slot`: its byte count, or -1 when it failed (read it yourself: the thread is done with the slot). */
  finish(slot: number): number {
    this.thread.wait(this.thread.count, 'the read-ahead thread stalled');
    return this.thread.result(slot);
  }

  stop(): void {
    this.thread.stop();
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
