// shared-copy.ts: every size, alignment and buffer kind copies exactly the
// bytes asked for and nothing around them, on both of its paths.

import t from 'tap';
import { ALIGNED_RELAXED_MAX_BYTES, FILL_COPY_MIN_BYTES, copyRange, copyView, memcpyRange, relaxedCopyWins } from '../../segments/shared-copy.js';

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return b;
}

const SIZES = [1, 7, 8, 100, FILL_COPY_MIN_BYTES - 1, FILL_COPY_MIN_BYTES, 1000, 1024, ALIGNED_RELAXED_MAX_BYTES, ALIGNED_RELAXED_MAX_BYTES + 1, 70_000];

t.test('the chosen path by size and relative alignment', async (t) => {
  t.equal(relaxedCopyWins(FILL_COPY_MIN_BYTES - 1, 3, 0), true, 'small copies stay relaxed');
  t.equal(relaxedCopyWins(1024, 3, 0), false, 'misaligned 1 KiB goes to memcpy');
  t.equal(relaxedCopyWins(1024, 19, 3), true, 'equally aligned 1 KiB stays word by word');
  t.equal(relaxedCopyWins(ALIGNED_RELAXED_MAX_BYTES + 1, 16, 0), false, 'large aligned goes to memcpy');
});

for (const shared of [true, false]) {
  t.test(`copyView into a ${shared ? 'shared' : 'plain'} buffer`, async (t) => {
    const backing = shared ? new SharedArrayBuffer(200_000) : new ArrayBuffer(200_000);
    // A destination view that does not start at its buffer's first byte.
    const dst = Buffer.from(backing, 24, 150_000);
    let wrong = 0;
    let cases = 0;
    for (const n of SIZES) {
      for (const srcShift of [0, 1, 3, 8]) {
        for (const dstAt of [0, 5, 8, 13]) {
          dst.fill(0xee);
          const src = pattern(n + 16, n + srcShift).subarray(srcShift, srcShift + n);
          copyView(dst, dstAt, src);
          cases++;
          if (!dst.subarray(dstAt, dstAt + n).equals(src)) wrong++;
          if (dstAt > 0 && dst[dstAt - 1] !== 0xee) wrong++;
          if (dst[dstAt + n] !== 0xee) wrong++;
        }
      }
    }
    t.equal(cases, SIZES.length * 16);
    t.equal(wrong, 0, 'every copy exact, neighbours untouched');
  });
}

t.test('copyRange out of a shared buffer, whole and part', async (t) => {
  const shared = Buffer.from(new SharedArrayBuffer(100_000));
  pattern(100_000, 9).copy(shared);
  const out = Buffer.alloc(100_000, 0xee);
  copyRange(out, 3, shared, 0, shared.length - 3);
  t.ok(out.subarray(3).equals(shared.subarray(0, shared.length - 3)), 'nearly the whole buffer');
  out.fill(0xee);
  copyRange(out, 11, shared, 777, 777 + 4000);
  t.ok(out.subarray(11, 4011).equals(shared.subarray(777, 4777)), 'a misaligned 4000-byte range');
  t.equal(out[10], 0xee);
  t.equal(out[4011], 0xee);
});

t.test('copies between two views of one shared buffer (segments of a chunk)', async (t) => {
  const chunk = new SharedArrayBuffer(1 << 16);
  const a = Buffer.from(chunk, 0, 1 << 15);
  const b = Buffer.from(chunk, 1 << 15, 1 << 15);
  pattern(1 << 15, 4).copy(a);
  copyRange(b, 5, a, 2, 2 + 9000);
  t.ok(b.subarray(5, 9005).equals(a.subarray(2, 9002)));
  t.ok(a.equals(pattern(1 << 15, 4)), 'the source is unchanged');
});

t.test('memcpyRange: any size, and within one buffer when the ranges are disjoint (a compaction)', async (t) => {
  const seg = Buffer.from(new SharedArrayBuffer(1 << 14));
  pattern(1 << 14, 2).copy(seg);
  const want = Buffer.from(seg.subarray(5000, 5000 + 3000));
  memcpyRange(seg, 16, seg, 5000, 8000);
  t.ok(seg.subarray(16, 3016).equals(want), 'moved toward the start');
  const small = Buffer.alloc(8, 0xee);
  memcpyRange(small, 1, seg, 16, 19);
  t.same([...small], [0xee, want[0], want[1], want[2], 0xee, 0xee, 0xee, 0xee], 'three bytes, nothing around them');
});
