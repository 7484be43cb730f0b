// The index section of a warm-restart image (format version 2): the hash
// index's arrays (segments/index-image.ts says which) as saved, each padded
// to 8 bytes, followed by a 256-byte head that describes them. The head
// comes last so a save writes the section in one forward pass and still
// records each part's CRC-32; a restore knows where the section ends from
// the image header and reads the head first.
//
//   head  0  magic "GROWIDX\n"
//         8  index image layout (INDEX_IMAGE_LAYOUT), hash seed
//        16  control word count, part count
//        24  the index control words (Int32, little-endian)
//       120  per part: byte length (f64), CRC-32 of the part and its
//            padding, 0                               (up to 8 parts)
//       252  CRC-32 of bytes 0..251
//
// A section that fails any check is not an image failure: the restore
// rebuilds the index from the (separately checked) records instead.
// No file I/O here.

import { crc32 } from './checksum.js';

export const INDEX_HEAD_BYTES = 256;
const MAGIC = 'GROWIDX\n';
const CONTROL_AT = 24;
const PARTS_AT = 120;
const PART_BYTES = 16;
const MAX_PARTS = 8;
const CRC_AT = INDEX_HEAD_BYTES - 4;

export interface IndexPart {
  length: number;
  crc: number;
}

export interface IndexHead {
  layout: number;
  hashSeed: number;
  control: Int32Array;
  parts: IndexPart[];
}

/** Bytes a part takes in the section (padded to 8). */
export function paddedLength(length: number): number {
  return (length + 7) & ~7;
}

/** Bytes of a section holding parts of these lengths. */
export function indexSectionBytes(lengths: readonly number[]): number {
  return lengths.reduce((n, l) => n + paddedLength(l), 0) + INDEX_HEAD_BYTES;
}

export function encodeIndexHead(h: IndexHead): Buffer {
  if (h.parts.length > MAX_PARTS || CONTROL_AT + h.control.length * 4 > PARTS_AT) throw new RangeError('index head overflow');
  const b = Buffer.alloc(INDEX_HEAD_BYTES);
  b.write(MAGIC, 0, 'latin1');
  b.writeUInt32LE(h.layout, 8);
  b.writeUInt32LE(h.hashSeed >>> 0, 12);
  b.writeUInt32LE(h.control.length, 16);
  b.writeUInt32LE(h.parts.length, 20);
  for (let i = 0; i < h.control.length; i++) b.writeInt32LE(h.control[i]!, CONTROL_AT + i * 4);
  h.parts.forEach((p, i) => {
    b.writeDoubleLE(p.length, PARTS_AT + i * PART_BYTES);
    b.writeUInt32LE(p.crc >>> 0, PARTS_AT + i * PART_BYTES + 8);
  });
  b.writeUInt32LE(crc32(b.subarray(0, CRC_AT)), CRC_AT);
  return b;
}

/** Parse a head; returns why it is unusable as a string instead of a head. */
export function decodeIndexHead(b: Buffer, sectionBytes: number): IndexHead | string {
  if (b.length !== INDEX_HEAD_BYTES || b.toString('latin1', 0, 8) !== MAGIC) return 'index section head missing';
  if (crc32(b.subarray(0, CRC_AT)) !== b.readUInt32LE(CRC_AT)) return 'index section head checksum mismatch';
  const words = b.readUInt32LE(16);
  const count = b.readUInt32LE(20);
  if (count > MAX_PARTS || CONTROL_AT + words * 4 > PARTS_AT) return 'index section head invalid';
  const control = new Int32Array(words);
  for (let i = 0; i < words; i++) control[i] = b.readInt32LE(CONTROL_AT + i * 4);
  const parts: IndexPart[] = [];
  for (let i = 0; i < count; i++) {
    const length = b.readDoubleLE(PARTS_AT + i * PART_BYTES);
    if (!Number.isSafeInteger(length) || length < 0) return 'index section head invalid';
    parts.push({ length, crc: b.readUInt32LE(PARTS_AT + i * PART_BYTES + 8) });
  }
  if (indexSectionBytes(parts.map((p) => p.length)) !== sectionBytes) return 'index section size disagrees with its head';
  return { layout: b.readUInt32LE(8), hashSeed: b.readUInt32LE(12), control, parts };
}
