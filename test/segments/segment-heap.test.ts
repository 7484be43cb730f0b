// The segment heap: sizing from the memory limit, the free pool, generations.

import t from 'tap';
import { SegmentHeap } from '../../segments/segment-heap.js';
import { defaultSegmentSize } from '../../segments/store-defaults.js';

t.test('segments fill the limit without exceeding it', async (t) => {
  const heap = new SegmentHeap(10_000, 1024);
  t.equal(heap.activeCount, 9);
  t.equal(heap.segmentCount, 72, 'reserves 8x for cache_memlimit to grow into');
  t.equal(heap.dataBytes, 9216);
  t.equal(heap.freeCount, 9);
  t.equal(heap.bytes.length, 72);
  t.equal(heap.words[0]!.length, 256);
  heap.bytes[3]![5] = 7;
  t.equal(heap.bytes[3]![5], 7);
  t.equal(heap.bytes[2]![1029], undefined, 'views do not overlap');
});

t.test('take and release', async (t) => {
  const heap = new SegmentHeap(4096, 1024);
  const a = heap.take(100);
  const b = heap.take(101);
  t.not(a, b);
  t.equal(heap.createTime[b], 101);
  t.ok(heap.generation[b]! > heap.generation[a]!);
  const g = heap.generation[a]!;
  heap.renew(a);
  t.ok(heap.generation[a]! > g, 'renew gives a fresh generation');
  heap.take(0);
  heap.take(0);
  t.equal(heap.take(0), -1, 'empty pool');
  heap.bucket[b] = 3;
  t.notOk(heap.isFree(b));
  heap.release(b);
  t.ok(heap.isFree(b));
  t.equal(heap.take(5), b, 'the last freed is reused first');
  t.equal(heap.writeOffset[b], 0);
  heap.releaseAll();
  t.equal(heap.freeCount, 4);
});

t.test('bad sizes are refused at construction', async (t) => {
  t.throws(() => new SegmentHeap(100, 1024), RangeError);
  t.throws(() => new SegmentHeap(4096, 1001), RangeError);
  t.throws(() => new SegmentHeap(4096, 32), RangeError);
});

t.test('default segment size', async (t) => {
  const mib = 1024 * 1024;
  const s64 = defaultSegmentSize(64 * mib, mib);
  t.equal(s64, mib, '-I bytes: every item memcached accepts at -I fits (its own header, key and CAS count against -I)');
  t.equal(defaultSegmentSize(8 * mib, mib), mib, '-m 8 is 8 segments, not 7');
  t.equal(defaultSegmentSize(9 * mib + 100, mib), Math.floor((9 * mib + 100) / 9 / 8) * 8, 'widened to divide the limit');
  t.ok(9 * mib + 100 - 9 * defaultSegmentSize(9 * mib + 100, mib) < 9 * 8, 'segments divide the limit with less than 8 bytes each left over');
  t.equal(defaultSegmentSize(1024 * mib, 128 * mib), 128 * mib);
  t.equal(defaultSegmentSize(64 * mib, 1000), mib, 'at least 1 MiB');
  t.equal(defaultSegmentSize(mib / 2, mib), mib, 'too small a limit: the least size (the heap then refuses)');
});

t.test('committed bytes: written pages, kept across release and reuse, retired segments left out', async (t) => {
  const seg = 64 * 1024;
  const heap = new SegmentHeap(4 * seg, seg);
  t.equal(heap.committedBytes, 0, 'nothing written: nothing committed');
  const a = heap.take(0);
  heap.writeOffset[a] = 100;
  t.equal(heap.committedBytes, 4096, 'a partly written page counts whole');
  heap.writeOffset[a] = 4096;
  t.equal(heap.committedBytes, 4096, 'exactly one page');
  heap.writeOffset[a] = 4104;
  t.equal(heap.committedBytes, 8192, 'one byte into the next page adds it');
  heap.release(a);
  t.equal(heap.committedBytes, 8192, 'released: its pages stay counted');
  t.equal(heap.take(0), a, 'reused');
  heap.writeOffset[a] = 200;
  t.equal(heap.committedBytes, 8192, 'rewritten below its high-water mark: no growth');
  heap.writeOffset[a] = 8200;
  t.equal(heap.committedBytes, 12288, 'written past it: grows by the new page');
  heap.setCompactedEnd(a, 16);
  t.equal(heap.writeOffset[a], 16);
  t.equal(heap.committedBytes, 12288, 'compacted down: the pages stay');
  heap.releaseAll();
  t.equal(heap.committedBytes, 12288, 'flush_all (release of all) keeps them');
  t.equal(heap.take(0), a, 'the lowest id comes first after releaseAll');
  const b = heap.take(0);
  heap.writeOffset[b] = seg;
  t.equal(heap.committedBytes, 12288 + seg, 'a second segment written whole');
  heap.release(b);
  heap.release(a);
  // Shrink to one segment: free segments retire from the top of the free stack (a, then b, ...).
  heap.setTarget(1, seg);
  t.equal(heap.activeCount, 1);
  t.ok(heap.isRetired(a) && heap.isRetired(b), 'both written segments retired');
  t.equal(heap.committedBytes, 0, 'retired segments drop out');
  heap.setTarget(4, 4 * seg);
  t.equal(heap.committedBytes, 12288 + seg, 'back in circulation, their pages are counted again (they never left the process)');
});

t.test('a preallocation counts against the limit before the heap', async (t) => {
  const seg = 64 * 1024;
  const heap = new SegmentHeap(10 * seg, seg, true, 7 * seg + 32);
  t.equal(heap.activeCount, 2, 'the limit less the preallocation: two whole segments');
  t.equal(heap.limitBytes, 10 * seg, 'the limit stays what was asked');
  t.equal(heap.preallocatedBytes, 7 * seg + 32);
  t.equal(heap.segmentsFor(12 * seg), 4, 'a new limit is shared out the same way');
  t.equal(new SegmentHeap(heap.memory).preallocatedBytes, 7 * seg + 32, 'another view sees it');
  t.throws(() => new SegmentHeap(10 * seg, seg, true, 9 * seg + 1), /less 589825 preallocated is smaller than one segment/);
  t.throws(() => new SegmentHeap(10 * seg, seg, true, -1), RangeError);
});
