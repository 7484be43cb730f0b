// Ghost keys (segments/ghost-keys.ts): an evicted key missed and written
// again is admitted at read frequency 1, so the next merge keeps it over the
// never-read items written around it; without ghosts it competes with them
// as a new item and, the oldest of rank 0, goes first.

import t from 'tap';
import { GhostKeys, RECALL_ASKED, RECALL_EVICTED, RECALL_NONE, ghostEntries } from '../../segments/ghost-keys.js';
import { MergeEvictor } from '../../segments/merge-eviction.js';
import { NEVER_BUCKET } from '../../segments/ttl-buckets.js';
import { audit, b, makeStore } from './helpers.js';

const SEGMENT = 4096;
const VALUE_BYTES = 100;
/** 4-byte keys and 100-byte values: 112-byte records, 36 to a segment. */
const PER_SEGMENT = Math.floor(SEGMENT / 112);
const keyOf = (i: number): string => `k${String(i).padStart(3, '0')}`;
const value = Buffer.alloc(VALUE_BYTES, 0x61);

/** Evicted, then a get missed it: what a look-aside client does before writing the key again. */
function evictedAndMissed(g: GhostKeys, hash: number): void {
  g.remember(hash);
  g.missed(hash);
}

t.test('the table: recall once per eviction, asked for after a miss, overwrite forgets, clear forgets', async (t) => {
  const g = new GhostKeys(16);
  evictedAndMissed(g, 0x12345);
  t.equal(g.recall(0x12345), RECALL_ASKED, 'evicted, missed, written again');
  t.equal(g.recall(0x12345), RECALL_NONE, 'a recall forgets');
  g.remember(0x40);
  t.equal(g.recall(0x40), RECALL_EVICTED, 'written again with no get miss between');
  g.missed(0x40);
  t.equal(g.recall(0x40), RECALL_NONE, 'and that write forgot the ghost');
  g.missed(0x50);
  t.equal(g.recall(0x50), RECALL_NONE, 'a miss of a key never evicted makes no ghost');
  evictedAndMissed(g, 0x10);
  evictedAndMissed(g, 0x20);
  t.equal(g.recall(0x30), RECALL_NONE, 'same slot, another hash');
  t.equal(g.recall(0x20), RECALL_ASKED);
  evictedAndMissed(g, 0x21);
  g.remember(0x31);
  g.missed(0x21);
  t.equal(g.recall(0x21), RECALL_NONE, 'a later eviction into the same slot overwrote it');
  t.equal(g.recall(0x31), RECALL_EVICTED, 'and the miss of the overwritten key did not mark the new one');
  evictedAndMissed(g, 0x44);
  g.remember(0x45);
  t.equal(g.recall(0x44), RECALL_ASKED, 'hashes one bit 0 apart are told apart (the slot holds bit 0)');
  t.equal(g.recall(0x45), RECALL_EVICTED);
  evictedAndMissed(g, 0);
  t.equal(g.recall(0), RECALL_ASKED, 'hash 0 is kept too');
  evictedAndMissed(g, 1);
  t.equal(g.recall(1), RECALL_ASKED, 'hash 1 too');
  g.remember(7);
  const view = new GhostKeys(0, g.memory);
  view.missed(7);
  t.equal(g.recall(7), RECALL_ASKED, "another thread's view shares the table");
  evictedAndMissed(g, 9);
  g.clear();
  t.equal(g.recall(9), RECALL_NONE);
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
function scenario(ghosts: boolean, back: number, lookAside = true): { freqs: number[]; marked: number[]; backKept: number; newKept: number; newAmong: number; problems: string[] } {
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
  const marked: number[] = [];
  const among: number[] = [];
  for (const i of evicted.slice(0, back)) {
    // Look-aside: the client misses, then writes the key back.
    if (lookAside && store.get(b(keyOf(i))) >= 0) throw new Error(`${keyOf(i)} was evicted`);
    store.store('set', b(keyOf(i)), value, 0, 0, 0);
    const at = space.lookup(b(keyOf(i)), clock.seconds);
    freqs.push(space.index.foundFrequency());
    marked.push(space.heap.read[space.segmentOf(at)]!);
    among.push(next);
    store.store('set', b(keyOf(next++)), value, 0, 0, 0);
  }
  while (space.chains.count[NEVER_BUCKET]! < 5) store.store('set', b(keyOf(next++)), value, 0, 0, 0);
  // Merge until the rewritten keys' segments have been through a merge.
  for (let m = 0; m < 3; m++) new MergeEvictor().evict(space, clock.seconds);
  const backKept = evicted.slice(0, back).filter((i) => store.peek(b(keyOf(i))) >= 0).length;
  const newKept = among.filter((i) => store.peek(b(keyOf(i))) >= 0).length;
  return { freqs, marked, backKept, newKept, newAmong: among.length, problems: audit(store) };
}

t.test('an evicted key set again starts at frequency 1 and outlives new keys', async (t) => {
  const back = 10;
  const on = scenario(true, back);
  t.same(on.freqs, new Array<number>(back).fill(1), 'readmitted at frequency 1');
  t.same(on.marked, new Array<number>(back).fill(1), 'its segment marked read');
  t.equal(on.backKept, back, 'every readmitted key kept by the later merges');
  t.ok(on.newKept < on.newAmong, `new keys written among them went first (${on.newKept} of ${on.newAmong} kept)`);
  t.same(on.problems, []);

  const off = scenario(false, back);
  t.same(off.freqs, new Array<number>(back).fill(0), 'without ghosts: a new item');
  t.ok(off.backKept < back, `without ghosts the rewritten keys compete as new (${off.backKept} of ${back} kept)`);
  t.same(off.problems, []);
});

t.test('an evicted key written again with no get miss between keeps its rank but marks no segment read', async (t) => {
  const back = 10;
  const blind = scenario(true, back, false);
  t.same(blind.freqs, new Array<number>(back).fill(1), 'readmitted at frequency 1');
  t.same(blind.marked, new Array<number>(back).fill(0), 'no read was lost, so no read mark (a run with no other read drops its oldest segment whole)');
  t.same(blind.problems, []);
});

t.test('expired items are not ghosts, and flush_all forgets ghosts', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  const space = store.itemSpace;
  for (let i = 0; i < 4 * PER_SEGMENT; i++) store.store('set', b(keyOf(i)), value, 0, 30, 0);
  clock.advance(31);
  new MergeEvictor().evict(space, clock.seconds);
  t.equal(store.counters.evictions, 0);
  t.equal(store.get(b(keyOf(0))), -1);
  store.store('set', b(keyOf(0)), value, 0, 0, 0);
  space.lookup(b(keyOf(0)), clock.seconds);
  t.equal(space.index.foundFrequency(), 0, 'expired, not evicted: a new item');

  const other = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  const s2 = other.store;
  for (let i = 0; i < 5 * PER_SEGMENT; i++) s2.store('set', b(keyOf(i)), value, 0, 0, 0);
  new MergeEvictor().evict(s2.itemSpace, other.clock.seconds);
  t.ok(s2.counters.evictions > 0);
  s2.flushAll(0);
  t.equal(s2.get(b(keyOf(0))), -1);
  s2.store('set', b(keyOf(0)), value, 0, 0, 0);
  s2.itemSpace.lookup(b(keyOf(0)), other.clock.seconds);
  t.equal(s2.itemSpace.index.foundFrequency(), 0, 'flushed: a new item');
});
