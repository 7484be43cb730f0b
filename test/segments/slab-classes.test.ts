// The per-memcached-slab-class counters (segments/slab-classes.ts): the
// class arithmetic is memcached's series, and after any mix of writes,
// reads, deletes, expiry and eviction the classes add up to the store's own
// counters and hold exactly the live items a walk of the keys finds.

import t from 'tap';
import { SegmentStore } from '../../segments/segment-store.js';
import { attachStore } from '../../segments/shared-store.js';
import { chunkSizeOf, memcachedItemSize, slabClassFor, type ClassFigures } from '../../segments/slab-classes.js';

/** memcached 1.6's chunk series (-n 48, -f 1.25), as the old loop computed it. */
function loopClass(size: number): number {
  let chunk = 96;
  let cls = 1;
  while (chunk < size && cls < 63) {
    chunk = Math.ceil((chunk * 1.25) / 8) * 8;
    cls++;
  }
  return cls;
}

t.test('class of a size: memcached series, table and loop agree', async (t) => {
  let bad = 0;
  for (let size = 0; size <= (1 << 20) + 4096; size++) if (slabClassFor(size) !== loopClass(size)) bad++;
  for (const size of [5 << 20, 64 << 20, 2 ** 31]) if (slabClassFor(size) !== loopClass(size)) bad++;
  t.equal(bad, 0);
  // memcached 1.6.18's first classes and the 66 KB items of its t/issue_163.t.
  t.same([1, 2, 3, 4, 5].map(chunkSizeOf), [96, 120, 152, 192, 240]);
  t.equal(slabClassFor(memcachedItemSize(3, 66560, 0, true)), 31);
  t.equal(chunkSizeOf(31), 82792);
});

function sum(classes: ClassFigures[], field: keyof ClassFigures): number {
  return classes.reduce((n, c) => n + (c[field] as number), 0);
}

/** Per class: the live items and their class counted from the keys we know of. */
function liveByClass(store: SegmentStore, keys: Iterable<string>): Map<number, number> {
  const out = new Map<number, number>();
  for (const key of keys) {
    const ref = store.peek(Buffer.from(key));
    if (ref < 0) continue;
    const cls = slabClassFor(memcachedItemSize(key.length, store.itemValueLength(ref), store.itemFlags(ref), true));
    out.set(cls, (out.get(cls) ?? 0) + 1);
  }
  return out;
}

for (const evictionPolicy of ['merge', 'fifo'] as const) {
  t.test(`classes add up to the store's counters (${evictionPolicy} eviction)`, async (t) => {
    let now = 1_700_000_000_000;
    const store = new SegmentStore({
      memoryLimitBytes: 2 * 1024 * 1024,
      itemSizeMax: 64 * 1024,
      segmentSize: 64 * 1024,
      evictionPolicy,
      clock: { nowMs: () => now },
    });
    const keys = new Set<string>();
    let sets = 0;
    let seed = 12345;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let i = 0; i < 40_000; i++) {
      const key = `k${rand(8000)}`;
      const op = rand(20);
      if (op < 10) {
        const size = [1, 100, 1000, 3000, 5000][rand(5)]!;
        store.store('set', Buffer.from(key), Buffer.alloc(size, 1), rand(3) === 0 ? 7 : 0, rand(8) === 0 ? 1 + rand(5) : 0, 0);
        keys.add(key);
        sets++;
      } else if (op < 16) store.get(Buffer.from(key));
      else if (op < 19) store.delete(Buffer.from(key), 0);
      else now += 500;
      if (i % 5000 === 0) store.expireNow();
    }
    const classes = store.slabClasses();
    const c = store.counters;
    t.ok(c.evictions > 0 && c.expiredReclaimed > 0 && c.crawlerReclaimed > 0, `evicted ${c.evictions}, reclaimed ${c.expiredReclaimed}`);
    t.equal(sum(classes, 'items'), c.items, 'number adds up to curr_items');
    t.equal(sum(classes, 'bytes'), c.bytes, 'mem_requested adds up to bytes');
    t.equal(sum(classes, 'evicted'), c.evictions);
    t.equal(sum(classes, 'reclaimed'), c.expiredReclaimed);
    t.equal(sum(classes, 'expiredUnfetched'), c.expiredUnfetched);
    t.equal(sum(classes, 'evictedUnfetched'), c.evictedUnfetched);
    t.equal(sum(classes, 'crawlerReclaimed'), c.crawlerReclaimed);
    t.equal(sum(classes, 'crawlerItemsChecked'), c.crawlerItemsChecked);
    t.equal(sum(classes, 'getHits'), c.getHits);
    t.equal(sum(classes, 'deleteHits'), c.deleteHits);
    t.equal(sum(classes, 'cmdSet'), sets, 'every set counts in its class');
    t.ok(sum(classes, 'evictedNonzero') < c.evictions, 'evicted_nonzero counts only items with an exptime');
    // Expired items not yet reclaimed count as items (as in curr_items);
    // past every exptime, a sweep leaves only the live ones.
    now += 10_000;
    for (const key of keys) store.get(Buffer.from(key));
    const after = store.slabClasses();
    t.same(new Map(after.filter((x) => x.items > 0).map((x) => [x.cls, x.items])), liveByClass(store, keys), 'each class holds exactly its live items');
    t.equal(sum(after, 'items'), store.counters.items);
    // Every class with live items is in at least one segment in use.
    const shape = store.shape();
    for (const x of classes) {
      if (x.items > 0) t.ok(x.segments >= 1 && x.segments <= shape.segmentsTotal - shape.segmentsFree, `class ${x.cls}: ${x.segments} segments`);
    }
  });
}

t.test('commands per class; stats reset and flush_all', async (t) => {
  const now = 1_700_000_000_000;
  const store = new SegmentStore({ memoryLimitBytes: 4 << 20, itemSizeMax: 1 << 20, segmentSize: 1 << 20, clock: { nowMs: () => now } });
  const small = Buffer.from('5');
  const big = Buffer.alloc(3000, 120);
  store.store('set', Buffer.from('n'), small, 0, 0, 0);
  store.store('set', Buffer.from('big'), big, 0, 0, 0);
  store.get(Buffer.from('big'));
  store.get(Buffer.from('big'));
  store.arith(Buffer.from('n'), true, 1n, undefined, 0, 0);
  store.arith(Buffer.from('n'), false, 1n, undefined, 0, 0);
  store.touch(Buffer.from('big'), 100);
  const casOf = store.itemCas(store.peek(Buffer.from('n')));
  store.store('cas', Buffer.from('n'), small, 0, 0, casOf + 1000);
  store.store('cas', Buffer.from('n'), small, 0, 0, casOf);
  store.delete(Buffer.from('n'), 0);
  const byClass = new Map(store.slabClasses().map((c) => [c.cls, c]));
  const bigClass = slabClassFor(memcachedItemSize(3, 3000, 0, true));
  t.equal(bigClass, 17);
  const b = byClass.get(bigClass)!;
  const one = byClass.get(1)!;
  t.same([b.items, b.getHits, b.touchHits, b.cmdSet], [1, 2, 1, 1]);
  t.same([one.items, one.incrHits, one.decrHits, one.casHits, one.casBadval, one.deleteHits, one.cmdSet], [0, 1, 1, 1, 1, 1, 3]);
  t.equal(one.segments, 1, 'no live item, but its records still take a segment');

  store.resetCounters();
  const reset = new Map(store.slabClasses().map((c) => [c.cls, c]));
  t.same([reset.get(bigClass)!.items, reset.get(bigClass)!.getHits, reset.get(1)!.cmdSet], [1, 0, 0], 'events to zero, gauges stay');

  store.flushAll(0);
  // Lazily, as memcached: the flushed items leave their classes as the sweep frees them.
  store.expireNow();
  const after = store.slabClasses();
  t.same(
    after.map((c) => [c.items, c.segments]),
    after.map(() => [0, 0]),
    'flush_all empties every class (what is left listed is the reclaimed count)',
  );
  t.equal(after.reduce((n, c) => n + c.reclaimed, 0), 1, 'the one live item (big) reclaimed');
});

t.test('threads: each counts in its own row, stats sums them', async (t) => {
  const store = new SegmentStore({ memoryLimitBytes: 4 << 20, itemSizeMax: 1 << 20, segmentSize: 1 << 20 });
  const other = attachStore(store.handle, { threadSlot: 1 });
  store.store('set', Buffer.from('a'), Buffer.from('1'), 0, 0, 0);
  other.store('set', Buffer.from('b'), Buffer.from('2'), 0, 0, 0);
  for (let i = 0; i < 3; i++) other.get(Buffer.from('a'));
  store.get(Buffer.from('b'));
  for (const view of [store, other]) {
    const one = view.slabClasses().find((c) => c.cls === 1)!;
    t.same([one.items, one.cmdSet, one.getHits], [2, 2, 4]);
  }
});

t.test('a warm restart counts restored items in their classes (index restored or rebuilt)', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { restoreImage, saveImage } = await import('../../segments/persist/store-image.js');
  const dir = mkdtempSync(join(tmpdir(), 'gac-slab-classes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'image');
  const clock = { nowMs: () => 1_700_000_000_000 };
  const options = { memoryLimitBytes: 8 << 20, itemSizeMax: 64 * 1024, segmentSize: 256 * 1024, clock };
  const store = new SegmentStore({ ...options, hashSeed: 5 });
  for (let i = 0; i < 3000; i++) store.store('set', Buffer.from(`r${i}`), Buffer.alloc([3, 200, 2000][i % 3]!, 1), i % 4, 0, 0);
  for (let i = 0; i < 3000; i += 7) store.delete(Buffer.from(`r${i}`), 0);
  t.ok(saveImage(store.imagePort(), file).ok);
  const gauges = (s: SegmentStore): string[] => s.slabClasses().filter((c) => c.items > 0).map((c) => `${c.cls} ${c.items} ${c.bytes} ${c.segments}`);
  t.ok(gauges(store).length >= 3);
  for (const seed of [5, 6]) {
    const again = new SegmentStore({ ...options, hashSeed: seed });
    const restored = restoreImage(again.imagePort(), file);
    t.ok(restored.warm, restored.reason);
    t.same(gauges(again), gauges(store), seed === 5 ? 'index restored' : 'index rebuilt');
  }
});
