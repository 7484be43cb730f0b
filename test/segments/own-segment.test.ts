// Own segments (segment-store.ts header, "Own segments"): a plain set writes
// its record into its thread's own segment under the shared lock and links
// it under the exclusive lock. These tests drive the two halves
// (writeOwned / linkOwned) by hand with a second store on the same memory
// acting as another thread in between, and check that a record in flight
// is never visible, that an exclusive holder may take the segment back
// meanwhile without losing or tearing anything, and that other threads do
// not append into a segment someone owns.

import t from 'tap';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import type { SegmentStore } from '../../segments/segment-store.js';
import { ItemWalk } from '../../segments/item-walk.js';
import { MERGE_BUSY, OWNED_MARK } from '../../segments/segment-heap.js';
import { ManualClock, audit, b } from './helpers.js';

const OPTIONS = { memoryLimitBytes: 1 << 20, itemSizeMax: 8192, segmentSize: 32 * 1024, hashSeed: 5 };

function pair(): { a: SegmentStore; other: SegmentStore; clock: ManualClock } {
  const clock = new ManualClock();
  const handle = createSharedStore(OPTIONS, { maxThreads: 3 });
  return { a: attachStore(handle, { threadSlot: 1, clock }), other: attachStore(handle, { threadSlot: 2, clock }), clock };
}

function text(store: SegmentStore, key: string): string | undefined {
  store.beginRead();
  try {
    const ref = store.get(b(key));
    return ref < 0 ? undefined : store.itemValue(ref).toString('latin1');
  } finally {
    store.endRead();
  }
}

/** Addresses an item walk (lru_crawler metadump's) visits now. */
function walked(store: SegmentStore): Set<number> {
  const seen = new Set<number>();
  const walk = new ItemWalk(store.itemSpace.heap, () => Math.floor(Date.now() / 1000));
  for (let done = false; !done; ) done = walk.step(1000, (ref) => seen.add(ref));
  return seen;
}

/** The segment `store`'s thread owns (its busy mark), or -1. */
function ownedBy(store: SegmentStore, slot: number): number {
  const busy = store.itemSpace.heap.busy;
  for (let seg = 0; seg < busy.length; seg++) if (busy[seg] === OWNED_MARK + slot) return seg;
  return -1;
}

t.test('the first plain set that opens a segment claims it; later plain sets go through it', (t) => {
  const { a } = pair();
  t.equal(a.store('set', b('k0'), b('v0'), 0, 0, 0), 'stored');
  const seg = ownedBy(a, 1);
  t.ok(seg >= 0, 'a segment carries this thread\'s mark');
  for (let i = 1; i < 50; i++) a.store('set', b(`k${i}`), b(`v${i}`), 0, 0, 0);
  t.equal(a.ownedSets, 49, 'every later plain set took the own-segment path');
  for (let i = 0; i < 50; i++) t.equal(text(a, `k${i}`), `v${i}`);
  t.same(audit(a), []);
  t.end();
});

t.test('a record written outside the exclusive lock is invisible until linked', (t) => {
  const { a, other } = pair();
  a.store('set', b('x'), b('old'), 0, 0, 0);
  const before = walked(other);
  const addr = a.writeOwned(b('x'), b('new value, complete'), 7, 0);
  t.ok(addr >= 0, 'written into the own segment');
  t.equal(text(other, 'x'), 'old', 'another thread still reads the old version');
  t.same([...walked(other)].sort(), [...before].sort(), 'an item walk does not reach the record in flight');
  t.same(audit(other), [], 'the store is consistent with the record in flight');
  t.equal(a.linkOwned(addr, b('x'), b('new value, complete'), 7, 0), 'stored');
  t.equal(text(other, 'x'), 'new value, complete', 'visible, whole, once linked');
  other.beginRead();
  t.equal(other.itemFlags(other.get(b('x'))), 7);
  other.endRead();
  t.equal(other.totals().items, 1, 'the old version was retired');
  t.same(audit(other), []);
  t.end();
});

t.test('a flush_all between the halves: the segment is given back, the set still lands, nothing is overwritten', (t) => {
  const { a, other } = pair();
  for (let i = 0; i < 5; i++) a.store('set', b(`k${i}`), b(`v${i}`), 0, 0, 0);
  const addr = a.writeOwned(b('x'), b('in flight'), 0, 0);
  t.ok(addr >= 0);
  const owned = ownedBy(a, 1);
  other.flushAll(0);
  t.ok(other.itemSpace.heap.isFlushed(owned), 'flush_all left the owned segment below the flush cliff');
  other.expireNow();
  t.equal(ownedBy(a, 1), -1, 'the sweep freed it, ending the ownership');
  // The other thread reuses the freed segments, likely the very one the record lies in.
  for (let i = 0; i < 40; i++) other.store('add', b(`o${i}`), b(`other ${i}`), 0, 0, 0);
  t.equal(a.linkOwned(addr, b('x'), b('in flight'), 0, 0), 'stored', 'fell back to the exclusive path');
  t.equal(text(other, 'x'), 'in flight');
  for (let i = 0; i < 40; i++) t.equal(text(other, `o${i}`), `other ${i}`, `o${i} intact`);
  for (let i = 0; i < 5; i++) t.equal(text(other, `k${i}`), undefined, 'flushed keys stay gone');
  t.same(audit(a), []);
  t.end();
});

t.test('taken back by an exclusive holder that appends where the record lay: the owner notices, both sets land', (t) => {
  const { a, other } = pair();
  a.store('set', b('first'), b('1'), 0, 0, 0);
  const seg = ownedBy(a, 1);
  const addr = a.writeOwned(b('x'), b('mine'), 0, 0);
  t.equal(Math.floor(addr / OPTIONS.segmentSize), seg);
  // What a merge's collectRun does to an owned segment (merge-eviction.ts), done by hand:
  // ownership taken back; the segment is now the chain's tail anyone may append to.
  other.beginWrite();
  other.itemSpace.heap.busy[seg] = 0;
  other.endWrite();
  other.store('add', b('y'), b('theirs, written over the record in flight'), 0, 0, 0);
  t.equal(a.linkOwned(addr, b('x'), b('mine'), 0, 0), 'stored');
  t.equal(text(other, 'x'), 'mine');
  t.equal(text(other, 'y'), 'theirs, written over the record in flight');
  t.equal(a.ownedSets, 0, 'the set went the exclusive way');
  t.same(audit(a), []);
  t.end();
});

t.test("another thread's writes do not append into a segment someone owns", (t) => {
  const { a, other } = pair();
  a.store('set', b('a0'), b('x'), 0, 0, 0);
  const seg = ownedBy(a, 1);
  for (let i = 0; i < 20; i++) {
    other.store('add', b(`o${i}`), b('y'), 0, 0, 0);
    other.store('set', b(`p${i}`), b('z'), 0, 0, 0);
  }
  const heap = a.itemSpace.heap;
  for (let i = 0; i < 20; i++) {
    for (const key of [`o${i}`, `p${i}`]) {
      other.beginRead();
      const ref = other.get(b(key));
      other.endRead();
      t.not(Math.floor(ref / OPTIONS.segmentSize), seg, `${key} is not in the owned segment`);
    }
  }
  t.equal(heap.busy[seg], OWNED_MARK + 1, 'still owned by the first');
  t.end();
});

t.test('under constant eviction owned segments are merged and evicted like any other; at most one per thread', (t) => {
  const { a, other } = pair();
  const value = Buffer.alloc(900, 0x61);
  // Far more than fits: eviction runs inline (no housekeeper) and must reach owned segments too.
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    if (a.store('set', b(`a${i}`), value, 0, 0, 0) !== 'stored') refused++;
    if (i % 3 === 0 && other.store('set', b(`b${i}`), value, 0, 0, 0) !== 'stored') refused++;
  }
  t.equal(refused, 0, 'every set stored');
  t.ok(a.ownedSets > 0 && a.totals().evictions > 0, `${a.ownedSets} sets through own segments, ${a.totals().evictions} evictions`);
  const busy = a.itemSpace.heap.busy;
  let owned = 0;
  for (let seg = 0; seg < busy.length; seg++) if (busy[seg]! >= OWNED_MARK) owned++;
  t.ok(owned <= 2, `at most one owned segment per thread (${owned})`);
  t.notOk(busy.includes(MERGE_BUSY), 'no merge mark left behind');
  t.equal(text(a, 'a2999'), value.toString('latin1'));
  t.same(audit(a), []);
  t.end();
});

t.test('a tiny heap claims nothing (every segment stays evictable as before)', (t) => {
  const handle = createSharedStore({ memoryLimitBytes: 8 * 32 * 1024, itemSizeMax: 8192, segmentSize: 32 * 1024, hashSeed: 5 }, { maxThreads: 2 });
  const s = attachStore(handle, { threadSlot: 1, clock: new ManualClock() });
  for (let i = 0; i < 100; i++) s.store('set', b(`k${i}`), b('v'), 0, 0, 0);
  t.equal(ownedBy(s, 1), -1);
  t.equal(s.ownedSets, 0);
  t.end();
});
