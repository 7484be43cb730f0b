// The housekeeper's merge in slices (merge-eviction.ts evictSteps,
// segment-store.ts housekeep): between two slices the store lock is free,
// so clients read, overwrite, delete, touch, write and flush while a merge
// is half done. One thread plays both parts deterministically (a
// housekeeper attachment and a client attachment of one shared store): at
// every pause the store must audit clean, every key must read back its
// model value, and nothing may use the segments the merge holds.

import t from 'tap';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import type { SegmentStore } from '../../segments/segment-store.js';
import { ManualClock, audit, b, prng } from './helpers.js';

const OPTIONS = { memoryLimitBytes: 12 * 64 * 1024, itemSizeMax: 4096, segmentSize: 64 * 1024, hashSeed: 5 };

function pair(reserve: number): { client: SegmentStore; keeper: SegmentStore; clock: ManualClock } {
  const clock = new ManualClock();
  const handle = createSharedStore(OPTIONS, { reserveSegments: reserve, maxThreads: 2 });
  return { client: attachStore(handle, { threadSlot: 0, clock }), keeper: attachStore(handle, { threadSlot: 1, clock }), clock };
}

function read(store: SegmentStore, key: string): string | undefined {
  store.beginRead();
  try {
    const ref = store.get(b(key));
    return ref < 0 ? undefined : store.itemValue(ref).toString('latin1');
  } finally {
    store.endRead();
  }
}

t.test('clients between merge slices: reads right, writes land, audit clean at every pause', async (t) => {
  const { client, keeper, clock } = pair(4);
  const rand = prng(11);
  const model = new Map<string, string>();
  const value = (key: string, n: number): string => `${key}:${n}:${'v'.repeat(100 + Math.floor(rand() * 400))}`;
  let version = 0;
  // Fill the heap; reads give the merge frequencies to rank by.
  for (let i = 0; client.shape().segmentsFree > 3; i++) {
    const key = `k${i}`;
    const v = value(key, version++);
    t.equal(client.store('set', b(key), b(v), 0, 0, 0), 'stored');
    model.set(key, v);
    if (i % 3 === 0) read(client, `k${Math.floor(i / 2)}`);
  }
  const keys = [...model.keys()];
  let pauses = 0;
  let merges = 0;
  const problems: string[] = [];
  for (let round = 0; round < 6; round++) {
    // Take the pool below the reserve so the housekeeper merges.
    for (let i = 0; client.shape().segmentsFree >= 4; i++) {
      const key = `n${round}.${i}`;
      const v = value(key, version++);
      client.store('set', b(key), b(v), 0, 0, 0);
      model.set(key, v);
      keys.push(key);
    }
    const slicesBefore = keeper.counters.mergeSlices;
    while (keeper.housekeep()) {
      if (keeper.counters.mergeSlices === slicesBefore) continue;
      pauses++;
      const heap = client.itemSpace.heap;
      const busy: number[] = [];
      // (A segment the client owns carries its own mark, not the merge's.)
      for (let seg = 0; seg < heap.segmentCount; seg++) if (heap.busy[seg] === 1) busy.push(seg);
      const ends = busy.map((seg) => heap.writeOffset[seg]!);
      for (const p of audit(client)) problems.push(`pause ${pauses}: ${p}`);
      // Every key: the model's value, or evicted (a miss); never another value.
      for (let k = 0; k < keys.length; k += 1 + Math.floor(rand() * 5)) {
        const key = keys[k]!;
        const got = read(client, key);
        if (got !== undefined && got !== model.get(key)) problems.push(`pause ${pauses}: ${key} read ${got.slice(0, 20)}, wrote ${model.get(key)?.slice(0, 20)}`);
        if (got === undefined) model.delete(key);
      }
      // Writes of every kind on keys the merge may be moving.
      for (let j = 0; j < 8; j++) {
        const key = keys[Math.floor(rand() * keys.length)]!;
        const r = rand();
        if (r < 0.4) {
          const v = value(key, version++);
          client.store('set', b(key), b(v), 0, 0, 0);
          model.set(key, v);
        } else if (r < 0.6) {
          client.delete(b(key), 0);
          model.delete(key);
        } else if (r < 0.8) {
          if (client.store('append', b(key), b('+'), 0, 0, 0) === 'stored') model.set(key, `${model.get(key)}+`);
        } else {
          client.touch(b(key), 3600);
        }
      }
      // Nothing appended to, freed or reused a segment the merge holds.
      for (let i = 0; i < busy.length; i++) {
        const seg = busy[i]!;
        if (heap.busy[seg] !== 1 || heap.isFree(seg) || heap.writeOffset[seg] !== ends[i]) problems.push(`pause ${pauses}: busy segment ${seg} changed by clients`);
      }
    }
    merges++;
    for (const p of audit(client)) problems.push(`after merge ${merges}: ${p}`);
    clock.advance(1);
  }
  t.same(problems.slice(0, 10), [], 'audit clean and every read the last value written, at every pause');
  t.ok(pauses >= 6, `merges ran in slices with clients between them (${pauses} pauses)`);
  t.ok(keeper.counters.evictions + keeper.counters.merges > 0, 'the housekeeper merged');
  t.equal(client.counters.inlineMerges, 0, 'no client write had to merge inline');
  for (const [key, v] of model) {
    const got = read(client, key);
    if (got !== undefined && got !== v) t.fail(`${key} changed after the merges`);
  }
});

t.test('a flush_all during a paused merge ends it; the store stays consistent', async (t) => {
  const { client, keeper } = pair(4);
  for (let i = 0; client.shape().segmentsFree > 2; i++) client.store('set', b(`k${i}`), Buffer.alloc(300, 0x61), 0, 0, 0);
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
  const heap = client.itemSpace.heap;
  t.equal([...heap.busy].filter((x) => x !== 0).length, 0, 'no segment left marked busy');
  t.equal(client.store('set', b('after'), b('1'), 0, 0, 0), 'stored');
  t.equal(read(client, 'after'), '1');
});

t.test('a write inside a read bracket is refused; brackets nest', async (t) => {
  const { client } = pair(2);
  client.store('set', b('x'), b('1'), 0, 0, 0);
  client.beginRead();
  try {
    t.ok(client.get(b('x')) >= 0, 'get inside a read bracket');
    client.beginRead();
    t.ok(client.peek(b('x')) >= 0, 'nested');
    client.endRead();
    t.throws(() => client.store('set', b('x'), b('2'), 0, 0, 0), /read bracket/);
  } finally {
    client.endRead();
  }
  client.beginWrite();
  try {
    client.beginRead();
    t.ok(client.get(b('x')) >= 0, 'a read bracket inside a write bracket');
    client.endRead();
    t.equal(client.store('set', b('x'), b('3'), 0, 0, 0), 'stored', 'a write inside a write bracket');
  } finally {
    client.endWrite();
  }
  t.equal(read(client, 'x'), '3');
});

t.test('an expired item a reader finds is unlinked when its bracket ends, and counted once', async (t) => {
  const { client, clock } = pair(2);
  client.store('set', b('e'), b('1'), 0, 5, 0);
  clock.advance(6);
  const items = client.totals().items;
  client.beginRead();
  try {
    t.equal(client.get(b('e')), -1, 'expired: a miss under the shared lock');
    t.equal(client.totals().items, items, 'still linked while the bracket holds the shared lock');
  } finally {
    client.endRead();
  }
  t.equal(client.totals().items, items - 1, 'unlinked at endRead');
  t.equal(client.totals().expiredReclaimed, 1);
  t.equal(client.totals().getExpired, 1);
  t.same(audit(client), []);
});
