// Large sequential file I/O for warm-restart images: many memory views
// (segments' written bytes, index arrays) written or read with one
// positional writev / readv system call per batch of up to BATCH_BYTES, so
// a GiB moves in about a hundred calls and nothing is copied in user space.
// Synchronous (a save runs while the server stops, a restore before it
// listens). Not here: what the views are or how they are checked.

import { readvSync, writevSync } from 'node:fs';

/** Bytes per system call: large enough that call overhead vanishes, small enough to stay near the cache. */
export const BATCH_BYTES = 16 * 1024 * 1024;
/** Views per call, below Linux's IOV_MAX (1024). */
const BATCH_VIEWS = 512;

/** The file ended before every view was filled. */
export class ShortRead extends Error {}

/** Appends views at a file position, batching them into writev calls. */
export class SequentialWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly fd: number,
    /** Where the next flushed byte goes. */
    public position: number,
  ) {}

  /** Queue `view` (not copied: it must not change until the next flush). */
  add(view: Uint8Array): void {
    if (view.length === 0) return;
    this.pending.push(view);
    this.pendingBytes += view.length;
    if (this.pendingBytes >= BATCH_BYTES || this.pending.length >= BATCH_VIEWS) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    writeAllAt(this.fd, this.pending, this.position);
    this.position += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** Write every byte of `views`, back to back, at `position` (repeating after a short write). */
export function writeAllAt(fd: number, views: readonly Uint8Array[], position: number): void {
  let list = views.filter((v) => v.length > 0);
  let at = position;
  while (list.length > 0) {
    const n = writevSync(fd, list, at);
    if (n <= 0) throw new Error('write made no progress');
    at += n;
    list = dropBytes(list, n);
  }
}

/**
 * Fill `targets`, back to back from `position`, in batches; after each
 * batch call `onRead(i)` for every target i it filled, in order (checks run
 * while the bytes are still in cache). Throws ShortRead at end of file.
 */
export function readAllAt(fd: number, targets: readonly Uint8Array[], position: number, onRead: (i: number) => void): void {
  let at = position;
  for (let first = 0; first < targets.length; ) {
    let end = first;
    let bytes = 0;
    while (end < targets.length && end - first < BATCH_VIEWS && (bytes < BATCH_BYTES || end === first)) bytes += targets[end++]!.length;
    let list = targets.slice(first, end).filter((v) => v.length > 0);
    let left = bytes;
    while (left > 0) {
      const n = readvSync(fd, list, at);
      if (n <= 0) throw new ShortRead('image truncated');
      at += n;
      left -= n;
      list = dropBytes(list, n);
    }
    for (let i = first; i < end; i++) onRead(i);
    first = end;
  }
}

/** `views` without their first `n` bytes. */
function dropBytes(views: Uint8Array[], n: number): Uint8Array[] {
  let i = 0;
  let left = n;
  while (i < views.length && left >= views[i]!.length) left -= views[i++]!.length;
  const rest = views.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(left);
  return rest;
}
