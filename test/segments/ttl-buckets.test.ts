// TTL bucket indices (Segcache widths) and the segment chains.

import t from 'tap';
import { NEVER_BUCKET, TTL_BUCKETS, TtlChains, bucketForTtl } from '../../segments/ttl-buckets.js';
import { SegmentHeap } from '../../segments/segment-heap.js';

t.test('bucket widths 8 / 128 / 2048 / 32768 s', async (t) => {
  t.equal(bucketForTtl(1), 0);
  t.equal(bucketForTtl(7), 0);
  t.equal(bucketForTtl(8), 1);
  t.equal(bucketForTtl(2047), 255);
  t.equal(bucketForTtl(2048), 272, 'step 2 starts at 16 within its range');
  t.equal(bucketForTtl(32767), 511);
  t.equal(bucketForTtl(32768), 528);
  t.equal(bucketForTtl(524287), 767);
  t.equal(bucketForTtl(524288), 784);
  t.equal(bucketForTtl(8388607), 1023);
  t.equal(bucketForTtl(100_000_000), TTL_BUCKETS - 1);
  t.equal(bucketForTtl(0), 0);
  let last = 0;
  const bad: number[] = [];
  for (let ttl = 1; ttl < 9_000_000; ttl += 97) {
    const b = bucketForTtl(ttl);
    if (b < last || b >= TTL_BUCKETS) bad.push(ttl);
    last = b;
  }
  t.same(bad, [], 'monotonic and in range');
  t.equal(NEVER_BUCKET, 1024);
});

t.test('chains keep creation order and counts', async (t) => {
  const heap = new SegmentHeap(8 * 1024, 1024);
  const chains = new TtlChains(heap);
  const segs = [heap.take(1), heap.take(2), heap.take(3)];
  for (const s of segs) chains.append(5, s);
  t.equal(chains.count[5], 3);
  t.equal(chains.head[5], segs[0]);
  t.equal(chains.tail[5], segs[2]);
  chains.mergeCursor[5] = segs[1]!;
  chains.unlink(segs[1]!);
  t.equal(chains.mergeCursor[5], -1, 'unlinking the merge cursor resets it');
  t.equal(heap.next[segs[0]!], segs[2]);
  t.equal(heap.prev[segs[2]!], segs[0]);
  chains.unlink(segs[0]!);
  chains.unlink(segs[2]!);
  t.equal(chains.head[5], -1);
  t.equal(chains.tail[5], -1);
  t.equal(chains.count[5], 0);
  chains.append(7, segs[0]!);
  chains.clear();
  t.equal(chains.head[7], -1);
  t.equal(chains.count[7], 0);
});
