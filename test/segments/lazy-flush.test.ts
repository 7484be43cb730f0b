// flush_all applied lazily, as memcached does: a flush cliff by segment
// generation (SegmentHeap.flushBelowNext / isFlushed). Items stored before a
// flush are misses that count get_flushed; a set over one counts it
// reclaimed; no walker sees them; the housekeeper frees their segments a
// few per step from the second after the flush (a writer short of room takes
// them at once); a warm-restart image never holds them.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import { SegmentStore } from '../../segments/segment-store.js';
import { restoreImage, saveImage } from '../../segments/persist/store-image.js';
import { ManualClock, audit, b, getString } from './helpers.js';

const SEG = 64 * 1024;
const OPTIONS = { memoryLimitBytes: 16 * SEG, itemSizeMax: 4096, segmentSize: SEG, hashSeed: 5 };
const VALUE = Buffer.alloc(300, 0x61);

function pair(reserve = 2): { client: SegmentStore; keeper: SegmentStore; clock: ManualClock } {
  const clock = new ManualClock();
  const handle = createSharedStore(OPTIONS, { reserveSegments: reserve, maxThreads: 2 });
  return { client: attachStore(handle, { threadSlot: 0, clock }), keeper: attachStore(handle, { threadSlot: 1, clock }), clock };
}

function fill(store: SegmentStore, prefix: string, n: number): void {
  for (let i = 0; i < n; i++) store.store('set', b(`${prefix}${i}`), VALUE, 0, 0, 0);
}

function walkKeys(store: SegmentStore): string[] {
  const keys: string[] = [];
  const walk = store.itemWalk();
  while (!walk.step(1000, (ref) => keys.push(store.itemKey(ref).toString('latin1'))));
  return keys;
}

/** Housekeeper steps until it reports nothing pending. */
function settle(keeper: SegmentStore): void {
  for (let i = 0; i < 10_000 && keeper.housekeep(); i++);
}

t.test('a get after flush_all misses and counts get_flushed once; memory stays until the housekeeper frees it', async (t) => {
  const { client, keeper, clock } = pair();
  fill(client, 'k', 1000);
  const heap = client.itemSpace.heap;
  const used = heap.activeCount - heap.freeCount;
  t.ok(used >= 4, `${used} segments in use`);
  client.flushAll(0);
  t.equal(client.counters.items, 1000, 'curr_items drops lazily, as memcached 1.6.18 reports it right after flush_all');
  t.equal(getString(client, 'k1'), undefined, 'a flushed item is a miss');
  t.equal(client.counters.getFlushed, 1, 'get_flushed');
  t.equal(client.counters.getExpired, 0, 'not get_expired');
  t.equal(client.counters.items, 999, 'the get unlinked it');
  t.equal(getString(client, 'k1'), undefined);
  t.equal(client.counters.getFlushed, 1, 'a second get of it is a plain miss');
  t.same(walkKeys(client), [], 'item walks (metadump, cachedump) skip flushed segments');
  t.same(audit(client), []);

  // The housekeeper leaves them for the rest of the flush's second...
  settle(keeper);
  t.equal(heap.activeCount - heap.freeCount, used, 'nothing freed in the flush second');
  t.equal(getString(client, 'k2'), undefined);
  t.equal(client.counters.getFlushed, 2);
  // ...and frees them from the next one, a few segments per step.
  clock.advance(1);
  const steps = (() => {
    let n = 0;
    while (keeper.housekeep()) n++;
    return n;
  })();
  t.ok(steps >= 1, `${steps} steps`);
  t.equal(heap.freeCount, heap.activeCount, 'every flushed segment back in the free pool');
  t.equal(client.counters.items, 0, 'curr_items 0');
  t.equal(client.counters.bytes, 0, 'bytes 0');
  // Counters are per thread: the get counted in the client's row, the sweep in the housekeeper's.
  t.equal(client.counters.expiredReclaimed, 2, 'the two gets reclaimed theirs');
  t.equal(keeper.counters.expiredReclaimed, 998, 'the sweep the rest: each flushed item reclaimed once');
  t.equal(keeper.counters.crawlerReclaimed, 0, 'not counted as crawler_reclaimed (memcached: its LRU maintainer reclaims them)');
  t.same(audit(client), []);
});

t.test('a set over a flushed key counts reclaimed, and the new item is not flushed', async (t) => {
  const { client } = pair();
  client.store('set', b('key'), b('1'), 0, 0, 0);
  t.equal(client.counters.expiredReclaimed, 0);
  client.flushAll(0);
  t.equal(client.store('set', b('key'), b('2'), 0, 0, 0), 'stored');
  t.equal(client.counters.expiredReclaimed, 1, 'reclaimed (t/issue_183.t)');
  t.equal(client.counters.items, 1);
  t.equal(getString(client, 'key'), '2', 'the new version lands in a segment above the cliff');
  t.equal(client.counters.getFlushed, 0, 'a set is not a get');
  t.equal(client.store('add', b('key'), b('3'), 0, 0, 0), 'not_stored', 'add sees the live one');
  t.same(walkKeys(client), ['key']);
  t.same(audit(client), []);
});

t.test('writes after a flush never land in a flushed segment (chain tails and owned segments)', async (t) => {
  const { client, keeper, clock } = pair();
  // Part of a segment filled: the tail has room a new record would fit in.
  fill(client, 'old', 20);
  client.flushAll(0);
  fill(client, 'new', 200);
  for (let i = 0; i < 200; i++) t.equal(getString(client, `new${i}`), VALUE.toString('latin1'), `new${i}`);
  t.equal(client.counters.getFlushed, 0);
  clock.advance(1);
  settle(keeper);
  for (let i = 0; i < 200; i++) if (getString(client, `new${i}`) === undefined) t.fail(`new${i} lost to the sweep`);
  for (let i = 0; i < 20; i++) t.equal(getString(client, `old${i}`), undefined);
  t.same(audit(client), []);
});

t.test('a writer short of room takes flushed segments at once (no eviction)', async (t) => {
  const { client } = pair();
  let n = 0;
  for (; client.shape().segmentsFree > 1; n++) client.store('set', b(`k${n}`), VALUE, 0, 0, 0);
  t.equal(client.counters.evictions, 0, `${n} items, the heap is full, nothing evicted yet`);
  const evictionsBefore = client.counters.evictions;
  client.flushAll(0);
  fill(client, 'n', 2000);
  t.equal(client.counters.evictions, evictionsBefore, 'nothing live was evicted to make room');
  for (let i = 0; i < 2000; i += 97) t.equal(getString(client, `n${i}`), VALUE.toString('latin1'));
  for (let i = 0; i < n; i += 97) t.equal(getString(client, `k${i}`), undefined);
  t.same(audit(client), []);
});

t.test('a flush_all during a paused merge: nothing the merge still held comes back', async (t) => {
  const { client, keeper, clock } = pair(4);
  let n = 0;
  for (; client.shape().segmentsFree > 2; n++) client.store('set', b(`k${n}`), VALUE, 0, 0, 0);
  const before = keeper.counters.mergeSlices;
  let flushed = false;
  while (keeper.housekeep()) {
    if (!flushed && keeper.counters.mergeSlices > before) {
      client.flushAll(0);
      flushed = true;
    }
  }
  t.ok(flushed, 'the flush came while a merge was paused');
  t.same(audit(client), []);
  let back = 0;
  for (let i = 0; i < n; i++) if (getString(client, `k${i}`) !== undefined) back++;
  t.equal(back, 0, 'no item stored before the flush is readable');
  t.same(walkKeys(client), []);
  clock.advance(1);
  settle(keeper);
  const heap = client.itemSpace.heap;
  t.equal(heap.freeCount, heap.activeCount, 'and all of it comes back as free memory');
  t.equal(client.counters.items, 0);
  t.same(audit(client), []);
});

t.test('a delayed flush_all: readers count get_flushed once it is due, before any writer applies it', async (t) => {
  const { client, keeper, clock } = pair();
  fill(client, 'k', 100);
  client.flushAll(5);
  t.equal(getString(client, 'k1'), VALUE.toString('latin1'), 'before the flush is due');
  clock.advance(5);
  // A get under the shared lock (a read bracket), as worker threads read.
  client.beginRead();
  try {
    t.equal(client.get(b('k2')), -1, 'due: a miss');
  } finally {
    client.endRead();
  }
  t.equal(client.counters.getFlushed, 1, 'counted get_flushed');
  t.equal(getString(client, 'k3'), undefined);
  t.equal(client.counters.getFlushed, 2);
  client.store('set', b('after'), b('x'), 0, 0, 0);
  t.equal(getString(client, 'after'), 'x', 'stored in the flush second: kept (CAS on)');
  clock.advance(1);
  settle(keeper);
  t.equal(client.counters.items, 1, 'only the item stored after the flush is left');
  t.same(walkKeys(client), ['after']);
  t.same(audit(client), []);
});

t.test('warm restart: flushed segments are not saved; a pending delayed flush still is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gac-flush-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new ManualClock();
  const store = new SegmentStore({ ...OPTIONS, clock });
  fill(store, 'old', 500);
  store.flushAll(0);
  fill(store, 'new', 100);
  const file = join(dir, 'image');
  const saved = saveImage(store.imagePort(), file);
  t.ok(saved.ok, saved.reason);
  t.equal(saved.items, 100, 'only the items stored after the flush are in the image');
  t.same(audit(store), [], 'the saving store freed its flushed segments and stays consistent');

  const again = new SegmentStore({ ...OPTIONS, clock });
  const restored = restoreImage(again.imagePort(), file);
  t.ok(restored.warm, restored.reason);
  t.equal(again.counters.items, 100);
  t.equal(getString(again, 'new7'), VALUE.toString('latin1'));
  t.equal(getString(again, 'old7'), undefined);
  t.equal(again.counters.getFlushed, 0, 'a plain miss: nothing flushed survives a restart');
  t.same(audit(again), []);

  // A delayed flush pending at the save is applied after the restart.
  again.flushAll(10);
  const file2 = join(dir, 'image2');
  t.ok(saveImage(again.imagePort(), file2).ok);
  const third = new SegmentStore({ ...OPTIONS, clock });
  t.ok(restoreImage(third.imagePort(), file2).warm);
  t.equal(getString(third, 'new8'), VALUE.toString('latin1'), 'before the delay passes');
  clock.advance(10);
  t.equal(getString(third, 'new8'), undefined, 'after it');
  t.equal(third.counters.getFlushed, 1);
  t.same(audit(third), []);
});

t.test('a writer short of room after flush_all on a full heap frees one flushed segment, not all of them', async (t) => {
  const { client } = pair(0);
  let n = 0;
  for (; client.shape().segmentsFree > 0; n++) client.store('set', b(`k${n}`), VALUE, 0, 0, 0);
  const heap = client.itemSpace.heap;
  const flushedSegments = (): number => {
    let count = 0;
    for (let seg = 0; seg < heap.segmentCount; seg++) if (!heap.isFree(seg) && heap.isFlushed(seg)) count++;
    return count;
  };
  // Fill the last open segment too, so the next set needs a new one.
  for (let i = 0; i < 400; i++, n++) client.store('set', b(`k${n}`), VALUE, 0, 0, 0);
  client.flushAll(0);
  const before = flushedSegments();
  const evictionsBefore = client.counters.evictions;
  t.ok(before >= 8, `${before} flushed segments`);
  let sets = 0;
  for (; sets < 400 && flushedSegments() === before; sets++) client.store('set', b(`after${sets}`), VALUE, 0, 0, 0);
  t.ok(sets < 400, `a set needed room after ${sets} sets`);
  t.equal(flushedSegments(), before - 1, 'the set that needed room freed exactly one flushed segment');
  t.equal(client.counters.evictions, evictionsBefore, 'and evicted nothing');
  t.equal(getString(client, `after${sets - 1}`), VALUE.toString('latin1'), 'the set is readable');
  t.same(audit(client), []);
});

t.test('a save while a paused merge still holds flushed items is refused (they would come back)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gac-lazy-flush-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new ManualClock();
  const handle = createSharedStore(OPTIONS, { reserveSegments: 4, maxThreads: 2, mergeSliceRecords: 16 });
  const client = attachStore(handle, { threadSlot: 0, clock });
  const keeper = attachStore(handle, { threadSlot: 1, clock });
  let n = 0;
  for (; client.shape().segmentsFree > 2; n++) client.store('set', b(`k${n}`), VALUE, 0, 0, 0);
  const heap = client.itemSpace.heap;
  const mergeHeldItems = (): number => {
    let items = 0;
    for (let seg = 0; seg < heap.segmentCount; seg++) if (heap.busy[seg] === 1) items += heap.liveItems[seg]!;
    return items;
  };
  let flushed = false;
  for (let i = 0; i < 10_000 && keeper.housekeep(); i++) {
    if (mergeHeldItems() > 0) {
      client.flushAll(0);
      flushed = true;
      break;
    }
  }
  t.ok(flushed, 'flush_all while a merge is paused holding items');
  const file = join(dir, 'image');
  const saved = saveImage(client.imagePort(), file);
  t.notOk(saved.ok, 'not saved');
  t.match(saved.reason, /flush_all/);
  const again = new SegmentStore({ ...OPTIONS, clock });
  const restored = restoreImage(again.imagePort(), file);
  t.notOk(restored.warm, 'the next start is cold');
  let back = 0;
  for (let i = 0; i < n; i++) if (getString(again, `k${i}`) !== undefined) back++;
  t.equal(back, 0, 'no flushed item comes back');
  // Once the merge has moved on, the save goes through.
  settle(keeper);
  t.ok(saveImage(client.imagePort(), file).ok, 'saved after the housekeeper finished');
});
