// cache_memlimit at store level: setMemoryLimit grows the heap into its
// reserve and shrinks it by evicting, for every thread attached to the
// shared store; heaps beyond 32 GiB address items through 40-bit slot
// locations.

import t from 'tap';
import { attachStore } from '../../segments/shared-store.js';
import { HashIndex, type KeySource } from '../../segments/hash-index.js';
import { MAX_LOC, locHi, locLo, locOfSlot } from '../../segments/index-layout.js';
import { audit, b, getString, makeStore } from './helpers.js';

const SEG = 64 * 1024;
const VALUE = 'v'.repeat(900);

/** Store `n` keys `${prefix}${i}` through `store`; returns how many were stored. */
function fill(store: ReturnType<typeof makeStore>['store'], prefix: string, n: number): number {
  let stored = 0;
  for (let i = 0; i < n; i++) if (store.store('set', b(`${prefix}${i}`), b(VALUE + i), 0, 0, 0) === 'stored') stored++;
  return stored;
}

/** Segments holding data (taken from the pool). */
function used(store: ReturnType<typeof makeStore>['store']): number {
  const shape = store.shape();
  return shape.segmentsTotal - shape.segmentsFree;
}

for (const policy of ['merge', 'fifo', 'none'] as const) {
  t.test(`${policy}: grow adds segments for every thread, shrink evicts down and stays down`, async (t) => {
    const { store, clock } = makeStore({ memoryLimitBytes: 8 * SEG, segmentSize: SEG, itemSizeMax: 1024, evictionPolicy: policy });
    const other = attachStore(store.handle, { threadSlot: 1, clock });
    t.equal(store.shape().segmentsTotal, 8);
    t.equal(store.shape().segmentsReserved, 64, '8x the start-up heap is reserved');
    t.equal(store.shape().limitBytes, 8 * SEG);

    fill(store, 'a', 1000);
    t.equal(used(store), 8, 'the start-up heap is full');

    t.equal(store.setMemoryLimit(32 * SEG), true);
    t.equal(other.shape().segmentsTotal, 32, 'the other thread sees the grown heap');
    t.equal(other.shape().limitBytes, 32 * SEG);
    const evictionsBefore = store.totals().evictions;
    // 1300 items of ~950 bytes fill about 19 more segments: no eviction needed now.
    t.equal(fill(other, 'b', 1300), 1300, 'the other thread writes into the new segments');
    t.equal(store.totals().evictions, evictionsBefore, 'no eviction while the grown heap has room');
    t.ok(used(store) > 8 && used(store) <= 32, `uses the new segments (${used(store)})`);
    t.equal(getString(store, 'b1299'), VALUE + 1299, 'this thread reads what the other wrote there');
    t.same(audit(store), []);

    t.equal(store.setMemoryLimit(8 * SEG), true, 'shrink');
    if (policy === 'none') {
      // -M: nothing stored is dropped. The heap stays above the new limit,
      // refuses new items, and shrinks as deletes free its segments.
      t.equal(store.totals().evictions, evictionsBefore, '-M: the shrink evicts nothing');
      t.equal(getString(store, 'a0'), VALUE + 0, '-M: items from before the shrink still read');
      t.equal(getString(store, 'b1299'), VALUE + 1299);
      t.ok(used(store) > 8, `-M: the heap waits for deletes (${used(store)} segments in use)`);
      const inUse = used(store);
      store.store('set', b('new'), b(VALUE), 0, 0, 0);
      t.ok(used(store) <= inUse, '-M: no new segment beyond the limit (an open one may take the item)');
      store.delete(b('new'), 0);
      for (let i = 0; i < 1300; i++) store.delete(b(`b${i}`), 0);
      store.expireNow();
      t.ok(used(store) <= 8, `-M: emptied segments retire (${used(store)} in use)`);
    }
    t.equal(store.shape().segmentsTotal, 8, 'down to 8 segments');
    t.ok(used(store) <= 8);
    t.equal(store.shape().limitBytes, 8 * SEG);
    t.ok(store.totals().bytes <= 8 * SEG, 'live bytes within the new limit');
    t.same(audit(store), []);
    if (policy !== 'none') {
      fill(other, 'c', 2000);
      fill(store, 'd', 2000);
      t.equal(other.shape().segmentsTotal, 8, 'writes after the shrink stay within it');
      t.ok(used(store) <= 8);
      t.equal(getString(store, 'd1999'), VALUE + 1999);
      t.same(audit(store), []);
    }
    store.flushAll(0);
    store.expireNow();
    t.equal(store.shape().segmentsTotal, 8, 'flush_all (once swept) frees only the circulating segments');
    t.equal(store.shape().segmentsFree, 8);
    t.equal(store.setMemoryLimit(64 * SEG), true, 'grow to the whole reserve');
    t.equal(store.shape().segmentsFree, 64);
    t.equal(fill(store, 'e', 3000), 3000);
    t.same(audit(store), []);
  });
}

t.test('limits outside 2 segments .. the reserve are refused and change nothing', async (t) => {
  const { store } = makeStore({ memoryLimitBytes: 8 * SEG, segmentSize: SEG, itemSizeMax: 1024 });
  t.equal(store.setMemoryLimit(2 * SEG - 1), false);
  t.equal(store.setMemoryLimit(65 * SEG), false);
  t.equal(store.shape().segmentsTotal, 8);
  t.equal(store.shape().limitBytes, 8 * SEG);
  t.equal(store.setMemoryLimit(2 * SEG), true, 'two segments is the least');
  t.equal(store.shape().segmentsTotal, 2);
  t.equal(fill(store, 'x', 500) > 0, true);
  t.ok(used(store) <= 2);
  t.same(audit(store), []);
});

t.test('a limit between segment multiples keeps the segments that fit and reports the bytes asked for', async (t) => {
  const { store } = makeStore({ memoryLimitBytes: 8 * SEG, segmentSize: SEG, itemSizeMax: 1024 });
  t.equal(store.setMemoryLimit(10 * SEG + 100), true);
  t.equal(store.shape().segmentsTotal, 10);
  t.equal(store.shape().limitBytes, 10 * SEG + 100);
});

t.test('40-bit slot locations: split, round trip, the loc word never 0', async (t) => {
  const cases = [1, 2, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 0xffffffff * 2, 0xffffffff * 2 + 1, 2 ** 37 + 5, MAX_LOC];
  for (const loc of cases) {
    const lo = locLo(loc);
    const hi = locHi(loc);
    t.ok(lo >= 1 && lo <= 0xffffffff && hi >= 0 && hi <= 255, `${loc}: lo ${lo} hi ${hi} in range`);
    t.equal(locOfSlot(0xabcd0000 | hi, lo), loc, `${loc} round trips`);
  }
  t.equal(locHi(0xffffffff), 0, 'below 2^32 the slot holds the location itself');
  t.equal(locLo(0xffffffff), 0xffffffff);
});

t.test('the index finds, relinks and removes locations above 2^32', async (t) => {
  // A fake key source: key i lives at location locs[i].
  const locs = [0xffffffff, 0x100000000, 0xffffffff * 2, 0xffffffff * 2 + 1, 2 ** 39 + 12345, MAX_LOC, 7];
  const keyAt = new Map<number, number>();
  locs.forEach((loc, i) => keyAt.set(loc, i));
  const hashOf = (i: number): number => (Math.imul(i + 1, 0x9e3779b1) >>> 0) % 4; // few buckets: chains and cuckoo steps
  const keys: KeySource = {
    keyMatches: (loc, key) => keyAt.get(loc) === key[0],
    hashAt: (loc) => hashOf(keyAt.get(loc)!),
  };
  const index = new HashIndex(keys, 8, 0.9, 1, 64);
  locs.forEach((loc, i) => index.insert(hashOf(i), 1, loc));
  locs.forEach((loc, i) => t.equal(index.find(Uint8Array.of(i), hashOf(i), 1), loc, `key ${i} at ${loc}`));
  t.same(index.locations().sort((x, y) => x - y), [...locs].sort((x, y) => x - y));
  t.equal(index.findLoc(hashOf(2), 0xffffffff * 2), true);
  index.relinkFound(2 ** 38 + 1);
  keyAt.set(2 ** 38 + 1, 2);
  t.equal(index.find(Uint8Array.of(2), hashOf(2), 1), 2 ** 38 + 1, 'relinked above 2^32');
  t.equal(index.findLoc(hashOf(5), MAX_LOC), true);
  index.relinkFoundWithFrequency(0x100000000 + 8, 5);
  keyAt.set(0x100000000 + 8, 5);
  t.equal(index.find(Uint8Array.of(5), hashOf(5), 1), 0x100000000 + 8);
  t.equal(index.foundFrequency(), 5, 'the frequency and the high bits share the meta word');
  t.equal(index.findLoc(hashOf(1), 0x100000000), true);
  index.removeFound();
  t.equal(index.find(Uint8Array.of(1), hashOf(1), 1), 0, 'removed');
  t.equal(index.find(Uint8Array.of(0), hashOf(0), 1), 0xffffffff, 'a neighbour with the same low word is still found');
});

t.test('a 1 TiB store keeps items at addresses above 32 GiB', async (t) => {
  const { store } = makeStore({ memoryLimitBytes: 2 ** 40, itemSizeMax: 1024 * 1024 });
  const shape = store.shape();
  t.equal(shape.segmentSize, 16 * 1024 * 1024, 'segments widen to keep 65536 of them');
  t.equal(shape.segmentsTotal, 65536);
  t.equal(shape.limitBytes, 2 ** 40);
  // Occupy the first 4096 segments' ids (64 GiB) without writing to them, so
  // the store's items land beyond 2^32 * 8 bytes.
  const heap = store.itemSpace.heap;
  for (let i = 0; i < 4096; i++) heap.take(0);
  for (let i = 0; i < 2000; i++) t.equal(store.store('set', b(`k${i}`), b(`value-${i}`), i, 0, 0), 'stored');
  const ref = store.get(b('k1999'));
  t.ok(ref > 2 ** 35, `item address ${ref} is above 32 GiB`);
  let wrong = 0;
  for (let i = 0; i < 2000; i++) if (getString(store, `k${i}`) !== `value-${i}`) wrong++;
  t.equal(wrong, 0, 'every item reads back');
  t.equal(store.store('set', b('k5'), b('again'), 0, 0, 0), 'stored');
  t.equal(getString(store, 'k5'), 'again', 'overwrite relinks above 32 GiB');
  t.equal(store.delete(b('k6'), 0), 'deleted');
  t.equal(getString(store, 'k6'), undefined);
  t.equal(store.arith(b('n'), true, 1n, 10n, 0, 0), 'ok');
  t.equal(store.arith(b('n'), true, 5n, undefined, 0, 0), 'ok');
  t.equal(getString(store, 'n'), '15');
});
