// Ghost keys (segments/ghost-keys.ts): an evicted key written again is
// admitted at read frequency 1, so the next merge keeps it over the
// never-read items written around it; without ghosts it competes with them
// as a new item and, the oldest of rank 0, goes first.

import t from 'tap';
import { GhostKeys, ghostEntries } from '../../segments/ghost-keys.js';
import { MergeEvictor } from '../../segments/merge-eviction.js';
import { NEVER_BUCKET } from '../../segments/ttl-buckets.js';
import { audit, b, makeStore } from './helpers.js';

const SEGMENT = 4096;
const VALUE_BYTES = 100;
/** 4-byte keys and 100-byte values: 112-byte records, 36 to a segment. */
const PER_SEGMENT = Math.floor(SEGMENT / 112);
const keyOf = (i: number): string => `k${String(i).padStart(3, '0')}`;
const value = Buffer.alloc(VALUE_BYTES, 0x61);

t.test('the table: recall once per eviction, overwrite forgets, clear forgets', async (t) => {
  const g = new GhostKeys(16);
  g.remember(0x12345);
  t.ok(g.recall(0x12345));
  t.notOk(g.recall(0x12345), 'a recall forgets');
  g.remember(0x10);
  g.remember(0x20);
  t.notOk(g.recall(0x30), 'same slot, another hash');
  t.ok(g.recall(0x20));
  g.remember(0x21);
  g.remember(0x31);
  t.notOk(g.recall(0x21), 'a later eviction into the same slot overwrote it');
  g.remember(0);
  t.ok(g.recall(0), 'hash 0 is kept too');
  g.remember(7);
  const view = new GhostKeys(0, g.memory);
  t.ok(view.recall(7), "another thread's view shares the table");
  g.remember(9);
  g.clear();
  t.notOk(g.recall(9));
  t.equal(ghostEntries(8 * 1048576), 65536);
  t.equal(ghostEntries(8 * 1048576, 512), 16384);
  t.equal(ghostEntries(1), 1024, 'at least 1024');
  t.equal(ghostEntries(2 ** 40), 1 << 22, 'at most 4M');
});

/**
 * (A table far larger than the evictions, so no two evicted keys share a slot.)
 * Four full segments of never-read items (k000..), merged once: the oldest
 * segment (items 0..PER_SEGMENT-1) is evicted. Then the first `back` of
 * those are set again, each followed by a new key, and new keys fill up to
 * four segments. Returns which of the rewritten keys and of the new keys
 * written among them survive a second merge of the oldest three segments.
 */
function scenario(ghosts: boolean, back: number): { freqs: number[]; backKept: number; newKept: number; newAmong: number; problems: string[] } {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' }, { ghostEntries: ghosts ? 1 << 16 : 0 });
  const space = store.itemSpace;
  let next = 0;
  while (space.chains.count[NEVER_BUCKET]! < 4 || space.heap.liveItems[space.chains.tail[NEVER_BUCKET]!]! < PER_SEGMENT) {
    store.store('set', b(keyOf(next++)), value, 0, 0, 0);
  }
  // One item read in the third segment, so the runs are merged by rank (not dropped whole).
  clock.advance(1);
  store.get(b(keyOf(2 * PER_SEGMENT + 1)));
  new MergeEvictor().evict(space, clock.seconds);
  const evicted: number[] = [];
  for (let i = 0; i < next; i++) if (store.peek(b(keyOf(i))) < 0) evicted.push(i);
  const freqs: number[] = [];
  const among: number[] = [];
  for (const i of evicted.slice(0, back)) {
    store.store('set', b(keyOf(i)), value, 0, 0, 0);
    space.lookup(b(keyOf(i)), clock.seconds);
    freqs.push(space.index.foundFrequency());
    among.push(next);
    store.store('set', b(keyOf(next++)), value, 0, 0, 0);
  }
  while (space.chains.count[NEVER_BUCKET]! < 5) store.store('set', b(keyOf(next++)), value, 0, 0, 0);
  // Merge until the rewritten keys' segments have been through a merge.
  for (let m = 0; m < 3; m++) new MergeEvictor().evict(space, clock.seconds);
  const backKept = evicted.slice(0, back).filter((i) => store.peek(b(keyOf(i))) >= 0).length;
  const newKept = among.filter((i) => store.peek(b(keyOf(i))) >= 0).length;
  return { freqs, backKept, newKept, newAmong: among.length, problems: audit(store) };
}

t.test('an evicted key set again starts at frequency 1 and outlives new keys', async (t) => {
  const back = 10;
  const on = scenario(true, back);
  t.same(on.freqs, new Array<number>(back).fill(1), 'readmitted at frequency 1');
  t.equal(on.backKept, back, 'every readmitted key kept by the later merges');
  t.ok(on.newKept < on.newAmong, `new keys written among them went first (${on.newKept} of ${on.newAmong} kept)`);
  t.same(on.problems, []);

  const off = scenario(false, back);
  t.same(off.freqs, new Array<number>(back).fill(0), 'without ghosts: a new item');
  t.ok(off.backKept < back, `without ghosts the rewritten keys compete as new (${off.backKept} of ${back} kept)`);
  t.same(off.problems, []);
});

t.test('expired items are not ghosts, and flush_all forgets ghosts', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  const space = store.itemSpace;
  for (let i = 0; i < 4 * PER_SEGMENT; i++) store.store('set', b(keyOf(i)), value, 0, 30, 0);
  clock.advance(31);
  new MergeEvictor().evict(space, clock.seconds);
  t.equal(store.counters.evictions, 0);
  store.store('set', b(keyOf(0)), value, 0, 0, 0);
  space.lookup(b(keyOf(0)), clock.seconds);
  t.equal(space.index.foundFrequency(), 0, 'expired, not evicted: a new item');

  const other = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  const s2 = other.store;
  for (let i = 0; i < 5 * PER_SEGMENT; i++) s2.store('set', b(keyOf(i)), value, 0, 0, 0);
  new MergeEvictor().evict(s2.itemSpace, other.clock.seconds);
  t.ok(s2.counters.evictions > 0);
  s2.flushAll(0);
  s2.store('set', b(keyOf(0)), value, 0, 0, 0);
  s2.itemSpace.lookup(b(keyOf(0)), other.clock.seconds);
  t.equal(s2.itemSpace.index.foundFrequency(), 0, 'flushed: a new item');
});
