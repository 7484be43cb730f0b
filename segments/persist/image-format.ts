// The warm-restart image file layout (format version 2): what is where,
// encoding and decoding of the fixed-size parts, and the settings checks.
// No file I/O here (store-image.ts does that).
//
//   header   256 bytes   magic "GROWCACH", version, byte order, settings,
//                        scalars, hash seed, segment count, data and index
//                        section sizes; CRC-32 at 252
//   table    n * 56 + 8  one entry per saved segment, in TTL chain order
//                        (bucket by bucket, head to tail); CRC-32 after it
//   data     sum of the saved segments' written bytes, in table order
//   index    the hash index's arrays (index-section.ts), 0 bytes when the
//            save left them out; a restore then rebuilds the index
//   trailer  16 bytes    magic "GROWEND\n", segment count, header CRC
//
// Numbers in the header, table and trailer are little-endian. Segment data
// and index arrays are copied as memory holds them (host-endian words), so
// the header records the byte order and a different one is refused. Every
// byte of the file is covered by a CRC-32 (header, table, each segment's
// data, the index section's head and each of its parts) or compared
// exactly (magic, trailer), and the file's size must be exactly what the
// header and table add up to.

import os from 'node:os';
import type { ImageScalars, ImageSettings } from './image-port.js';
import { crc32 } from './checksum.js';

export const IMAGE_VERSION = 2;
export const HEADER_BYTES = 256;
export const ENTRY_BYTES = 56;
/** The table's CRC word plus padding to 8 bytes. */
export const TABLE_TAIL_BYTES = 8;
export const TRAILER_BYTES = 16;

const MAGIC = 'GROWCACH';
const TRAILER_MAGIC = 'GROWEND\n';
const HEADER_CRC_AT = HEADER_BYTES - 4;
const HOST_ORDER = os.endianness() === 'LE' ? 1 : 2;
const FLAG_CAS = 1;
const FLAG_PER_ITEM_CAS = 2;

export interface ImageHeader {
  settings: ImageSettings;
  scalars: ImageScalars;
  /** Wall-clock ms when the image was written. */
  savedAtMs: number;
  segments: number;
  dataBytes: number;
  items: number;
  bytes: number;
  /** Seed of the key hash the saved index was built with. */
  hashSeed: number;
  /** Bytes of the index section (0: none saved). */
  indexBytes: number;
  /** CRC-32 of the header (set by encodeHeader, checked by decodeHeader). */
  crc: number;
}

/** One saved segment's headers and the CRC-32 of its data. */
export interface SegmentEntry {
  seg: number;
  bucket: number;
  writeOffset: number;
  liveBytes: number;
  liveItems: number;
  read: number;
  createTime: number;
  latestDeadline: number;
  generation: number;
  dataCrc: number;
}

/** A reason an image is refused; the message is the one log line. */
export class ImageRejected extends Error {}

export function encodeHeader(h: Omit<ImageHeader, 'crc'>): { buffer: Buffer; crc: number } {
  const b = Buffer.alloc(HEADER_BYTES);
  b.write(MAGIC, 0, 'latin1');
  b.writeUInt32LE(IMAGE_VERSION, 8);
  b.writeUInt32LE(HEADER_BYTES, 12);
  b.writeUInt32LE(HOST_ORDER, 16);
  b.writeUInt32LE(h.settings.segmentSize, 20);
  b.writeUInt32LE(h.settings.segmentCount, 24);
  b.writeUInt32LE((h.settings.casEnabled ? FLAG_CAS : 0) | (h.settings.perItemCas ? FLAG_PER_ITEM_CAS : 0), 28);
  b.writeDoubleLE(h.settings.memoryLimitBytes, 32);
  b.writeDoubleLE(h.settings.itemSizeMax, 40);
  b.writeDoubleLE(h.scalars.nextGeneration, 48);
  b.writeDoubleLE(h.scalars.pendingFlushAt, 56);
  b.writeDoubleLE(h.scalars.casCounter, 64);
  b.writeDoubleLE(h.savedAtMs, 72);
  b.writeUInt32LE(h.segments, 80);
  b.writeDoubleLE(h.dataBytes, 88);
  b.writeDoubleLE(h.items, 96);
  b.writeDoubleLE(h.bytes, 104);
  b.writeUInt32LE(h.hashSeed >>> 0, 112);
  b.writeDoubleLE(h.indexBytes, 120);
  const crc = crc32(b.subarray(0, HEADER_CRC_AT));
  b.writeUInt32LE(crc, HEADER_CRC_AT);
  return { buffer: b, crc };
}

/** Parse and check a header; throws ImageRejected saying what is wrong. */
export function decodeHeader(b: Buffer): ImageHeader {
  if (b.length < HEADER_BYTES) throw new ImageRejected(`file too short for a header (${b.length} bytes)`);
  if (b.toString('latin1', 0, 8) !== MAGIC) throw new ImageRejected('not a grow-a-cache image (bad magic)');
  const version = b.readUInt32LE(8);
  const crc = b.readUInt32LE(HEADER_CRC_AT);
  if (crc32(b.subarray(0, HEADER_CRC_AT)) !== crc) {
    // A damaged version field would otherwise read as "another version".
    throw new ImageRejected('header checksum mismatch');
  }
  if (version !== IMAGE_VERSION) throw new ImageRejected(`image format version ${version}, this build reads version ${IMAGE_VERSION}`);
  if (b.readUInt32LE(12) !== HEADER_BYTES) throw new ImageRejected('unexpected header size');
  if (b.readUInt32LE(16) !== HOST_ORDER) throw new ImageRejected('image written on a machine of the other byte order');
  const flags = b.readUInt32LE(28);
  const indexBytes = b.readDoubleLE(120);
  if (!Number.isSafeInteger(indexBytes) || indexBytes < 0 || indexBytes % 8 !== 0) throw new ImageRejected('header index section size invalid');
  return {
    settings: {
      segmentSize: b.readUInt32LE(20),
      segmentCount: b.readUInt32LE(24),
      casEnabled: (flags & FLAG_CAS) !== 0,
      perItemCas: (flags & FLAG_PER_ITEM_CAS) !== 0,
      memoryLimitBytes: b.readDoubleLE(32),
      itemSizeMax: b.readDoubleLE(40),
    },
    scalars: {
      nextGeneration: b.readDoubleLE(48),
      pendingFlushAt: b.readDoubleLE(56),
      casCounter: b.readDoubleLE(64),
    },
    savedAtMs: b.readDoubleLE(72),
    segments: b.readUInt32LE(80),
    dataBytes: b.readDoubleLE(88),
    items: b.readDoubleLE(96),
    bytes: b.readDoubleLE(104),
    hashSeed: b.readUInt32LE(112),
    indexBytes,
    crc,
  };
}

const MIB = 1024 * 1024;

function describeBytes(n: number): string {
  return n % MIB === 0 ? `${n / MIB} MiB` : `${n} bytes`;
}

/**
 * The settings that must match for an image to be restored, as
 * "what (image) vs (now)" phrases; empty when all match. Segment size and
 * count fix every item address; -m and -I are compared as given; CAS on/off
 * and per-item CAS fix what a token is. Not compared: the hash seed (the
 * server starts with the image's seed, and a restore into a store with
 * another one rebuilds the index from the records), -o hashpower (a saved
 * index keeps its own size), the eviction policy, merge_segments, ports,
 * threads.
 */
export function settingsMismatch(image: ImageSettings, now: ImageSettings): string[] {
  const out: string[] = [];
  if (image.memoryLimitBytes !== now.memoryLimitBytes) {
    out.push(`-m ${describeBytes(image.memoryLimitBytes)} (image) vs ${describeBytes(now.memoryLimitBytes)} (now)`);
  }
  if (image.itemSizeMax !== now.itemSizeMax) out.push(`-I ${image.itemSizeMax} (image) vs ${now.itemSizeMax} (now)`);
  if (image.segmentSize !== now.segmentSize) out.push(`segment size ${image.segmentSize} (image) vs ${now.segmentSize} (now)`);
  if (image.segmentCount !== now.segmentCount) out.push(`segment count ${image.segmentCount} (image) vs ${now.segmentCount} (now)`);
  if (image.casEnabled !== now.casEnabled) out.push(`CAS ${image.casEnabled ? 'on' : 'off (-C)'} (image) vs ${now.casEnabled ? 'on' : 'off (-C)'} (now)`);
  if (image.perItemCas !== now.perItemCas) out.push(`per-item CAS ${image.perItemCas} (image) vs ${now.perItemCas} (now)`);
  return out;
}

export function tableBytes(segments: number): number {
  return segments * ENTRY_BYTES + TABLE_TAIL_BYTES;
}

export function encodeTable(entries: readonly SegmentEntry[]): Buffer {
  const b = Buffer.alloc(tableBytes(entries.length));
  let at = 0;
  for (const e of entries) {
    b.writeUInt32LE(e.seg, at);
    b.writeInt32LE(e.bucket, at + 4);
    b.writeInt32LE(e.writeOffset, at + 8);
    b.writeInt32LE(e.liveBytes, at + 12);
    b.writeInt32LE(e.liveItems, at + 16);
    b.writeUInt32LE(e.read, at + 20);
    b.writeDoubleLE(e.createTime, at + 24);
    b.writeDoubleLE(e.latestDeadline, at + 32);
    b.writeDoubleLE(e.generation, at + 40);
    b.writeUInt32LE(e.dataCrc, at + 48);
    at += ENTRY_BYTES;
  }
  b.writeUInt32LE(crc32(b.subarray(0, at)), at);
  return b;
}

/**
 * Parse and check the table against the header and the store's settings:
 * every entry names a distinct segment of this heap and a real bucket, and
 * its offsets fit a segment. Throws ImageRejected.
 */
export function decodeTable(b: Buffer, header: ImageHeader, bucketCount: number): SegmentEntry[] {
  const n = header.segments;
  const at = n * ENTRY_BYTES;
  if (b.length !== tableBytes(n)) throw new ImageRejected('segment table truncated');
  if (crc32(b.subarray(0, at)) !== b.readUInt32LE(at) || b.readUInt32LE(at + 4) !== 0) throw new ImageRejected('segment table checksum mismatch');
  const { segmentSize, segmentCount } = header.settings;
  const seen = new Uint8Array(segmentCount);
  const entries: SegmentEntry[] = [];
  let dataBytes = 0;
  for (let i = 0; i < n; i++) {
    const o = i * ENTRY_BYTES;
    const e: SegmentEntry = {
      seg: b.readUInt32LE(o),
      bucket: b.readInt32LE(o + 4),
      writeOffset: b.readInt32LE(o + 8),
      liveBytes: b.readInt32LE(o + 12),
      liveItems: b.readInt32LE(o + 16),
      read: b.readUInt32LE(o + 20),
      createTime: b.readDoubleLE(o + 24),
      latestDeadline: b.readDoubleLE(o + 32),
      generation: b.readDoubleLE(o + 40),
      dataCrc: b.readUInt32LE(o + 48),
    };
    const sane =
      e.seg < segmentCount &&
      seen[e.seg] === 0 &&
      e.bucket >= 0 &&
      e.bucket < bucketCount &&
      e.writeOffset > 0 &&
      e.writeOffset <= segmentSize &&
      e.writeOffset % 8 === 0 &&
      e.liveItems > 0 &&
      e.liveBytes > 0 &&
      e.liveBytes <= e.writeOffset &&
      (e.read & 0xff) <= 1 &&
      e.read >>> 8 <= 40 &&
      Number.isSafeInteger(e.generation) &&
      e.generation > 0 &&
      e.generation < header.scalars.nextGeneration;
    if (!sane) throw new ImageRejected(`segment table entry ${i} is inconsistent`);
    seen[e.seg] = 1;
    dataBytes += e.writeOffset;
    entries.push(e);
  }
  if (dataBytes !== header.dataBytes) throw new ImageRejected('segment table does not add up to the data size');
  return entries;
}

export function encodeTrailer(segments: number, headerCrc: number): Buffer {
  const b = Buffer.alloc(TRAILER_BYTES);
  b.write(TRAILER_MAGIC, 0, 'latin1');
  b.writeUInt32LE(segments, 8);
  b.writeUInt32LE(headerCrc, 12);
  return b;
}

export function checkTrailer(b: Buffer, header: ImageHeader): void {
  const ok =
    b.length === TRAILER_BYTES &&
    b.toString('latin1', 0, 8) === TRAILER_MAGIC &&
    b.readUInt32LE(8) === header.segments &&
    b.readUInt32LE(12) === header.crc;
  if (!ok) throw new ImageRejected('trailer missing or damaged');
}

/** Total file size an image with this header must have. */
export function imageBytes(header: Pick<ImageHeader, 'segments' | 'dataBytes' | 'indexBytes'>): number {
  return HEADER_BYTES + tableBytes(header.segments) + header.dataBytes + header.indexBytes + TRAILER_BYTES;
}
