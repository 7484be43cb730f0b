// The live page's segment map (segments/segment-map.ts): the binary layout
// against the heap headers it was read from, the per-bucket totals, the
// event markers (expired, evicted, merged) and slicing.

import t from 'tap';
import { makeStore, b } from './helpers.js';
import {
  AGE_NONE,
  FLAG_EVENT_MASK,
  FLAG_READ,
  FLAG_TAIL,
  MAP_FREE,
  MAP_HEADER_BYTES,
  MAP_MAGIC,
  SegmentMapBuilder,
  bucketTtlRange,
  buildSegmentMap,
  decodeSegmentMap,
  segmentDetail,
  segmentHeaders,
  type SegmentHeaders,
} from '../../segments/segment-map.js';
import { EVENT_EVICTED, EVENT_EXPIRED, EVENT_MERGED, EVENT_NONE, FREE_BUCKET, NO_SEGMENT } from '../../segments/segment-heap.js';
import { NEVER_BUCKET, bucketForTtl, placementBucket } from '../../segments/ttl-buckets.js';
import type { CacheStore } from '../../segments/types.js';

const SEG = 1024;
const value = (n: number): Buffer => Buffer.alloc(n, 'v');

function headersOf(store: CacheStore): SegmentHeaders {
  const h = segmentHeaders(store);
  if (h === null) throw new Error('no headers');
  return h;
}

t.test('the map encodes every segment header it was built from', async (t) => {
  // 32 segments: a smaller heap puts every expiring item in one bucket (ttl-buckets.ts placementBucket).
  const { store, clock } = makeStore({ memoryLimitBytes: 32 * SEG, segmentSize: SEG, itemSizeMax: 512, evictionPolicy: 'fifo' });
  // Three TTL classes, enough to fill a few segments each, plus a read.
  for (let i = 0; i < 20; i++) store.store('set', b(`short${i}`), value(100), 0, 30, 0);
  for (let i = 0; i < 12; i++) store.store('set', b(`hour${i}`), value(100), 0, 3600, 0);
  for (let i = 0; i < 5; i++) store.store('set', b(`never${i}`), value(100), 0, 0, 0);
  store.get(b('hour3'));
  const h = headersOf(store);
  const map = await buildSegmentMap(h, clock.seconds);
  const d = decodeSegmentMap(map.bytes);

  t.equal(map.bytes.byteLength, MAP_HEADER_BYTES + 6 * 32);
  t.equal(new DataView(map.bytes.buffer).getUint32(0, true), MAP_MAGIC);
  t.equal(d.segmentCount, 32);
  t.equal(d.segmentSize, SEG);
  t.equal(d.nowS, clock.seconds);
  let free = 0;
  for (let seg = 0; seg < 32; seg++) {
    if (h.bucket[seg] === FREE_BUCKET) {
      free++;
      t.equal(d.bucket[seg], MAP_FREE, `segment ${seg} free`);
      t.equal(d.live[seg], 0);
      continue;
    }
    t.equal(d.bucket[seg], h.bucket[seg], `segment ${seg} bucket`);
    t.equal(d.live[seg], Math.max(1, Math.floor((h.liveBytes[seg]! * 255) / SEG)), `segment ${seg} live`);
    t.equal(d.fill[seg], Math.max(1, Math.floor((h.writeOffset[seg]! * 255) / SEG)), `segment ${seg} fill`);
    t.equal((d.flags[seg]! & FLAG_TAIL) !== 0, h.next[seg] === NO_SEGMENT, `segment ${seg} tail flag`);
    t.equal((d.flags[seg]! & FLAG_READ) !== 0, h.read[seg] === 1, `segment ${seg} read flag`);
    t.equal(d.eventAge[seg], AGE_NONE, 'nothing happened yet');
  }
  t.equal(free, store.shape().segmentsFree);
  t.equal(map.usedSegments, 32 - free);
  t.ok([...d.flags].some((f) => f & FLAG_READ), 'the read segment is flagged');

  // Bucket rows add up to the store's own totals.
  t.same(
    map.buckets.map((r) => r.bucket),
    [bucketForTtl(30), bucketForTtl(3600), NEVER_BUCKET],
  );
  t.equal(
    map.buckets.reduce((n, r) => n + r.items, 0),
    store.counters.items,
  );
  t.equal(
    map.buckets.reduce((n, r) => n + r.bytes, 0),
    store.counters.bytes,
  );
  t.equal(map.liveBytes, store.counters.bytes);
  t.same(
    map.buckets.map((r) => r.segments),
    store.shape().ttlBucketSegments.map(([, count]) => count),
  );
  const short = map.buckets[0]!;
  t.equal(short.nextExpiry, clock.seconds + 30, 'next expiry is the earliest latest-deadline');
  t.equal(map.buckets[2]!.never, true);
  t.equal(map.buckets[2]!.nextExpiry, null, 'never-expiring segments never expire');
});

t.test('slicing gives the same map as one pass', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEG, segmentSize: SEG, itemSizeMax: 512 });
  for (let i = 0; i < 60; i++) store.store('set', b(`k${i}`), value(80), 0, 10 + (i % 4) * 100, 0);
  const h = headersOf(store);
  const whole = await buildSegmentMap(h, clock.seconds, 1000);
  const sliced = await buildSegmentMap(h, clock.seconds, 3);
  t.equal(whole.timing.slices, 1);
  t.equal(sliced.timing.slices, Math.ceil(16 / 3));
  t.same(Buffer.from(sliced.bytes), Buffer.from(whole.bytes));
  t.same(sliced.buckets, whole.buckets);
  t.ok(sliced.timing.maxSliceMs >= 0 && sliced.timing.totalMs >= sliced.timing.maxSliceMs);

  // The builder reads no further than asked.
  const builder = new SegmentMapBuilder(h, clock.seconds);
  t.equal(builder.step(5), false);
  t.equal(builder.step(11), true);
});

t.test('expiry marks freed segments; the map shows how long ago', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 32 * SEG, segmentSize: SEG, itemSizeMax: 512 });
  for (let i = 0; i < 20; i++) store.store('set', b(`s${i}`), value(100), 0, 5, 0);
  store.store('set', b('keep'), value(100), 0, 0, 0);
  const h = headersOf(store);
  const shortSegs = [...Array(32).keys()].filter((s) => h.bucket[s] === bucketForTtl(5));
  t.ok(shortSegs.length >= 2, 'the short-lived keys fill several segments');
  clock.advance(6);
  store.expireNow();
  const expiredAt = clock.seconds;
  clock.advance(3);
  const d = decodeSegmentMap((await buildSegmentMap(h, clock.seconds)).bytes);
  for (const seg of shortSegs) {
    t.equal(d.bucket[seg], MAP_FREE, `segment ${seg} is free again`);
    t.equal(d.flags[seg]! & FLAG_EVENT_MASK, EVENT_EXPIRED, `segment ${seg} marked expired`);
    t.equal(d.eventAge[seg], clock.seconds - expiredAt, `segment ${seg} freed 3 s ago`);
  }
  const detail = segmentDetail(h, shortSegs[0]!);
  t.equal(detail?.free, true);
  t.equal(detail?.eventKind, EVENT_EXPIRED);
  t.equal(detail?.eventAt, expiredAt);

  // Long after, the age saturates at AGE_NONE.
  clock.advance(1000);
  const later = decodeSegmentMap((await buildSegmentMap(h, clock.seconds)).bytes);
  t.equal(later.eventAge[shortSegs[0]!], AGE_NONE);
});

t.test('eviction and merges leave their marks', async (t) => {
  for (const [policy, kind] of [
    ['fifo', EVENT_EVICTED],
    ['merge', EVENT_MERGED],
  ] as const) {
    const { store, clock } = makeStore({ memoryLimitBytes: 8 * SEG, segmentSize: SEG, itemSizeMax: 512, evictionPolicy: policy });
    // Three times the heap, one TTL: the heap must evict. Reads give merge
    // a signal to rank by (runs never read are evicted whole instead).
    for (let i = 0; i < 200; i++) {
      store.store('set', b(`k${i}`), value(100), 0, 3600, 0);
      store.get(b(`k${i >> 1}`));
    }
    t.ok(store.counters.evictions > 0, `${policy} evicted`);
    const d = decodeSegmentMap((await buildSegmentMap(headersOf(store), clock.seconds)).bytes);
    const kinds = new Set([...d.flags].map((f) => f & FLAG_EVENT_MASK));
    t.ok(kinds.has(kind), `${policy}: some segment marked ${kind} (saw ${[...kinds].join(',')})`);
    t.ok([...d.eventAge].some((age) => age === 0), 'just now');
  }
  const { store } = makeStore({ memoryLimitBytes: 8 * SEG, segmentSize: SEG, itemSizeMax: 512 });
  const d = decodeSegmentMap((await buildSegmentMap(headersOf(store), 0)).bytes);
  t.ok([...d.flags].every((f) => (f & FLAG_EVENT_MASK) === EVENT_NONE), 'a fresh heap has no events');
});

t.test('decoding rejects what is not a map', (t) => {
  t.throws(() => decodeSegmentMap(new Uint8Array(4)), /shorter than its header/);
  t.throws(() => decodeSegmentMap(new Uint8Array(16)), /bad magic/);
  const bytes = new Uint8Array(MAP_HEADER_BYTES + 6 * 2);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAP_MAGIC, true);
  view.setUint32(4, 3, true);
  t.throws(() => decodeSegmentMap(bytes), /must be 34 bytes/);
  view.setUint32(4, 2, true);
  // A map inside a larger buffer at an odd offset still decodes.
  const padded = new Uint8Array(bytes.byteLength + 1);
  padded.set(bytes, 1);
  t.equal(decodeSegmentMap(padded.subarray(1)).segmentCount, 2);
  t.end();
});

t.test('bucket TTL ranges invert bucketForTtl', (t) => {
  for (const ttl of [1, 7, 8, 100, 2047, 2048, 5000, 32767, 32768, 100000, 524287, 524288, 2_000_000, 8_388_607, 8_388_608, 30_000_000]) {
    const bucket = bucketForTtl(ttl);
    const range = bucketTtlRange(bucket);
    t.ok(ttl >= range.min && (range.max === null || ttl <= range.max), `ttl ${ttl} in bucket ${bucket} [${range.min}, ${range.max}]`);
    if (range.max !== null) t.equal(bucketForTtl(range.max), bucket, `bucket ${bucket} ends at ${range.max}`);
    if (range.min > 0) t.equal(bucketForTtl(range.min), bucket, `bucket ${bucket} starts at ${range.min}`);
  }
  t.same(bucketTtlRange(NEVER_BUCKET), { min: 0, max: null });
  t.end();
});

t.test('segment details: aggregates only, null out of range', (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 4 * SEG, segmentSize: SEG, itemSizeMax: 512 });
  store.store('set', b('secret-key'), Buffer.from('secret-value'), 0, 60, 0);
  const h = headersOf(store);
  const seg = [0, 1, 2, 3].find((s) => h.bucket[s] !== FREE_BUCKET)!;
  const detail = segmentDetail(h, seg)!;
  t.equal(detail.liveItems, 1);
  t.equal(detail.bucket, placementBucket(60, 4), 'a 4-segment heap: the shared bucket');
  t.equal(detail.latestDeadline, clock.seconds + 60);
  t.equal(detail.createTime, clock.seconds);
  t.equal(detail.tail, true);
  t.notMatch(JSON.stringify(detail), /secret/, 'no key or value');
  for (const bad of [-1, 4, 1.5, NaN]) t.equal(segmentDetail(h, bad), null, String(bad));
  t.end();
});

t.test('a store without segment headers has no map', (t) => {
  const { store } = makeStore();
  const notSegments = Object.create(null) as CacheStore;
  t.equal(segmentHeaders(notSegments), null);
  t.not(segmentHeaders(store), null);
  t.end();
});
