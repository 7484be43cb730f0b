// The hash index on its own, over a fake key source: lookups, removal,
// overflow chaining, incremental doubling, frequency counting.

import t from 'tap';
import { HashIndex, type KeySource } from '../../segments/hash-index.js';
import { hashBytes, tagOf } from '../../segments/key-hash.js';

const SEED = 99;

/** Keys live in an array; location n (1-based) holds keys[n - 1]. */
class FakeKeys implements KeySource {
  readonly keys: Buffer[] = [];
  hashCalls = 0;
  add(key: string): number {
    this.keys.push(Buffer.from(key));
    return this.keys.length;
  }
  keyMatches(loc: number, key: Uint8Array): boolean {
    return this.keys[loc - 1]!.equals(key);
  }
  hashAt(loc: number): number {
    this.hashCalls++;
    const k = this.keys[loc - 1]!;
    return hashBytes(k, 0, k.length, SEED);
  }
}

function hashOf(key: Buffer): number {
  return hashBytes(key, 0, key.length, SEED);
}

function insert(index: HashIndex, keys: FakeKeys, key: string): number {
  const loc = keys.add(key);
  const h = hashOf(keys.keys[loc - 1]!);
  index.insert(h, tagOf(h), loc);
  return loc;
}

function find(index: HashIndex, key: string): number {
  const k = Buffer.from(key);
  const h = hashOf(k);
  return index.find(k, h, tagOf(h));
}

t.test('insert, find, relink, remove', async (t) => {
  const keys = new FakeKeys();
  const index = new HashIndex(keys, 64, 0.9, 1);
  const a = insert(index, keys, 'alpha');
  const b = insert(index, keys, 'beta');
  t.equal(find(index, 'alpha'), a);
  t.equal(find(index, 'beta'), b);
  t.equal(find(index, 'gamma'), 0);
  t.equal(index.count, 2);
  const moved = keys.add('alpha');
  t.ok(index.findLoc(hashOf(Buffer.from('alpha')), a));
  index.relinkFound(moved);
  t.equal(find(index, 'alpha'), moved);
  t.notOk(index.findLoc(hashOf(Buffer.from('alpha')), a), 'the old location is gone');
  t.equal(find(index, 'beta'), b);
  index.removeFound();
  t.equal(find(index, 'beta'), 0);
  t.equal(index.count, 1);
  t.same(index.locations(), [moved]);
});

t.test('a tag match with a different key is not a hit', async (t) => {
  const keys = new FakeKeys();
  const index = new HashIndex(keys, 64, 0.9, 1);
  const loc = insert(index, keys, 'real');
  const h = hashOf(Buffer.from('real'));
  t.equal(index.find(Buffer.from('fake'), h, tagOf(h)), 0, 'same hash and tag, other key bytes');
  t.equal(index.find(Buffer.from('real'), h, tagOf(h)), loc);
});

t.test('a tiny table that never grows chains into overflow and back', async (t) => {
  const keys = new FakeKeys();
  const index = new HashIndex(keys, 8, 1000, 1); // one bucket, growth disabled
  const locs: number[] = [];
  for (let i = 0; i < 100; i++) locs.push(insert(index, keys, `k${i}`));
  t.equal(index.slots, 8);
  t.ok(index.overflowBuckets >= 11, `${index.overflowBuckets} overflow buckets`);
  for (let i = 0; i < 100; i++) t.equal(find(index, `k${i}`), locs[i]);
  for (let i = 0; i < 95; i++) {
    t.ok(index.findLoc(hashOf(Buffer.from(`k${i}`)), locs[i]!));
    index.removeFound();
  }
  t.ok(index.overflowBuckets <= 1, 'overflow buckets recycled as they empty');
  for (let i = 95; i < 100; i++) t.equal(find(index, `k${i}`), locs[i], `k${i} survived the compaction`);
  for (let i = 0; i < 100; i++) insert(index, keys, `again${i}`);
  for (let i = 0; i < 100; i++) t.ok(find(index, `again${i}`) > 0);
  t.equal(index.count, 105);
});

t.test('doubling migrates incrementally and never loses a key', async (t) => {
  const keys = new FakeKeys();
  const index = new HashIndex(keys, 64, 0.75, 1);
  const locs = new Map<string, number>();
  let sawExpanding = false;
  let lost = 0;
  for (let i = 0; i < 5000; i++) {
    locs.set(`key${i}`, insert(index, keys, `key${i}`));
    if (index.isExpanding) {
      sawExpanding = true;
      // Check every key while the two tables coexist.
      if (i % 97 === 0) for (const [k, loc] of locs) if (find(index, k) !== loc) lost++;
    }
  }
  t.ok(sawExpanding);
  t.equal(lost, 0);
  index.migrate(1 << 20);
  t.notOk(index.isExpanding);
  t.ok(index.slots >= 5000 / 0.75, `${index.slots} slots`);
  t.ok(index.count / index.slots <= 0.75);
  for (const [k, loc] of locs) if (find(index, k) !== loc) lost++;
  t.equal(lost, 0);
  t.equal(index.locations().length, 5000);
  const buckets = index.slots / 8;
  const withPool = buckets + Math.max(16, buckets >>> 6);
  t.equal(index.bytes, withPool * 64 + withPool * 4 + buckets * 2, 'slot words, chain links, seconds, overflow pool');
});

t.test('removals during an expansion', async (t) => {
  const keys = new FakeKeys();
  const index = new HashIndex(keys, 8, 0.5, 1);
  const live = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    live.set(`k${i}`, insert(index, keys, `k${i}`));
    if (i % 3 === 0) {
      const victim = `k${i - 1}`;
      const loc = live.get(victim);
      if (loc !== undefined && index.findLoc(hashOf(Buffer.from(victim)), loc)) {
        index.removeFound();
        live.delete(victim);
      }
    }
  }
  let wrong = 0;
  for (const [k, loc] of live) if (find(index, k) !== loc) wrong++;
  t.equal(wrong, 0);
  t.equal(index.count, live.size);
});

t.test('clear keeps the size and drops everything', async (t) => {
  const keys = new FakeKeys();
  const index = new HashIndex(keys, 64, 0.5, 1);
  for (let i = 0; i < 100; i++) insert(index, keys, `k${i}`);
  const slots = index.slots;
  index.clear();
  t.equal(index.count, 0);
  t.equal(index.slots, slots);
  t.equal(find(index, 'k1'), 0);
  t.notOk(index.isExpanding);
});

t.test('frequency: once per second, exact to 16, then probabilistic, capped at 127', async (t) => {
  const keys = new FakeKeys();
  const index = new HashIndex(keys, 64, 0.9, 1);
  insert(index, keys, 'hot');
  let now = 1000;
  const read = () => {
    t.ok(find(index, 'hot') > 0);
    index.countHit(now);
    return index.foundFrequency();
  };
  t.equal(read(), 1);
  t.equal(read(), 1, 'a second read in the same second does not count');
  for (let s = 1; s < 16; s++) {
    now++;
    read();
  }
  t.equal(read(), 16);
  let freq = 16;
  let seconds = 0;
  while (freq < 20 && seconds < 10_000) {
    now++;
    seconds++;
    freq = read();
  }
  t.equal(freq, 20);
  t.ok(seconds > 20, `above 16 counts are probabilistic (${seconds} seconds for 4 counts)`);
  for (let i = 0; i < 200_000 && freq < 127; i++) {
    now++;
    freq = read();
  }
  t.equal(freq, 127);
  now++;
  t.equal(read(), 127, 'capped');
  t.ok(index.findLoc(hashOf(Buffer.from('hot')), 1));
  index.relinkFound(keys.add('hot'));
  t.ok(find(index, 'hot') > 0);
  t.equal(index.foundFrequency(), 0, 'a relinked (moved or rewritten) item restarts at 0');
});

t.test('clear() after the overflow pool grew leaves no stale slot for a later, larger pool', async (t) => {
  // Every key hashes alike, so all of them chain into overflow buckets.
  const H = 0x12345678;
  const same: KeySource = { keyMatches: () => false, hashAt: () => H };
  const index = new HashIndex(same, 1024, 0.9, 1);
  const fill = (from: number, n: number): void => {
    for (let loc = from; loc < from + n; loc++) index.insert(H, tagOf(H), loc);
  };
  // 16 primary slots of the two buckets, then more than 16 overflow buckets: the pool doubles.
  fill(1, 16 + 20 * 8);
  t.ok(index.overflowBuckets > 16, `${index.overflowBuckets} overflow buckets in use`);
  index.clear();
  t.same(index.locations(), [], 'empty after clear');
  fill(100_001, 16 + 20 * 8);
  const stale = index.locations().filter((loc) => loc < 100_001);
  t.same(stale, [], 'only the new locations, none from before the clear');
  t.equal(index.locations().length, index.count);
});
