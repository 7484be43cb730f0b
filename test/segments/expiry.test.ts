// Proactive expiry: whole expired segments return to the pool without reads,
// live segments are left alone, expired bytes are reclaimed before any live
// item is evicted, and the background timer runs the sweep.

import t from 'tap';
import { audit, b, getString, makeStore } from './helpers.js';

const SEGMENT = 4096;

t.test('the sweep frees segments whose items all expired, and only those', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 64 * SEGMENT, segmentSize: SEGMENT });
  for (let i = 0; i < 200; i++) store.store('set', b(`short${i}`), Buffer.alloc(100), 0, 5, 0);
  store.store('set', b('long'), b('v'), 0, 3000, 0);
  store.store('set', b('forever'), b('v'), 0, 0, 0);
  const used = store.shape().segmentsTotal - store.shape().segmentsFree;
  t.ok(used >= 7, `${used} segments in use`);
  clock.advance(4);
  store.expireNow();
  t.equal(store.shape().segmentsTotal - store.shape().segmentsFree, used, 'nothing is due yet');
  clock.advance(1);
  store.expireNow();
  t.equal(store.shape().segmentsFree, store.shape().segmentsTotal - 2, 'only the long-TTL and never segments remain');
  t.equal(store.counters.expiredReclaimed, 200);
  t.ok(store.counters.expiredSegments >= used - 2);
  t.equal(store.counters.items, 2);
  t.equal(getString(store, 'long'), 'v');
  t.equal(getString(store, 'forever'), 'v');
  t.equal(store.counters.getMisses, 0, 'no read was needed to free them');
  t.same(audit(store), []);
});

t.test('an expiring segment with one longer item stays until that item is due', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT });
  store.store('set', b('a'), b('1'), 0, 10, 0);
  store.store('set', b('b'), b('1'), 0, 12, 0); // same TTL bucket (8..15 s)
  t.equal(store.shape().ttlBucketSegments.length, 1);
  clock.advance(10);
  store.expireNow();
  t.equal(store.peek(b('a')), -1);
  t.equal(getString(store, 'b'), '1');
  clock.advance(2);
  store.expireNow();
  t.equal(store.shape().segmentsFree, 16);
  t.same(audit(store), []);
});

t.test('touch raising a deadline keeps the segment alive', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT });
  store.store('set', b('a'), b('1'), 0, 10, 0);
  store.touch(b('a'), 100);
  clock.advance(50);
  store.expireNow();
  t.equal(getString(store, 'a'), '1');
  clock.advance(50);
  store.expireNow();
  t.equal(store.shape().segmentsFree, 16);
});

t.test('segments emptied by deletes and overwrites are freed by the sweep', async (t) => {
  const { store } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT });
  for (let i = 0; i < 100; i++) store.store('set', b(`k${i}`), Buffer.alloc(100), 0, 0, 0);
  const used = 16 - store.shape().segmentsFree;
  for (let i = 0; i < 100; i++) store.delete(b(`k${i}`), 0);
  store.expireNow();
  t.equal(store.shape().segmentsFree, 16, `${used} segments back`);
  t.equal(store.counters.expiredSegments, 0, 'deletes are not expiry');
});

t.test('expired bytes are reclaimed before any live item is evicted', async (t) => {
  for (const policy of ['merge', 'fifo', 'random'] as const) {
    const { store, clock } = makeStore({ memoryLimitBytes: 32 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: policy });
    let i = 0;
    // Fill the whole heap with short-lived items, then let them expire unread.
    while (store.shape().segmentsFree > 0) store.store('set', b(`old${i++}`), Buffer.alloc(100), 0, 3, 0);
    const old = store.counters.items;
    clock.advance(3);
    // Live data of about two thirds of the heap must fit without evicting anything.
    for (let j = 0; j < 600; j++) t.equal(store.store('set', b(`new${j}`), Buffer.alloc(100), 0, 0, 0), 'stored');
    t.equal(store.counters.evictions, 0, `${policy}: no live item evicted`);
    t.equal(store.counters.expiredReclaimed, old, `${policy}: every expired item reclaimed`);
    for (let j = 0; j < 600; j++) if (store.peek(b(`new${j}`)) < 0) t.fail(`${policy}: new${j} missing`);
    t.same(audit(store), []);
  }
});

t.test('eviction none: expiry frees room again', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 8 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'none' });
  let i = 0;
  while (store.store('set', b(`k${i}`), Buffer.alloc(200), 0, 2, 0) === 'stored') i++;
  t.equal(store.store('set', b('x'), Buffer.alloc(200), 0, 0, 0), 'out_of_memory');
  clock.advance(2);
  t.equal(store.store('set', b('x'), Buffer.alloc(200), 0, 0, 0), 'stored');
  t.equal(store.counters.evictions, 0);
});

t.test('the background timer runs the sweep and can be stopped', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT }, { expiryIntervalMs: 5 });
  store.store('set', b('a'), b('1'), 0, 1, 0);
  clock.advance(1);
  store.start();
  store.start(); // idempotent
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (store.counters.expiredSegments > 0) {
        clearInterval(poll);
        resolve();
      }
    }, 1);
  });
  store.stop();
  store.stop();
  t.equal(store.shape().segmentsFree, 16);
  t.equal(store.counters.items, 0);
});
