// Byte copies into and out of SharedArrayBuffer memory at memcpy speed.
//
// V8 copies to or from a SharedArrayBuffer (TypedArray.set, copyWithin, and
// Node's Buffer.copy, which is built on them) with relaxed atomic stores: a
// machine word at a time when source and destination are equally aligned
// mod 8, otherwise one byte at a time. Seven of eight value offsets are
// misaligned against the read buffer, so a 1 KiB set paid ~850 ns where a
// memcpy takes well under 100 (benchmarks/shared-copy-bench.ts). Node's
// Buffer.fill with a Uint8Array value is a plain memcpy in C++ after about
// 150 ns of call overhead; it wins from a few hundred bytes up, and for large
// values by 10x.
//
// Not for overlapping ranges (memcpy's contract): in-place compaction within
// one segment keeps copyWithin. Both ranges must lie inside their views.

/** Below this many bytes the relaxed copy's lower fixed cost wins even byte by byte. */
export const FILL_COPY_MIN_BYTES = 256;
/** Equally aligned (word by word), the relaxed copy wins up to this size. */
export const ALIGNED_RELAXED_MAX_BYTES = 4096;

/**
 * Whether V8's relaxed copy (set, copyWithin) beats Buffer.fill for `bytes`
 * bytes between these two offsets (each a view's byteOffset plus the index;
 * buffers start 8-byte aligned, so these have the addresses' alignment).
 */
export function relaxedCopyWins(bytes: number, dstOffset: number, srcOffset: number): boolean {
  return bytes < FILL_COPY_MIN_BYTES || (bytes <= ALIGNED_RELAXED_MAX_BYTES && ((dstOffset - srcOffset) & 7) === 0);
}

/**
 * Copy all of `src` into `dst` at `dstAt` (dstAt + src.length <= dst.length).
 * `src` and the destination range must not overlap. `dst` is a Buffer: a
 * plain Uint8Array's fill would write a number, not the bytes.
 */
export function copyView(dst: Buffer, dstAt: number, src: Uint8Array): void {
  const n = src.length;
  if (relaxedCopyWins(n, dst.byteOffset + dstAt, src.byteOffset)) dst.set(src, dstAt);
  else dst.fill(src, dstAt, dstAt + n);
}

/**
 * Copy `src[start, end)` into `dst` at `dstAt` by memcpy whatever the size
 * (callers that chose already, by relaxedCopyWins); non-empty, not overlapping.
 */
export function memcpyRange(dst: Buffer, dstAt: number, src: Buffer, start: number, end: number): void {
  dst.fill(src.subarray(start, end), dstAt, dstAt + end - start);
}

/**
 * Copy `src[start, end)` into `dst` at `dstAt` (the range fits in dst), as
 * copyView; the ranges must not overlap.
 */
export function copyRange(dst: Buffer, dstAt: number, src: Uint8Array, start: number, end: number): void {
  copyView(dst, dstAt, start === 0 && end === src.length ? src : src.subarray(start, end));
}
