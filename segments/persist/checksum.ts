// CRC-32 (the zlib / PNG / gzip polynomial) for the warm-restart image.
//
// node:zlib's crc32 (Node 22.2+, native) when the runtime has it, else a
// slicing-by-8 table version in JS that gives the same values (slower: it
// is only there so Node 20 can still read and write images). Measured on
// this machine under load: zlib.crc32 about 0.8 GB/s, the JS fallback about
// 0.25 GB/s, a hand-rolled two-lane multiply-xor word hash about 0.6-0.9
// GB/s; CRC-32 won on equal speed for its known error-detection guarantees.

import zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, initial?: number) => number;

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

/** 8 tables of 256 entries: table k advances the CRC over a byte followed by k zero bytes. */
const TABLES = ((): Int32Array => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** CRC-32 in JS, slicing by 8 bytes. */
export function crc32Js(data: Uint8Array, initial = 0): number {
  const t = TABLES;
  let c = ~initial;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    const lo = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ c;
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 of `data`, continuing from `initial` (a previous result) when given. */
export const crc32: Crc32 = native ?? crc32Js;

/** Which implementation runs (the benchmark reports it). */
export const crc32Implementation = native !== undefined ? 'node:zlib' : 'js';
