// Warm restart: save a store to an image file and restore one into a fresh
// store (memcached's -e, done without a memory-mapped heap). Works only
// through StoreImagePort (image-port.ts); the file layout is image-format.ts
// and index-section.ts.
//
// Save first removes FILE and FILE.tmp if they are there (and fsyncs the
// directory when it removed one): an image still on disk at a save is older
// than the store being saved, so it must not survive a save that fails; and
// the new image's writes never overlap the freeing of an old one's blocks
// (on this VM's disk, which discards freed blocks, a save renamed over a
// 1 GiB image ran 2-3x slower: benchmarks/RESULTS.md, issue 12). A server
// meets neither file at its save (its start consumed or set aside the
// image, and removed a stale FILE.tmp). It then writes the segments in use, in
// TTL chain order, with their headers,
// then the hash index's arrays (left out of a large store holding so few
// items that rebuilding the index at restore is cheaper than writing it), the
// generation counter, the pending flush_all and the per-item CAS counter, to
// FILE.tmp, fdatasyncs it (option `sync`) and renames it to FILE (then
// fsyncs the directory): a crash mid-save leaves no FILE (a cold start; the
// server removes the partial FILE.tmp at its next start), never a partial or
// an old one under FILE's name. Without `sync` a power cut or kernel crash
// soon after the save can leave FILE with blocks that never reached the disk;
// its checksums then refuse it (a cold start, never a wrong value). One forward pass:
// each segment's CRC is taken just before it is handed to the writer
// (image-writer.ts: O_DIRECT through a small aligned buffer where the
// filesystem allows, else large positional writev calls through the page
// cache); the header and table (which holds the CRCs) are written last at
// the front. Nothing is done per item.
//
// Restore reads the segments back in place (same ids, same generations, same
// offsets, so every CAS token is the one clients saw) in large reads
// (image-reader.ts: O_DIRECT through a staging buffer, the next chunk read
// by a helper thread while the last is checked; else readv; another thread
// touches the heap pages ahead so their first-touch faults run on the other
// core, prefault.ts),
// checking each one's CRC and walking its records read-only (record-walk.ts:
// tiling, live counts, a fingerprint of live record locations) right after
// its batch arrives, while the bytes are in cache; then reads the index
// arrays into the fresh index's own memory (segments/index-image.ts) and
// checks that the restored index holds exactly the live records' locations:
// counts per segment exactly, the locations themselves by a keyed
// per-segment fingerprint (segments/location-fingerprint.ts says what it
// guarantees: a wrong index whose CRCs match passes with about 2^-64; it
// replaced an exact bitmap whose random accesses were the largest cost of
// restoring small items). Items that expired while the server was
// down are then marked dead and taken out of the index. When the index
// section is missing, damaged, saved with another hash seed, or disagrees
// with the records, the index is rebuilt from the records instead (one hash
// and one insert per item, the slow path) and the restore says why. Any
// failure in the header, table, data or trailer leaves the store empty, as
// a cold start.
//
// Not here: deciding what to do with the file afterwards (lib/server/warm-restart.ts
// moves a consumed image out of reach so a later crash cannot bring back stale items).

import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
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
  type ImageHeader,
  type SegmentEntry as Entry,
} from './image-format.js';
import { INDEX_HEAD_BYTES, decodeIndexHead, encodeIndexHead, indexSectionBytes, paddedLength } from './index-section.js';
import { ShortRead } from './sequential-io.js';
import { openImageWriter, type ImageWriter, type WriterIo } from './image-writer.js';
import { openBulkReader, type BulkReader, type BulkReaderOptions } from './image-reader.js';
import { startPrefault, type Prefault } from './prefault.js';
import { checkSegment, expireSegment, rebuildSegment, type SegmentCounts } from './record-walk.js';
import { LocationFingerprint } from '../location-fingerprint.js';
import { crc32 } from './checksum.js';
import {
  INDEX_IMAGE_LAYOUT,
  adoptIndexImage,
  checkIndexControl,
  discardIndexImage,
  indexImageParts,
  indexImageTargets,
  indexPartLengths,
  isFreshIndex,
  subtractIndexedLocations,
} from '../index-image.js';

export interface SaveOptions {
  /**
   * Write the hash index's arrays: true, false (the restore rebuilds the
   * index), or 'auto' (the default): left out when the section is over
   * INDEX_OMIT_ABOVE bytes and over INDEX_BYTES_PER_ITEM per live item (a
   * large store of few large items has a mostly empty index that costs
   * more to write than to rebuild).
   */
  index?: boolean | 'auto';
  /** fdatasync the file and fsync its directory (default true). */
  sync?: boolean;
  /** Write with O_DIRECT where the filesystem takes it (default true); false: through the page cache. */
  direct?: boolean;
  /** Tests: the staging buffer size and the open/write calls of the direct path (image-writer.ts). */
  stagingBytes?: number;
  io?: WriterIo;
  /** Tests: image size from which a helper thread writes the direct chunks (image-writer.ts). */
  threadAbove?: number;
}

export interface SaveResult {
  ok: boolean;
  /** Why nothing was saved (ok false). */
  reason: string;
  items: number;
  segments: number;
  /** Bytes of the image file. */
  fileBytes: number;
  /** Of fileBytes: the index section. */
  indexBytes: number;
  ms: number;
  /** Of ms: CRCs of the data and index parts. */
  checksumMs: number;
  /** Of ms: the writer's last chunk and the head, fsync of the file, rename, fsync of the directory. */
  syncMs: number;
  /** The image went to the device with O_DIRECT, bypassing the page cache. */
  direct: boolean;
  /** Why a save that asked for O_DIRECT went through the page cache ('' otherwise). */
  directNote: string;
  /** A helper thread wrote the direct chunks while the next was filled. */
  writeThread: boolean;
  /** Bytes of an old FILE removed before writing (-1: there was none, the usual case for a server). */
  oldImageBytes: number;
  /** A FILE.tmp (a save that did not finish) was removed before writing. */
  oldTemp: boolean;
  /** Of ms: removing them (and the directory fsync that makes it durable). */
  removeMs: number;
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
  /** The saved hash index was used (false: rebuilt from the records, see indexNote). */
  indexRestored: boolean;
  /** Why the index was rebuilt ('' when restored). */
  indexNote: string;
  ms: number;
  /** Of ms: reading and checking the segment data. */
  readMs: number;
  /** Of readMs and indexMs: the CRCs. */
  checksumMs: number;
  /** Of ms: reading, checking and adopting the index section. */
  indexMs: number;
  /** Of ms: the record walk, the index check against it, expiry (or the rebuild). */
  walkMs: number;
  /** Seconds the server was down (save to restore); NaN when unknown. */
  downSeconds: number;
  /** The bulk sections were read with O_DIRECT (image-reader.ts), not through the page cache. */
  direct: boolean;
  /** Staging chunks the read-ahead thread read while the last one was checked (image-reader.ts). */
  aheadChunks: number;
}

const ZEROS = new Uint8Array(8);

/**
 * Above this many index-section bytes per live item, 'auto' leaves the index
 * out. Writing 4 KiB takes about 6 us at this VM's 1.5-2 s/GiB device rate,
 * and reading it back about 4 more; the rebuild that replaces it costs one
 * hash and one insert per item (8 us/item measured at load 12-23, less when
 * quiet; benchmarks/RESULTS.md). Small items (about 10 bytes of index each)
 * always keep it; 100 KiB items (about 14 KiB each) leave it out.
 */
export const INDEX_BYTES_PER_ITEM = 4096;
/** Index sections up to this size are always written (at most ~15 ms of device time). */
export const INDEX_OMIT_ABOVE = 8 * 1024 * 1024;

/** The temporary name a save writes before renaming it to `file`. */
export function imageTempPath(file: string): string {
  return `${file}.tmp`;
}

/** unlink `path`: its size (-1 when it was not there); other errors throw. */
function removeIfThere(path: string): number {
  try {
    const size = statSync(path).size;
    unlinkSync(path);
    return size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
}

/**
 * Save the store behind `port` to `file`: remove an old FILE and FILE.tmp,
 * write FILE.tmp, fdatasync when `sync`, rename. Never throws.
 */
export function saveImage(port: StoreImagePort, file: string, options: SaveOptions = {}): SaveResult {
  const started = performance.now();
  const heap = port.heap;
  const temp = imageTempPath(file);
  // First, whatever happens next: a save that fails or refuses must not leave an older image behind.
  let oldImageBytes = -1;
  let oldTemp = false;
  let removeError = '';
  try {
    oldImageBytes = removeIfThere(file);
    oldTemp = removeIfThere(temp) >= 0;
  } catch (err) {
    removeError = (err as Error).message;
  }
  // Durable even without `sync`: after a power cut the old image must not come back.
  if (oldImageBytes >= 0 || oldTemp) syncDirectory(file);
  const removeMs = performance.now() - started;
  // A flush cliff is not part of the image: the segments below it go first.
  const flushedLeft = port.reclaimFlushed();
  const entries: Entry[] = [];
  let liveItems = 0;
  let items = 0;
  let bytes = 0;
  let dataBytes = 0;
  let checksumMs = 0;
  let syncMs = 0;
  let indexBytes = 0;
  let writer: ImageWriter | null = null;
  const done = (ok: boolean, reason: string, fileBytes = 0): SaveResult => ({
    ok,
    reason,
    items,
    segments: entries.length,
    fileBytes,
    indexBytes: ok ? indexBytes : 0,
    ms: performance.now() - started,
    checksumMs,
    syncMs,
    direct: writer?.direct ?? false,
    directNote: writer?.note ?? '',
    writeThread: writer?.threaded ?? false,
    oldImageBytes,
    oldTemp,
    removeMs,
  });
  if (removeError !== '') return done(false, `cannot remove the old image: ${removeError}`);
  // A paused merge holds a segment a flush_all left (rare: a stop right
  // after the flush). Without the cliff in the image its items would come
  // back, so nothing is saved (the next start is cold).
  if (flushedLeft) return done(false, 'a flush_all is still being applied to a paused merge: not saved');
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
        dataCrc: 0,
      });
      items += heap.liveItems[seg]!;
      bytes += heap.liveBytes[seg]!;
      dataBytes += writeOffset;
    }
  }
  // A restore expects every record not marked dead in the index, so the two counts must agree.
  if (liveItems !== port.indexedItems()) {
    return done(false, `store inconsistent (${liveItems} live records, ${port.indexedItems()} indexed): not saved`);
  }
  let index = options.index !== false ? indexImageParts(port.indexMemory) : null;
  indexBytes = index !== null ? indexSectionBytes(index.parts.map((p) => p.length)) : 0;
  if ((options.index ?? 'auto') === 'auto' && indexBytes > INDEX_OMIT_ABOVE && indexBytes > INDEX_BYTES_PER_ITEM * items) {
    index = null;
    indexBytes = 0;
  }
  const header = encodeHeader({
    settings: port.settings,
    scalars: port.scalars(),
    savedAtMs: Date.now(),
    segments: entries.length,
    dataBytes,
    items,
    bytes,
    hashSeed: port.hashSeed,
    indexBytes,
  });
  try {
    const headBytes = HEADER_BYTES + tableBytes(entries.length);
    const w = openImageWriter(temp, headBytes, {
      direct: options.direct,
      stagingBytes: options.stagingBytes,
      io: options.io,
      expectedBytes: imageBytes({ segments: entries.length, dataBytes, indexBytes }),
      threadAbove: options.threadAbove,
    });
    writer = w;
    for (const e of entries) {
      const view = heap.bytes[e.seg]!.subarray(0, e.writeOffset);
      const c0 = performance.now();
      e.dataCrc = crc32(view);
      checksumMs += performance.now() - c0;
      w.add(view);
    }
    if (index !== null) {
      const parts = index.parts.map((view) => {
        const pad = ZEROS.subarray(0, paddedLength(view.length) - view.length);
        const c0 = performance.now();
        // The padding is covered too: every byte of the file is checked.
        const crc = crc32(pad, crc32(view));
        checksumMs += performance.now() - c0;
        w.add(view);
        w.add(pad);
        return { length: view.length, crc };
      });
      w.add(encodeIndexHead({ layout: INDEX_IMAGE_LAYOUT, hashSeed: port.hashSeed, control: index.control, parts }));
    }
    w.add(encodeTrailer(entries.length, header.crc));
    const t = performance.now();
    w.finish([header.buffer, encodeTable(entries)], options.sync !== false);
    renameSync(temp, file);
    if (options.sync !== false) syncDirectory(file);
    syncMs = performance.now() - t;
  } catch (err) {
    writer?.abandon();
    try {
      unlinkSync(temp);
    } catch {
      // Nothing to remove.
    }
    return done(false, `cannot write ${file}: ${(err as Error).message}`);
  }
  return done(true, '', imageBytes({ segments: entries.length, dataBytes, indexBytes }));
}

/** A restore that read nothing (yet), for `reason`: empty store, nothing timed. */
export function notRestored(reason: string): RestoreResult {
  return {
    warm: false,
    reason,
    items: 0,
    expired: 0,
    segments: 0,
    fileBytes: 0,
    indexRestored: false,
    indexNote: '',
    ms: 0,
    readMs: 0,
    checksumMs: 0,
    indexMs: 0,
    walkMs: 0,
    downSeconds: NaN,
    direct: false,
    aheadChunks: 0,
  };
}

/**
 * Restore `file` into the fresh store behind `port`. On any problem with
 * the header, table, data or trailer the store is left empty and `warm` is
 * false with the reason; a problem with the index section only costs a
 * rebuild of the index (indexRestored false, indexNote says why). Never throws.
 */
export function restoreImage(port: StoreImagePort, file: string, options: BulkReaderOptions & { prefaultAbove?: number } = {}): RestoreResult {
  const started = performance.now();
  const result = notRestored('');
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
  let bulk: BulkReader | null = null;
  let prefault: Prefault | null = null;
  const fresh = new Int32Array(port.indexMemory.control).slice();
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
    checkTrailer(readAt(fd, size - TRAILER_BYTES, TRAILER_BYTES), header);
    const nowS = port.nowS();
    result.downSeconds = Math.max(0, Date.now() - header.savedAtMs) / 1000;
    // Data first, all of it checked before anything is linked. Each
    // segment's records are walked (read-only) right after its CRC, while
    // its bytes are still in cache; the fingerprint of live locations is
    // kept only when the saved index can be used.
    const heap = port.heap;
    const dataAt = HEADER_BYTES + tableLength;
    const live = indexUsable(port, header) ? new LocationFingerprint(heap.segmentCount, port.settings.segmentSize) : null;
    const counts: SegmentCounts[] = [];
    const targets = entries.map((e) => heap.bytes[e.seg]!.subarray(0, e.writeOffset));
    bulk = openBulkReader(file, fd, { ...options, direct: options.direct !== false });
    result.direct = bulk.direct;
    prefault = startPrefault(targets, options.prefaultAbove);
    bulk.readAllAt(targets, dataAt, (i) => {
      prefault!.progress(i + 1);
      const c0 = performance.now();
      const crc = crc32(targets[i]!);
      const c1 = performance.now();
      result.checksumMs += c1 - c0;
      if (crc !== entries[i]!.dataCrc) throw new ImageRejected(`segment data checksum mismatch (segment ${i + 1} of ${entries.length})`);
      counts.push(checkSegment(port, entries[i]!, i, nowS, live));
      result.walkMs += performance.now() - c1;
    });
    prefault.stop();
    result.readMs = performance.now() - started - result.walkMs;
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
    let t = performance.now();
    const indexNote = restoreIndex(port, fd, bulk, header, dataAt + header.dataBytes, fresh, result, options.prefaultAbove);
    result.indexMs = performance.now() - t;
    t = performance.now();
    result.indexRestored = indexNote === '';
    result.indexNote = indexNote;
    finishRecords(port, entries, counts, live, nowS, result, fresh);
    for (let i = 0; i < entries.length; i++) linkSegment(port, entries[i]!, counts[i]!, result);
    port.countRestored(result.items, counts.reduce((n, c) => n + c.keptBytes, 0));
    result.walkMs += performance.now() - t;
    port.adopt(header.scalars);
    result.warm = true;
  } catch (err) {
    if (began) {
      if (result.indexRestored) discardIndexImage(port.indexMemory, fresh);
      port.reset();
    }
    result.warm = false;
    result.items = 0;
    result.expired = 0;
    result.segments = 0;
    result.indexRestored = false;
    result.reason =
      err instanceof ImageRejected || err instanceof ShortRead ? err.message : `cannot read ${file}: ${(err as Error).message}`;
  } finally {
    prefault?.stop();
    result.aheadChunks = bulk?.aheadChunks ?? 0;
    bulk?.close();
    closeQuietly(fd);
  }
  return finish();
}

/**
 * Read the index section at `at` into the fresh index behind `port`.
 * Returns '' when the saved index is now the store's, else why not (the
 * index is then still the empty one `fresh` describes). Throws only when
 * the file itself fails (ShortRead).
 */
function restoreIndex(
  port: StoreImagePort,
  fd: number,
  bulk: BulkReader,
  header: ImageHeader,
  at: number,
  fresh: Int32Array,
  result: RestoreResult,
  prefaultAbove: number | undefined,
): string {
  if (header.indexBytes === 0) return 'the image holds no index';
  if (header.hashSeed !== port.hashSeed) return 'the store runs with another hash seed than the image';
  const memory = port.indexMemory;
  if (!isFreshIndex(memory)) return 'the index is not fresh';
  const head = decodeIndexHead(readAt(fd, at + header.indexBytes - INDEX_HEAD_BYTES, INDEX_HEAD_BYTES), header.indexBytes);
  if (typeof head === 'string') return head;
  if (head.layout !== INDEX_IMAGE_LAYOUT) return `index layout ${head.layout}, this build uses ${INDEX_IMAGE_LAYOUT}`;
  if (head.hashSeed !== header.hashSeed) return 'index section hash seed disagrees with the header';
  const reason = checkIndexControl(memory, head.control);
  if (reason !== '') return reason;
  const lengths = indexPartLengths(head.control);
  if (lengths.length !== head.parts.length || lengths.some((l, i) => l !== head.parts[i]!.length)) return 'index part sizes disagree with its control words';
  const targets = indexImageTargets(memory, head.control);
  if (targets === null) return 'the saved index does not fit this index';
  // Each part, then its padding (read into scratch) so the reads stay one sequential run.
  const views: Uint8Array[] = [];
  for (const v of targets) views.push(v, new Uint8Array(paddedLength(v.length) - v.length));
  let bad = '';
  let partCrc = 0;
  // The index's memory is fresh too: its first-touch faults go to the helper thread (prefault.ts).
  const prefault = startPrefault(targets, prefaultAbove);
  try {
    bulk.readAllAt(views, at, (i) => {
      prefault.progress((i + 1) >>> 1);
      if (bad !== '') return;
      const c0 = performance.now();
      const part = i >>> 1;
      if (i % 2 === 0) partCrc = crc32(views[i]!);
      else if (crc32(views[i]!, partCrc) !== head.parts[part]!.crc) bad = `index section checksum mismatch (part ${part + 1})`;
      result.checksumMs += performance.now() - c0;
    });
  } catch (err) {
    prefault.stop();
    discardIndexImage(memory, fresh);
    throw err;
  }
  prefault.stop();
  if (bad === '') bad = adoptIndexImage(memory, head.control);
  if (bad !== '') discardIndexImage(memory, fresh);
  return bad;
}

/** The image's index section may be usable by this store (restoreIndex decides). */
function indexUsable(port: StoreImagePort, header: ImageHeader): boolean {
  return header.indexBytes > 0 && header.hashSeed === port.hashSeed;
}

/**
 * After every segment's records were checked (`counts`, with the live
 * records in `live`): verify the restored index against them and expire
 * what ran out while down, or (no index, or it disagrees) rebuild the index
 * from the records. Notes a fallback in `result`.
 */
function finishRecords(
  port: StoreImagePort,
  entries: readonly Entry[],
  counts: readonly SegmentCounts[],
  live: LocationFingerprint | null,
  nowS: number,
  result: RestoreResult,
  fresh: Int32Array,
): void {
  const savedLive = entries.reduce((n, e) => n + e.liveItems, 0);
  result.expired = counts.reduce((n, c) => n + c.expired, 0);
  if (result.indexRestored) {
    // live is set whenever the index could be restored (indexUsable).
    let ok = live !== null && subtractIndexedLocations(port.indexMemory, live) === savedLive && port.indexedItems() === savedLive && live.balanced();
    for (let i = 0; ok && i < entries.length; i++) if (counts[i]!.expired > 0) ok = expireSegment(port, entries[i]!, nowS);
    if (ok) return;
    discardIndexImage(port.indexMemory, fresh);
    result.indexRestored = false;
    result.indexNote = 'the saved index disagrees with the records';
  }
  for (const e of entries) rebuildSegment(port, e, nowS);
}

/** Give a checked segment its saved headers and put it on its chain, when anything in it is still live. */
function linkSegment(port: StoreImagePort, e: Entry, c: SegmentCounts, result: RestoreResult): void {
  if (c.kept === 0) return;
  const heap = port.heap;
  heap.writeOffset[e.seg] = e.writeOffset;
  heap.liveItems[e.seg] = c.kept;
  heap.liveBytes[e.seg] = c.keptBytes;
  heap.createTime[e.seg] = e.createTime;
  heap.latestDeadline[e.seg] = e.latestDeadline;
  heap.generation[e.seg] = e.generation;
  heap.read[e.seg] = e.read & 0xff;
  // The stamps in the records count units since floor(createTime / unit), as when saved.
  const unit = 2 ** (e.read >>> 8);
  heap.accessUnit[e.seg] = unit;
  heap.accessBase[e.seg] = Math.floor(e.createTime / unit);
  port.appendSegment(e.bucket, e.seg);
  result.items += c.kept;
  result.segments++;
}

/**
 * The hash seed of the index saved in `file`, when it holds a sound header
 * and an index section: the server creates its store with it, so the saved
 * index can be used as it is. Undefined otherwise (the restore then decides).
 */
export function imageHashSeed(file: string): number | undefined {
  let fd = -1;
  try {
    fd = openSync(file, 'r');
    const header = decodeHeader(readAt(fd, 0, HEADER_BYTES));
    return header.indexBytes > 0 ? header.hashSeed : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) closeQuietly(fd);
  }
}

/** Read exactly `length` bytes at `position` (fewer only at end of file). */
function readAt(fd: number, position: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = readFully(fd, b, position);
  return n === length ? b : b.subarray(0, n);
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

/** Make a rename or unlink of `file` durable: fsync its directory (best effort; some filesystems refuse). */
export function syncDirectory(file: string): void {
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
