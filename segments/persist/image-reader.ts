// Reads a warm-restart image's bulk sections (segment data, index arrays)
// into many views, front to back: with O_DIRECT through one aligned staging
// buffer where the filesystem takes it, else with the image's ordinary
// descriptor in large readv calls (sequential-io.ts). Why direct: an image
// saved with O_DIRECT (image-writer.ts) is not in the page cache, and a
// buffered read would first fill fresh page-cache pages (on this VM each
// first touch is a host fault) only to copy them into the heap. The staging
// offset is found as image-writer.ts finds it, by probing (here with a
// one-block read at offset 0). Small reads (header, table, trailer, index
// head) stay on the ordinary descriptor. Not here: what the bytes mean or
// how they are checked.

import { closeSync, constants, openSync, readSync } from 'node:fs';
import { DIRECT_BLOCK, STAGING_BYTES } from './image-writer.js';
import { ShortRead, readAllAt } from './sequential-io.js';

const PROBE_STEP = 8;
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
  close(): void;
}

/**
 * A bulk reader for `file`: O_DIRECT through an aligned staging buffer when
 * `direct` and the filesystem allows it, else `fd`'s own buffered readv
 * (sequential-io.ts). Never throws for a refused O_DIRECT.
 */
export function openBulkReader(file: string, fd: number, options: { direct?: boolean; stagingBytes?: number } = {}): BulkReader {
  const buffered: BulkReader = { direct: false, readAllAt: (targets, position, onRead) => readAllAt(fd, targets, position, onRead), close: () => {} };
  const flag = (constants as { O_DIRECT?: number }).O_DIRECT;
  if (options.direct !== true || flag === undefined) return buffered;
  let direct: number;
  try {
    direct = openSync(file, constants.O_RDONLY | flag);
  } catch {
    return buffered;
  }
  const bytes = options.stagingBytes ?? STAGING_BYTES;
  const raw = new Uint8Array(new ArrayBuffer(bytes + DIRECT_BLOCK));
  for (let offset = 0; offset < DIRECT_BLOCK; offset += PROBE_STEP) {
    try {
      readSync(direct, raw, offset, DIRECT_BLOCK, 0);
      return new DirectReader(direct, raw.subarray(offset, offset + bytes));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') break;
    }
  }
  closeQuietly(direct);
  return buffered;
}

class DirectReader implements BulkReader {
  readonly direct = true;
  /** File position of staging[0] and how many bytes it holds from there. */
  private base = -1;
  private held = 0;

  constructor(
    private readonly fd: number,
    private readonly staging: Uint8Array,
  ) {}

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
    closeQuietly(this.fd);
  }

  /** Fill the staging buffer from the block holding `at`. */
  private load(at: number): void {
    this.base = Math.floor(at / DIRECT_BLOCK) * DIRECT_BLOCK;
    this.held = 0;
    while (this.held < this.staging.length) {
      const n = readSync(this.fd, this.staging, this.held, this.staging.length - this.held, this.base + this.held);
      if (n === 0) break;
      this.held += n;
      // A short read is the end of the file (O_DIRECT reads whole blocks otherwise).
      if (n % DIRECT_BLOCK !== 0) break;
    }
    if (at >= this.base + this.held) throw new ShortRead('image truncated');
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
