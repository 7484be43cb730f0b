// The housekeeping API of the shared store on one thread: housekeep() keeps
// a reserve of free segments so writers never evict inline (inlineMerges
// stays 0), while without it every full-heap write evicts inline and is
// counted; totals() sums thread slots; attach checks its slot;
// housekeepUrgent() says when pacing must stop, and a writer on another
// thread ends housekeepPause() early.

import t from 'tap';
import { Worker } from 'node:worker_threads';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import { ManualClock, audit, b } from './helpers.js';

const OPTIONS = { memoryLimitBytes: 16 * 64 * 1024, itemSizeMax: 4096, segmentSize: 64 * 1024, hashSeed: 3 };
const VALUE = Buffer.alloc(1000, 0x61);

t.test('without a housekeeper, writes into a full heap evict inline and are counted', async (t) => {
  const store = attachStore(createSharedStore(OPTIONS, { reserveSegments: 3 }), { threadSlot: 0, clock: new ManualClock() });
  for (let i = 0; i < 3000; i++) t.equal(store.store('set', b(`k${i}`), VALUE, 0, 0, 0), 'stored');
  t.ok(store.counters.evictions > 0, 'the heap filled and evicted');
  t.ok(store.counters.inlineMerges > 0, `${store.counters.inlineMerges} inline evictions counted`);
  t.same(audit(store), []);
});

t.test('with housekeep() between writes, the reserve is kept and no write evicts inline', async (t) => {
  const clock = new ManualClock();
  const handle = createSharedStore(OPTIONS, { reserveSegments: 3 });
  const writer = attachStore(handle, { threadSlot: 0, clock });
  const housekeeper = attachStore(handle, { threadSlot: 1, clock });
  const heap = writer.itemSpace.heap;
  let lowest = Infinity;
  for (let i = 0; i < 3000; i++) {
    t.equal(writer.store('set', b(`k${i}`), VALUE, 0, 0, 0), 'stored');
    // The housekeeping thread's loop: steps until nothing is pending.
    for (let steps = 0; housekeeper.housekeep() && steps < 100; steps++);
    lowest = Math.min(lowest, heap.freeCount);
  }
  t.equal(writer.counters.inlineMerges, 0, 'no write waited for an eviction');
  t.ok(lowest >= 3, `free segments after housekeeping never below the reserve (lowest ${lowest})`);
  const totals = writer.totals();
  t.ok(housekeeper.counters.evictions > 0 && writer.counters.evictions === 0, 'evictions ran on the housekeeper slot');
  t.equal(totals.evictions, housekeeper.counters.evictions, 'totals() sums the slots');
  t.equal(totals.totalItems, 3000);
  t.equal(totals.items, writer.counters.items, 'items are global');
  t.same(audit(writer), []);
});

t.test('housekeep() expires and housekeepWait() returns at once when the reserve is low', async (t) => {
  const clock = new ManualClock();
  const store = attachStore(createSharedStore(OPTIONS, { reserveSegments: 3 }), { threadSlot: 0, clock });
  for (let i = 0; i < 500; i++) store.store('set', b(`e${i}`), VALUE, 0, 10, 0);
  const used = store.shape().segmentsTotal - store.shape().segmentsFree;
  t.ok(used > 3);
  clock.advance(11);
  while (store.housekeep());
  t.equal(store.shape().segmentsFree, store.shape().segmentsTotal, 'expired segments freed by housekeeping steps');
  t.ok(store.counters.expiredSegments >= used);
  // Fill below the reserve: the wait must not sleep (a 60 s sleep would time the test out).
  for (let i = 0; store.shape().segmentsFree >= 3; i++) store.store('set', b(`f${i}`), VALUE, 0, 0, 0);
  store.housekeepWait(60_000);
  t.pass('housekeepWait returned');
});

t.test('housekeepUrgent(): false while half the reserve is free, true below that or with none free', async (t) => {
  const store = attachStore(createSharedStore(OPTIONS, { reserveSegments: 4 }), { threadSlot: 0, clock: new ManualClock() });
  const free = (): number => store.shape().segmentsFree;
  const seen = new Map<number, boolean>();
  for (let i = 0; free() > 0; i++) {
    seen.set(free(), store.housekeepUrgent());
    store.store('set', b(`u${i}`), VALUE, 0, 0, 0);
  }
  seen.set(free(), store.housekeepUrgent());
  t.equal(seen.get(16), false, 'an empty heap');
  t.equal(seen.get(2), false, 'exactly half the reserve free');
  t.equal(seen.get(1), true, 'below half the reserve');
  t.equal(seen.get(0), true, 'none free');
  const noEviction = attachStore(createSharedStore({ ...OPTIONS, evictionPolicy: 'none' }, { reserveSegments: 4 }), { threadSlot: 0, clock: new ManualClock() });
  for (let i = 0; noEviction.shape().segmentsFree > 0; i++) noEviction.store('set', b(`n${i}`), VALUE, 0, 0, 0);
  t.equal(noEviction.housekeepUrgent(), false, 'a store that never evicts is never urgent');
});

// A pause of an hour that a writer's wake does not end blocks this file until tap's timeout fails it.
t.test('housekeepPause() ends when a writer on another thread takes a segment below the reserve', async (t) => {
  const handle = createSharedStore(OPTIONS, { reserveSegments: 3 });
  const housekeeper = attachStore(handle, { threadSlot: 0, clock: new ManualClock() });
  housekeeper.housekeep(); // From its first step on, writers wake the housekeeper.
  const cells = new SharedArrayBuffer(4);
  const worker = new Worker(new URL('./pause-writer-worker.ts', import.meta.url), { workerData: { handle, cells } });
  const rounds = new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  housekeeper.housekeepPause(3_600_000);
  Atomics.store(new Int32Array(cells), 0, 1);
  t.ok((await rounds) >= 0, 'the pause returned while the writer ran, and the writer stopped');
  await worker.terminate();
});

t.test('attach refuses a thread slot outside the counters', async (t) => {
  const handle = createSharedStore(OPTIONS, { maxThreads: 2 });
  t.throws(() => attachStore(handle, { threadSlot: 2 }), RangeError);
  t.throws(() => attachStore(handle, { threadSlot: -1 }), RangeError);
  const a = attachStore(handle, { threadSlot: 1 });
  a.store('set', b('x'), b('1'), 0, 0, 0);
  const other = attachStore(handle, { threadSlot: 0 });
  t.equal(other.get(b('x')) >= 0, true, 'another attachment sees the item');
  t.equal(other.totals().getHits, 1);
  t.equal(a.counters.getHits, 0, 'the hit counted in the reader slot only');
});

t.test('the default reserve: one free segment below 64 segments, 1/32 of the heap (2 to 64) from there', async (t) => {
  const reserveAt = (segments: number): number =>
    createSharedStore({ memoryLimitBytes: segments * 64 * 1024, itemSizeMax: 4096, segmentSize: 64 * 1024, hashSeed: 3 }).reserveSegments;
  t.equal(reserveAt(8), 1, '-m 8 keeps one of its eight segments free, not two');
  t.equal(reserveAt(63), 1);
  t.equal(reserveAt(64), 2);
  t.equal(reserveAt(320), 10);
  t.equal(reserveAt(4096), 64);
  t.equal(reserveAt(8192), 64, 'never more than 64');
});

t.test('shape() says the reserve in effect', async (t) => {
  const opts = { memoryLimitBytes: 64 * 64 * 1024, itemSizeMax: 4096, segmentSize: 64 * 1024, hashSeed: 3 };
  t.equal(attachStore(createSharedStore(opts), { threadSlot: 0, clock: new ManualClock() }).shape().reserveSegments, 2, 'the default at 64 segments');
  t.equal(attachStore(createSharedStore(opts, { reserveSegments: 5 }), { threadSlot: 0, clock: new ManualClock() }).shape().reserveSegments, 5, 'a tuned one');
  const noEviction = attachStore(createSharedStore({ ...opts, evictionPolicy: 'none' }), { threadSlot: 0, clock: new ManualClock() });
  t.equal(noEviction.shape().reserveSegments, 0, 'a store that never evicts (-M) keeps none');
});
