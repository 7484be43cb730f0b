// Merge eviction, one merge at a time on a hand-built heap: which items a
// merge keeps, how many segments it frees, that it never evicts what fits,
// that read counts survive a move; and, under a long look-aside churn, that
// the heap stays mostly live.

import t from 'tap';
import { MergeEvictor } from '../../segments/merge-eviction.js';
import { NEVER_BUCKET } from '../../segments/ttl-buckets.js';
import type { SegmentStore } from '../../segments/segment-store.js';
import { audit, b, getString, makeStore, type ManualClock } from './helpers.js';

const SEGMENT = 4096;
/** 4-byte keys and 100-byte values: 112-byte records, 36 to a segment. */
const VALUE_BYTES = 100;
const PER_SEGMENT = Math.floor(SEGMENT / 112);

const keyOf = (i: number): string => `k${String(i).padStart(3, '0')}`;
const valueOf = (i: number): Buffer => Buffer.alloc(VALUE_BYTES, 0x41 + (i % 26));

/**
 * A store whose never-expiring chain is `segments` full segments (the last
 * one the tail, which merges leave alone); item i sits in segment
 * floor(i / PER_SEGMENT) of the chain.
 */
function filled(segments: number, exptime = 0): { store: SegmentStore; clock: ManualClock; count: number } {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  const count = segments * PER_SEGMENT;
  for (let i = 0; i < count; i++) store.store('set', b(keyOf(i)), valueOf(i), 0, exptime, 0);
  return { store, clock, count };
}

function chainLength(store: SegmentStore, bucket = NEVER_BUCKET): number {
  return store.itemSpace.chains.count[bucket]!;
}

function held(store: SegmentStore, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (store.peek(b(keyOf(i))) >= 0) out.push(i);
  return out;
}

function range(from: number, to: number, keep: (i: number) => boolean = () => true): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (keep(i)) out.push(i);
  return out;
}

t.test('a run whose live items fit one segment fewer is compacted, nothing evicted', async (t) => {
  const { store, clock, count } = filled(4);
  // Two items in three deleted from the three mergeable segments.
  for (let i = 0; i < 3 * PER_SEGMENT; i++) if (i % 3 !== 0) store.delete(b(keyOf(i)), 0);
  const before = { ...store.counters };
  t.ok(new MergeEvictor().evict(store.itemSpace, clock.seconds));
  t.equal(store.counters.evictions, before.evictions, 'no live item evicted');
  t.equal(store.counters.items, before.items);
  t.equal(chainLength(store), 2, 'three segments became one, next to the tail');
  t.same(held(store, 0, count), range(0, count, (i) => i >= 3 * PER_SEGMENT || i % 3 === 0));
  for (const i of [0, 3, 3 * PER_SEGMENT - 3, count - 1]) t.equal(getString(store, keyOf(i)), valueOf(i).toString());
  t.same(audit(store), []);
});

t.test('a full run loses one segment: the unread items, oldest first', async (t) => {
  const { store, clock, count } = filled(4);
  const run = 3 * PER_SEGMENT;
  // Two thirds of the run's items are read (some many times), spread over all three segments.
  const read = (i: number): boolean => i % 3 !== 0;
  for (let second = 0; second < 3; second++) {
    clock.advance(1);
    for (let i = 0; i < run; i++) if (read(i) && (second === 0 || i % 2 === 0)) store.get(b(keyOf(i)));
  }
  const before = store.counters.evictions;
  t.ok(new MergeEvictor().evict(store.itemSpace, clock.seconds));
  t.equal(chainLength(store), 3, 'one segment freed');
  t.equal(store.counters.evictions - before, PER_SEGMENT, 'one segment of items evicted');
  t.same(held(store, 0, run), range(0, run, read), 'every read item kept, every unread one dropped');
  t.same(held(store, run, count), range(run, count), 'the tail untouched');
  // Read counts moved with the items (Segcache would restart them at 0).
  const space = store.itemSpace;
  t.ok(space.lookup(b(keyOf(2)), clock.seconds) >= 0);
  t.equal(space.index.foundFrequency(), 3, 'read in three seconds');
  t.ok(space.lookup(b(keyOf(1)), clock.seconds) >= 0);
  t.equal(space.index.foundFrequency(), 1);
  t.same(audit(store), []);
});

t.test('of items read equally, a merge keeps the most read per byte', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  // Alternate small and large items, every one read once, until four segments are written.
  const keys: Array<{ key: string; large: boolean }> = [];
  for (let i = 0; store.itemSpace.chains.count[NEVER_BUCKET]! < 4 || i % 2 === 1; i++) {
    const large = i % 2 === 1;
    keys.push({ key: keyOf(i), large });
    store.store('set', b(keyOf(i)), Buffer.alloc(large ? 400 : 40), 0, 0, 0);
  }
  clock.advance(1);
  for (const { key } of keys) store.get(b(key));
  t.ok(new MergeEvictor().evict(store.itemSpace, clock.seconds));
  let smallLost = 0;
  let largeLost = 0;
  for (const { key, large } of keys) {
    if (store.peek(b(key)) >= 0) continue;
    if (large) largeLost++;
    else smallLost++;
  }
  t.ok(largeLost > 0, `${largeLost} large items evicted`);
  t.equal(smallLost, 0, 'small items, as often read for far fewer bytes, all kept');
  t.same(audit(store), []);
});

t.test('items near a segment in size: a merge of three read ones keeps two', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  for (let i = 0; i < 4; i++) store.store('set', b(keyOf(i)), Buffer.alloc(3000, 0x61 + i), 0, 0, 0);
  t.equal(chainLength(store), 4, 'one item per segment');
  clock.advance(1);
  for (let i = 0; i < 3; i++) store.get(b(keyOf(i)));
  clock.advance(1);
  store.get(b(keyOf(2)));
  t.ok(new MergeEvictor().evict(store.itemSpace, clock.seconds));
  t.equal(chainLength(store), 3, 'one segment freed');
  t.equal(store.counters.evictions, 1);
  t.same(held(store, 0, 4), [1, 2, 3], 'the oldest of the equally read pair went');
  t.equal(getString(store, keyOf(2)), Buffer.alloc(3000, 0x63).toString());
  t.same(audit(store), []);
});

t.test('a full run nobody read loses its oldest segment whole, nothing moved', async (t) => {
  const { store, clock, count } = filled(4);
  const space = store.itemSpace;
  const second = space.segmentOf(store.peek(b(keyOf(PER_SEGMENT))));
  const before = store.peek(b(keyOf(PER_SEGMENT)));
  t.ok(new MergeEvictor().evict(space, clock.seconds));
  t.equal(chainLength(store), 3, 'one segment freed');
  t.same(held(store, 0, count), range(PER_SEGMENT, count), 'the oldest segment of items gone, the rest kept');
  t.equal(store.counters.evictions, PER_SEGMENT);
  t.equal(store.counters.merges, 0, 'no merge ran');
  t.equal(store.peek(b(keyOf(PER_SEGMENT))), before, 'the next segment was not rewritten');
  t.equal(space.heap.read[second], 0);
  t.equal(getString(store, keyOf(PER_SEGMENT)), valueOf(PER_SEGMENT).toString());
  t.same(audit(store), []);
});

t.test('one read item is enough for a run to be merged by rank', async (t) => {
  const { store, clock, count } = filled(4);
  const space = store.itemSpace;
  clock.advance(1);
  t.ok(store.get(b(keyOf(2 * PER_SEGMENT))) >= 0);
  t.equal(space.heap.read[space.segmentOf(store.peek(b(keyOf(2 * PER_SEGMENT))))], 1, 'the read marks its segment');
  t.ok(new MergeEvictor().evict(space, clock.seconds));
  t.equal(store.counters.merges, 1, 'a merge ran');
  t.equal(chainLength(store), 3, 'one segment freed');
  t.ok(store.peek(b(keyOf(2 * PER_SEGMENT))) >= 0, 'the read item kept');
  t.equal(held(store, 0, count).length, count - PER_SEGMENT);
  t.same(audit(store), []);
});

t.test('merge_segments 2: a merge takes two segments and leaves the third alone', async (t) => {
  for (const [segments, thirdMoves] of [
    [2, false],
    [3, true],
  ] as const) {
    const { store, clock, count } = filled(5);
    clock.advance(1);
    // Every item of the first three segments read once, so the merge ranks.
    for (let i = 0; i < 3 * PER_SEGMENT; i++) store.get(b(keyOf(i)));
    // A CAS token derives from the segment's generation, renewed when a merge rewrites it.
    const casOfThird = (): number => store.itemCas(store.peek(b(keyOf(2 * PER_SEGMENT))));
    const third = casOfThird();
    t.ok(new MergeEvictor(segments).evict(store.itemSpace, clock.seconds));
    t.equal(store.counters.merges, 1);
    t.equal(chainLength(store), 4, `${segments}: one segment freed`);
    t.equal(store.counters.evictions, PER_SEGMENT, `${segments}: one segment of items evicted`);
    t.equal(casOfThird() !== third, thirdMoves, `${segments}: the third segment ${thirdMoves ? 'is' : 'is not'} rewritten`);
    t.equal(held(store, 0, count).length, count - PER_SEGMENT);
    t.same(audit(store), []);
  }
});

t.test('expired items in a run are reclaimed, not evicted', async (t) => {
  const { store, clock, count } = filled(4, 30);
  const space = store.itemSpace;
  const bucket = space.heap.bucket[space.segmentOf(store.peek(b(keyOf(0))))]!;
  clock.advance(31);
  // Rewritten without a TTL after the deadline: these live on in another chain.
  for (let i = 0; i < 20; i += 4) store.store('set', b(keyOf(i)), valueOf(i), 0, 0, 0);
  let inRun = 0;
  for (let seg = space.chains.head[bucket]!, n = 0; n < 3; seg = space.heap.next[seg]!, n++) inRun += space.heap.liveItems[seg]!;
  const before = { ...store.counters };
  t.ok(new MergeEvictor().evict(space, clock.seconds));
  t.equal(store.counters.evictions, before.evictions, 'nothing evicted');
  t.equal(store.counters.expiredReclaimed - before.expiredReclaimed, inRun, "the run's expired items reclaimed");
  t.same(held(store, 0, count), [0, 4, 8, 12, 16], 'only the rewritten keys left');
  for (let i = 0; i < 20; i += 4) t.equal(getString(store, keyOf(i)), valueOf(i).toString());
  t.same(audit(store), []);
});

t.test('under look-aside churn the heap stays mostly live', async (t) => {
  const segments = 40;
  const { store, clock } = makeStore({ memoryLimitBytes: segments * 16 * 1024, segmentSize: 16 * 1024, evictionPolicy: 'merge' });
  // Skewed popularity over 40,000 keys of ~150 bytes (about 9x the heap), half the requests sets.
  let seed = 7;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  let low = Infinity;
  let sampled = 0;
  for (let op = 0; op < 300_000; op++) {
    if (op % 2000 === 0) clock.advance(1);
    const key = b(`key${Math.floor(40_000 * random() ** 3)}`);
    if (random() < 0.5 || store.get(key) < 0) store.store('set', key, Buffer.alloc(120 + (op % 60)), 0, 0, 0);
    if (op > 100_000 && op % 1000 === 0) {
      low = Math.min(low, store.counters.bytes / (segments * 16 * 1024));
      sampled++;
    }
  }
  t.ok(store.counters.merges > 100, `${store.counters.merges} merges`);
  t.ok(sampled > 100);
  t.ok(low > 0.75, `live bytes never below 75% of the heap once full (lowest ${(low * 100).toFixed(1)}%)`);
  t.same(audit(store), []);
});

t.test('clean before evicting: a mostly dead run past the cursor is compacted instead of evicting', async (t) => {
  for (const cleanFirst of [true, false]) {
    MergeEvictor.cleanFirst = cleanFirst;
    try {
      const { store, clock, count } = filled(7);
      clock.advance(1);
      // The cursor's run (the oldest three segments) is all live and read; the next three lost two items in three.
      for (let i = 0; i < 3 * PER_SEGMENT; i++) store.get(b(keyOf(i)));
      const deleted = (i: number): boolean => i >= 3 * PER_SEGMENT && i < 6 * PER_SEGMENT && i % 3 !== 0;
      for (let i = 0; i < count; i++) if (deleted(i)) store.delete(b(keyOf(i)), 0);
      t.ok(new MergeEvictor().evict(store.itemSpace, clock.seconds));
      if (cleanFirst) {
        t.equal(chainLength(store), 5, 'three segments a third live became one');
        t.equal(store.counters.evictions, 0, 'nothing evicted: the dead run was compacted');
        t.same(held(store, 0, count), range(0, count, (i) => !deleted(i)), 'every live item kept');
        // The cursor stayed: the next merge takes the oldest run (evicting, as nothing else is dead).
        t.ok(new MergeEvictor().evict(store.itemSpace, clock.seconds));
        t.ok(store.counters.evictions > 0);
        t.ok(held(store, 3 * PER_SEGMENT, count).length === range(3 * PER_SEGMENT, count, (i) => !deleted(i)).length, 'the compacted run untouched by the second merge');
      } else {
        t.equal(chainLength(store), 6, 'one segment freed');
        t.ok(store.counters.evictions > 0, 'without: the live run at the cursor evicts');
      }
      t.same(audit(store), []);
    } finally {
      MergeEvictor.cleanFirst = true;
    }
  }
});
