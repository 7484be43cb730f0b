// Warm restart: save a store to an image file and restore one into a fresh
// store (memcached's -e, done without a memory-mapped heap). Works only
// through StoreImagePort (image-port.ts); the file layout is image-format.ts.
//
// Save writes the segments in use, in TTL chain order, with their headers,
// the generation counter, the pending flush_all and the per-item CAS counter,
// to FILE.tmp, fsyncs it and renames it over FILE (then fsyncs the
// directory): a crash mid-save leaves the old FILE or none, never a partial
// one under FILE's name. Segment bytes go out in one write per segment;
// nothing is done per item.
//
// Restore reads segments back in place (same ids, same generations, same
// offsets, so every CAS token is the one clients saw), checks each one's
// CRC, then walks its records once: checks that they tile the written bytes
// and agree with the header's live counts, marks the items that expired
// while the server was down as dead, and enters the others into the hash
// index (the index is not saved: it is rebuilt with this process's hash
// seed, one hash and one insert per item). A segment left with nothing live
// stays free. Any failure leaves the store empty, as a cold start.
//
// Not here: deciding what to do with the file afterwards (lib/server/warm-restart.ts
// removes a consumed image so a later crash cannot bring back stale items).

import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoreImagePort } from './image-port.js';
import {
  HEADER_BYTES,
  TRAILER_BYTES,
  ImageRejected,
  checkTrailer,
  decodeHeader,
  decodeTable,
  encodeHeader,
  encodeTable,
  encodeTrailer,
  imageBytes,
  settingsMismatch,
  tableBytes,
  type SegmentEntry as Entry,
} from './image-format.js';
import { crc32 } from './checksum.js';
import { BIT_DEAD, MAX_KEY_BYTES, recordBytes, recordDeadline } from '../item-layout.js';
import { NEVER } from '../expiry-time.js';

export interface SaveResult {
  ok: boolean;
  /** Why nothing was saved (ok false). */
  reason: string;
  items: number;
  segments: number;
  /** Bytes of the image file. */
  fileBytes: number;
  ms: number;
}

export interface RestoreResult {
  /** Items were restored from the image (false: the store is empty, as a cold start). */
  warm: boolean;
  /** Why the start is cold (warm false), or a note on a warm one ('' if none). */
  reason: string;
  /** Items now in the store. */
  items: number;
  /** Items in the image that expired while the server was down. */
  expired: number;
  segments: number;
  fileBytes: number;
  ms: number;
  /** Of ms: reading and checking the segment data (the rest is the record walk and index rebuild). */
  readMs: number;
  /** Seconds the server was down (save to restore); NaN when unknown. */
  downSeconds: number;
}

/** Save the store behind `port` to `file` (atomically: temp file, fsync, rename). Never throws. */
export function saveImage(port: StoreImagePort, file: string): SaveResult {
  const started = performance.now();
  const heap = port.heap;
  const entries: Entry[] = [];
  let liveItems = 0;
  let items = 0;
  let bytes = 0;
  let dataBytes = 0;
  const done = (ok: boolean, reason: string, fileBytes = 0): SaveResult => ({
    ok,
    reason,
    items,
    segments: entries.length,
    fileBytes,
    ms: performance.now() - started,
  });
  // Chains in order; a cycle (never expected) is cut off by the count.
  const heads = port.chainHeads;
  for (let bucket = 0; bucket < heads.length; bucket++) {
    let steps = 0;
    for (let seg = heads[bucket]!; seg >= 0 && steps <= heap.segmentCount; seg = heap.next[seg]!, steps++) {
      liveItems += heap.liveItems[seg]!;
      if (heap.liveItems[seg]! <= 0) continue;
      const writeOffset = heap.writeOffset[seg]!;
      entries.push({
        seg,
        bucket,
        writeOffset,
        liveBytes: heap.liveBytes[seg]!,
        liveItems: heap.liveItems[seg]!,
        // Bits 8-13: log2 of the access-stamp unit (records' stamps count in it).
        read: heap.read[seg]! | (Math.log2(heap.accessUnit[seg]!) << 8),
        createTime: heap.createTime[seg]!,
        latestDeadline: heap.latestDeadline[seg]!,
        generation: heap.generation[seg]!,
        dataCrc: crc32(heap.bytes[seg]!.subarray(0, writeOffset)),
      });
      items += heap.liveItems[seg]!;
      bytes += heap.liveBytes[seg]!;
      dataBytes += writeOffset;
    }
  }
  // A restore indexes every record not marked dead, so the two counts must agree.
  if (liveItems !== port.indexedItems()) {
    return done(false, `store inconsistent (${liveItems} live records, ${port.indexedItems()} indexed): not saved`);
  }
  const header = encodeHeader({
    settings: port.settings,
    scalars: port.scalars(),
    savedAtMs: Date.now(),
    segments: entries.length,
    dataBytes,
    items,
    bytes,
  });
  const temp = `${file}.tmp`;
  let fd = -1;
  try {
    fd = openSync(temp, 'w', 0o600);
    writeAll(fd, header.buffer);
    writeAll(fd, encodeTable(entries));
    for (const e of entries) writeAll(fd, heap.bytes[e.seg]!.subarray(0, e.writeOffset));
    writeAll(fd, encodeTrailer(entries.length, header.crc));
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(temp, file);
    syncDirectory(file);
  } catch (err) {
    if (fd >= 0) closeQuietly(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Nothing to remove.
    }
    return done(false, `cannot write ${file}: ${(err as Error).message}`);
  }
  return done(true, '', imageBytes({ segments: entries.length, dataBytes }));
}

/**
 * Restore `file` into the fresh store behind `port`. On any problem the
 * store is left empty and `warm` is false with the reason. Never throws.
 */
export function restoreImage(port: StoreImagePort, file: string): RestoreResult {
  const started = performance.now();
  const result: RestoreResult = { warm: false, reason: '', items: 0, expired: 0, segments: 0, fileBytes: 0, ms: 0, readMs: 0, downSeconds: NaN };
  const finish = (): RestoreResult => {
    result.ms = performance.now() - started;
    return result;
  };
  if (!port.isPristine()) {
    result.reason = 'the store is not empty';
    return finish();
  }
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    result.reason = code === 'ENOENT' ? `no image file ${file}` : `cannot open ${file}: ${(err as Error).message}`;
    return finish();
  }
  let began = false;
  try {
    const size = fstatSync(fd).size;
    result.fileBytes = size;
    if (size === 0) throw new ImageRejected('image file is empty');
    const header = decodeHeader(readAt(fd, 0, Math.min(HEADER_BYTES, size)));
    const mismatch = settingsMismatch(header.settings, port.settings);
    if (mismatch.length > 0) throw new ImageRejected(`settings differ: ${mismatch.join(', ')}`);
    const expected = imageBytes(header);
    if (size !== expected) throw new ImageRejected(`image is ${size} bytes, its header says ${expected} (truncated or damaged)`);
    const tableLength = tableBytes(header.segments);
    const entries = decodeTable(readAt(fd, HEADER_BYTES, tableLength), header, port.chainHeads.length);
    const nowS = port.nowS();
    result.downSeconds = Math.max(0, Date.now() - header.savedAtMs) / 1000;
    // Data first, all of it checked before anything is linked.
    const heap = port.heap;
    let position = HEADER_BYTES + tableLength;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const target = heap.bytes[e.seg]!.subarray(0, e.writeOffset);
      readInto(fd, target, position);
      position += e.writeOffset;
      if (crc32(target) !== e.dataCrc) throw new ImageRejected(`segment data checksum mismatch (segment ${i + 1} of ${entries.length})`);
    }
    checkTrailer(readAt(fd, position, TRAILER_BYTES), header);
    result.readMs = performance.now() - started;
    const pending = header.scalars.pendingFlushAt;
    if (pending >= 0 && nowS >= pending) {
      // A delayed flush_all came due while the server was down: nothing
      // stored after it, so everything saved is gone.
      port.adopt({ ...header.scalars, pendingFlushAt: -1 });
      result.warm = true;
      result.reason = 'a delayed flush_all took effect while the server was down';
      result.expired = header.items;
      return finish();
    }
    began = true;
    for (let i = 0; i < entries.length; i++) restoreSegment(port, entries[i]!, i, nowS, result);
    port.adopt(header.scalars);
    result.warm = true;
  } catch (err) {
    if (began) port.reset();
    result.warm = false;
    result.items = 0;
    result.expired = 0;
    result.segments = 0;
    result.reason = err instanceof ImageRejected ? err.message : `cannot read ${file}: ${(err as Error).message}`;
  } finally {
    closeQuietly(fd);
  }
  return finish();
}

/**
 * Walk one restored segment's records: they must tile [0, writeOffset) and
 * agree with the saved live counts. Expired ones are marked dead, the rest
 * indexed; the segment joins its chain when anything in it is still live.
 */
function restoreSegment(port: StoreImagePort, e: Entry, i: number, nowS: number, result: RestoreResult): void {
  const heap = port.heap;
  const { segmentSize, itemSizeMax } = port.settings;
  const words = heap.words[e.seg]!;
  const base = e.seg * segmentSize;
  const end = e.writeOffset;
  let live = 0;
  let liveBytes = 0;
  let kept = 0;
  let keptBytes = 0;
  for (let off = 0; off < end; ) {
    const w = off >>> 2;
    const a = words[w]!;
    const keyLength = a & 0xff;
    const bits = (a >>> 8) & 0xff;
    const valueLength = words[w + 1]!;
    if (off + 8 > end || keyLength === 0 || keyLength > MAX_KEY_BYTES || valueLength > itemSizeMax) {
      throw new ImageRejected(`bad record in segment ${i + 1} at offset ${off}`);
    }
    const size = recordBytes(keyLength, valueLength, bits);
    if (off + size > end) throw new ImageRejected(`record overruns segment ${i + 1} at offset ${off}`);
    if (!(bits & BIT_DEAD)) {
      live++;
      liveBytes += size;
      const deadline = recordDeadline(words, w, a);
      if (deadline !== NEVER && nowS >= deadline) {
        words[w] = (a | (BIT_DEAD << 8)) >>> 0;
        result.expired++;
      } else {
        port.indexRecord(base + off);
        kept++;
        keptBytes += size;
      }
    }
    off += size;
  }
  if (live !== e.liveItems || liveBytes !== e.liveBytes) {
    throw new ImageRejected(`segment ${i + 1}'s records disagree with its header`);
  }
  if (kept === 0) return;
  heap.writeOffset[e.seg] = e.writeOffset;
  heap.liveItems[e.seg] = kept;
  heap.liveBytes[e.seg] = keptBytes;
  heap.createTime[e.seg] = e.createTime;
  heap.latestDeadline[e.seg] = e.latestDeadline;
  heap.generation[e.seg] = e.generation;
  heap.read[e.seg] = e.read & 0xff;
  // The stamps in the records count units since floor(createTime / unit), as when saved.
  const unit = 2 ** (e.read >>> 8);
  heap.accessUnit[e.seg] = unit;
  heap.accessBase[e.seg] = Math.floor(e.createTime / unit);
  port.appendSegment(e.bucket, e.seg);
  result.items += kept;
  result.segments++;
}

function writeAll(fd: number, data: Uint8Array): void {
  let at = 0;
  while (at < data.length) at += writeSync(fd, data, at, data.length - at);
}

/** Read exactly `length` bytes at `position` (fewer only at end of file). */
function readAt(fd: number, position: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = readFully(fd, b, position);
  return n === length ? b : b.subarray(0, n);
}

function readInto(fd: number, target: Uint8Array, position: number): void {
  if (readFully(fd, target, position) !== target.length) throw new ImageRejected('image truncated');
}

function readFully(fd: number, target: Uint8Array, position: number): number {
  let at = 0;
  while (at < target.length) {
    const n = readSync(fd, target, at, target.length - at, position + at);
    if (n === 0) break;
    at += n;
  }
  return at;
}

/** Make the rename durable: fsync the directory entry (best effort; some filesystems refuse). */
function syncDirectory(file: string): void {
  let fd = -1;
  try {
    fd = openSync(dirname(file), 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here: the rename is still atomic, only its durability is the OS's.
  } finally {
    if (fd >= 0) closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed or never valid.
  }
}
