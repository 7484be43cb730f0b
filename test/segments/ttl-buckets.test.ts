// TTL bucket indices (Segcache widths) and the segment chains.

import t from 'tap';
import { NEVER_BUCKET, SHARED_BUCKET, SHARED_BUCKET_BELOW, TTL_BUCKETS, TtlChains, bucketForTtl, placementBucket } from '../../segments/ttl-buckets.js';
import { makeStore, b } from './helpers.js';
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

t.test('a small heap puts every expiring item in one bucket; a large one by TTL', async (t) => {
  t.equal(placementBucket(10, SHARED_BUCKET_BELOW - 1), SHARED_BUCKET);
  t.equal(placementBucket(100_000, SHARED_BUCKET_BELOW - 1), SHARED_BUCKET);
  t.equal(placementBucket(10, SHARED_BUCKET_BELOW), bucketForTtl(10));
  t.equal(placementBucket(100_000, SHARED_BUCKET_BELOW), bucketForTtl(100_000));

  const SEGMENT = 64 * 1024;
  const chainsUsed = (segments: number): number[] => {
    const { store } = makeStore({ memoryLimitBytes: segments * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
    for (const [i, ttl] of [10, 600, 86_400, 0].entries()) store.store('set', b(`k${i}`), Buffer.alloc(100), 0, ttl, 0);
    const chains = store.itemSpace.chains;
    const used: number[] = [];
    for (let bucket = 0; bucket <= NEVER_BUCKET; bucket++) if (chains.count[bucket]! > 0) used.push(bucket);
    return used;
  };
  t.same(chainsUsed(SHARED_BUCKET_BELOW - 1), [SHARED_BUCKET, NEVER_BUCKET], 'three TTLs share one segment; no-TTL items keep theirs');
  t.same(chainsUsed(SHARED_BUCKET_BELOW), [bucketForTtl(10), bucketForTtl(600), bucketForTtl(86_400), NEVER_BUCKET]);
});

t.test('in the shared bucket each segment still expires by its own latest deadline', async (t) => {
  const SEGMENT = 64 * 1024;
  const { store, clock } = makeStore({ memoryLimitBytes: 8 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  // One segment of short-lived items, then one with a long-lived item among short ones.
  for (let i = 0; i < 1500; i++) store.store('set', b(`short${i}`), Buffer.alloc(100), 0, 10, 0);
  t.ok(store.itemSpace.chains.count[SHARED_BUCKET]! >= 2, 'the short-lived items fill more than one segment');
  store.store('set', b('long'), Buffer.alloc(100), 0, 3600, 0);
  clock.advance(11);
  store.expireNow();
  t.equal(store.get(b('short0')), -1, 'an expired item is never served');
  t.ok(store.get(b('long')) >= 0, 'the long-lived one stays');
  t.ok(store.counters.expiredSegments >= 1, 'segments whose items all expired were freed whole by the sweep');
  t.equal(store.itemSpace.chains.count[SHARED_BUCKET], 1, 'only the segment holding the long-lived item is left');
});
