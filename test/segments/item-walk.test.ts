// ItemWalk: visits every live item once, skips deleted and expired ones,
// resumes across slices, and leaves a segment that was reused meanwhile.

import t from 'tap';
import { SegmentStore } from '../../segments/segment-store.js';
import type { Clock } from '../../segments/types.js';

function makeStore(clock: Clock): SegmentStore {
  return new SegmentStore({ memoryLimitBytes: 4 * 1024 * 1024, itemSizeMax: 64 * 1024, segmentSize: 64 * 1024, clock });
}

function keysOf(store: SegmentStore, budget: number): { keys: string[]; slices: number } {
  const walk = store.itemWalk();
  const keys: string[] = [];
  let slices = 0;
  for (;;) {
    slices++;
    const done = walk.step(budget, (ref) => keys.push(store.itemKey(ref).toString('latin1')));
    if (done) break;
  }
  return { keys, slices };
}

t.test('visits live items only, in slices', async (t) => {
  let now = 1_700_000_000_000;
  const store = makeStore({ nowMs: () => now });
  const value = Buffer.alloc(100, 1);
  for (let i = 0; i < 3000; i++) store.store('set', Buffer.from(`k${i}`), value, 0, i % 3 === 0 ? 10 : 0, 0);
  // Overwrites leave dead records behind; deletes too.
  for (let i = 0; i < 100; i++) store.store('set', Buffer.from(`k${i}`), value, 0, 0, 0);
  for (let i = 100; i < 200; i++) store.delete(Buffer.from(`k${i}`), 0);
  const all = keysOf(store, 500);
  t.equal(all.keys.length, 2900, 'every live item once');
  t.equal(new Set(all.keys).size, 2900, 'no duplicates');
  t.ok(all.slices > 5, `walked in ${all.slices} slices`);
  t.notOk(all.keys.includes('k150'), 'deleted items are skipped');

  now += 11_000;
  const later = keysOf(store, 1_000_000);
  // Items 200..2999 with i % 3 === 0 expired (0..99 were rewritten without TTL).
  let expiring = 0;
  for (let i = 200; i < 3000; i++) if (i % 3 === 0) expiring++;
  t.equal(later.keys.length, 2900 - expiring, 'expired items are not visited');
  t.notOk(later.keys.includes('k300'), 'an expired key is gone');
  t.ok(later.keys.includes('k0'), 'a key rewritten without TTL stays');
});

t.test('a flush between slices ends the walk without reading stale records', async (t) => {
  const store = makeStore({ nowMs: () => 1_700_000_000_000 });
  for (let i = 0; i < 2000; i++) store.store('set', Buffer.from(`f${i}`), Buffer.alloc(200), 0, 0, 0);
  const walk = store.itemWalk();
  let seen = 0;
  t.notOk(walk.step(10, () => seen++), 'first slice does not finish');
  store.flushAll(0);
  for (let i = 0; i < 5; i++) store.store('set', Buffer.from(`n${i}`), Buffer.alloc(10), 0, 0, 0);
  const after: string[] = [];
  while (!walk.step(100, (ref) => after.push(store.itemKey(ref).toString('latin1')))) {
    // keep walking
  }
  t.ok(after.every((k) => k.startsWith('n')), 'only items stored after the flush are seen');
  t.ok(walk.done);
});

t.test('a due delayed flush_all: a walk without the exclusive lock finds nothing and leaves the flush to a writer', async (t) => {
  let now = 1_700_000_000_000;
  const store = makeStore({ nowMs: () => now });
  const value = Buffer.alloc(100, 2);
  // About four 64 KiB segments' worth.
  for (let i = 0; i < 2000; i++) store.store('set', Buffer.from(`f${i}`), value, 0, 0, 0);
  store.flushAll(5);
  t.equal(keysOf(store, 1_000).keys.length, 2000, 'before the flush is due every item is walked');
  now += 6_000;
  const freeBefore = store.itemSpace.heap.freeCount;
  // Two threads walking under the shared lock at the due second must not
  // both free every segment (the free stack would hold a segment twice).
  store.beginRead();
  let walked: string[];
  try {
    walked = keysOf(store, 1_000).keys;
  } finally {
    store.endRead();
  }
  t.same(walked, [], 'the walk finds nothing once the flush is due');
  t.equal(store.itemSpace.heap.freeCount, freeBefore, 'and frees nothing itself: only an exclusive holder applies the flush');
  t.equal(store.get(Buffer.from('f1')), -1, 'a get misses');
  t.equal(store.counters.getFlushed, 1, 'and counts get_flushed');
  store.store('set', Buffer.from('after'), value, 0, 0, 0);
  store.expireNow();
  t.ok(store.itemSpace.heap.freeCount > freeBefore, 'the next write applied the flush, and the sweep freed its segments');
  t.same(keysOf(store, 1_000).keys, ['after'], 'and a walk then sees only what came after it');
});
