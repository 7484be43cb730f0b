// total_malloced at store level (SegmentStore.mallocedBytes): the heap
// memory in circulation ever written, in whole 4 KiB pages, plus a
// preallocation. It grows only when writes reach memory not written before,
// stays through expiry, deletes, flush_all and reuse, and falls when
// cache_memlimit retires segments. Every thread sees the same figure.

import t from 'tap';
import type { Test } from 'tap';
import { attachStore } from '../../segments/shared-store.js';
import { b, makeStore } from './helpers.js';

const SEG = 64 * 1024;
const PAGE = 4096;
/** Values of 2000 bytes: two records fit one 4 KiB page, and 32 a segment. */
const VALUE = 'v'.repeat(2000);

/** Store `n` keys `${prefix}${i}` with `ttl`; every one must be stored. */
function fill(t: Test, store: ReturnType<typeof makeStore>['store'], prefix: string, n: number, ttl = 0): void {
  let stored = 0;
  for (let i = 0; i < n; i++) if (store.store('set', b(`${prefix}${i}`), b(VALUE), 0, ttl, 0) === 'stored') stored++;
  t.equal(stored, n, `stored ${n} ${prefix} items`);
}

t.test('grows with first writes, stays through expiry, deletes, flush_all and reuse', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 8 * SEG, segmentSize: SEG, itemSizeMax: 4096, evictionPolicy: 'fifo' });
  const other = attachStore(store.handle, { threadSlot: 1, clock });
  t.equal(store.mallocedBytes(), 0, 'nothing written yet');
  store.store('set', b('one'), b('x'), 0, 0, 0);
  t.equal(store.mallocedBytes(), PAGE, 'one small record: one whole page');
  t.equal(other.mallocedBytes(), PAGE, 'the other thread sees the same figure');

  // Ten records of a little over 2000 bytes with a 2 s TTL: 20 KiB and more, in one segment.
  fill(t, store, 'ttl', 10, 2);
  const afterTtl = store.mallocedBytes();
  t.ok(afterTtl >= PAGE + 10 * 2000 && afterTtl <= PAGE + 10 * 2100 + PAGE, `about 20 KB more (${afterTtl})`);
  t.equal(afterTtl % PAGE, 0, 'whole pages');

  clock.advance(4);
  store.expireNow();
  t.equal(store.mallocedBytes(), afterTtl, 'expired and freed: the pages stay counted');
  // The same again (keys as long): the freed segment is reused, written no further.
  fill(t, store, 'ttm', 10, 2);
  t.equal(store.mallocedBytes(), afterTtl, 'reuse of the freed segment adds nothing');

  for (let i = 0; i < 10; i++) store.delete(b(`ttm${i}`), 0);
  store.expireNow();
  t.equal(store.mallocedBytes(), afterTtl, 'deletes free memory for reuse, not back to the OS');
  store.flushAll(0);
  store.expireNow();
  t.equal(store.mallocedBytes(), afterTtl, 'flush_all: the same');

  // Fill the heap: every segment gets written nearly to its end.
  fill(t, store, 'full', 8 * 32);
  const full = store.mallocedBytes();
  t.ok(full > 7 * SEG && full <= 8 * SEG, `a full heap: close to -m (${full} of ${8 * SEG})`);
});

t.test('cache_memlimit: growing adds nothing until written, shrinking drops retired segments', async (t) => {
  const { store } = makeStore({ memoryLimitBytes: 8 * SEG, segmentSize: SEG, itemSizeMax: 4096, evictionPolicy: 'fifo' });
  fill(t, store, 'a', 6 * 32);
  const before = store.mallocedBytes();
  t.equal(store.setMemoryLimit(16 * SEG), true);
  t.equal(store.mallocedBytes(), before, 'more room, nothing written there yet');
  fill(t, store, 'b', 6 * 32);
  const grown = store.mallocedBytes();
  t.ok(grown > before + 5 * SEG, `written into the new segments (${before} -> ${grown})`);
  for (let i = 0; i < 6 * 32; i++) {
    store.delete(b(`a${i}`), 0);
    store.delete(b(`b${i}`), 0);
  }
  store.expireNow();
  t.equal(store.mallocedBytes(), grown, 'emptied: still counted while in circulation');
  t.equal(store.setMemoryLimit(4 * SEG), true);
  t.equal(store.shape().segmentsTotal, 4);
  t.ok(store.mallocedBytes() <= 4 * SEG, `retired segments drop out (${store.mallocedBytes()})`);
});

t.test('a preallocation counts first, against the limit', async (t) => {
  const pre = 5 * SEG + 32;
  const { store, clock } = makeStore({ memoryLimitBytes: 8 * SEG, segmentSize: SEG, itemSizeMax: 4096, evictionPolicy: 'none', preallocatedBytes: pre });
  t.equal(store.mallocedBytes(), pre, 'the preallocation alone');
  t.equal(store.shape().limitBytes, 8 * SEG, 'the limit stays as given');
  t.equal(store.shape().segmentsTotal, 2, 'the heap gets the rest: two whole segments');
  t.equal(attachStore(store.handle, { threadSlot: 1, clock }).mallocedBytes(), pre, 'the other thread counts it too');
  store.store('set', b('one'), b('x'), 0, 0, 0);
  t.equal(store.mallocedBytes(), pre + PAGE);
  t.equal(store.setMemoryLimit(10 * SEG), true);
  t.equal(store.shape().segmentsTotal, 4, 'cache_memlimit shares out the new limit the same way');
  t.equal(store.setMemoryLimit(6 * SEG), false, 'under two segments once the preallocation is taken: refused');
});
