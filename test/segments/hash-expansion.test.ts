// The hash index while it doubles: a key whose old buckets have migrated
// must be found, relinked and removed in the new table only. (A migrated
// old bucket used to keep its entries, so a key whose other old bucket had
// not migrated yet was found there: a removal emptied the stale copy and the
// live slot stayed, pointing at a dead record.) Also the first-fit
// placement: at low load every key sits in its first bucket.

import t from 'tap';
import { HashIndex, type KeySource } from '../../segments/hash-index.js';
import { hashBytes } from '../../segments/key-hash.js';
import { audit, b, makeStore } from './helpers.js';

/** Keys are 4-byte ids; location = id. */
class Keys implements KeySource {
  readonly hashes = new Map<number, number>();
  keyMatches(loc: number, key: Uint8Array): boolean {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0) === loc;
  }
  hashAt(loc: number): number {
    return this.hashes.get(loc)!;
  }
  key(id: number): Uint8Array {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, id);
    this.hashes.set(id, hashBytes(k, 0, 4, 99));
    return k;
  }
}

t.test('removals and relinks in the middle of a doubling touch the live slot', async (t) => {
  const keys = new Keys();
  const index = new HashIndex(keys, 64, 0.9, 1);
  const tag = (h: number): number => h >>> 16;
  let id = 1;
  // Fill until the table starts doubling, then stop inserting (inserts
  // migrate old buckets too) and migrate only part of it by hand.
  while (!index.isExpanding) {
    keys.key(id);
    index.insert(keys.hashAt(id), tag(keys.hashAt(id)), id);
    id++;
  }
  index.migrate(2);
  t.ok(index.isExpanding, 'still expanding');
  const live = index.count;
  let removed = 0;
  for (let k = 1; k < id; k++) {
    const hash = keys.hashAt(k);
    const key = keys.key(k);
    t.equal(index.find(key, hash, tag(hash)), k, `key ${k} found before`);
    if (k % 2 === 0) {
      t.ok(index.findLoc(hash, k), `slot of ${k}`);
      index.removeFound();
      removed++;
      t.equal(index.find(key, hash, tag(hash)), 0, `key ${k} gone after removal`);
    } else {
      t.ok(index.findLoc(hash, k));
      index.relinkFound(k + 1_000_000);
      keys.hashes.set(k + 1_000_000, hash);
    }
  }
  t.equal(index.count, live - removed);
  // Every live slot is reachable and there are no stale copies.
  const locations = index.locations().sort((x, y) => x - y);
  const expected: number[] = [];
  for (let k = 1; k < id; k += 2) expected.push(k + 1_000_000);
  t.same(locations, expected, 'exactly the relinked keys remain, once each');
  index.migrate(1 << 20);
  t.notOk(index.isExpanding);
  t.same(index.locations().sort((x, y) => x - y), expected, 'and after the doubling finished');
});

for (const policy of ['fifo', 'merge'] as const) {
  t.test(`${policy}: a store that doubles its index under churn stays consistent`, async (t) => {
    const SEGMENT = 16 * 1024;
    // hashPower 3: the index starts at 8 slots and doubles several times
    // while sets, gets of expired items, deletes, touches and eviction
    // remove and relink entries.
    const { store, clock } = makeStore({ memoryLimitBytes: 24 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: policy, hashPower: 3 });
    let x = 1;
    const random = (): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x / 4294967296;
    };
    for (let i = 0; i < 40_000; i++) {
      const key = b(`key${Math.floor(random() * 3000)}`);
      const r = random();
      if (r < 0.55) store.store('set', key, Buffer.alloc(20 + Math.floor(random() * 400), 97), 0, random() < 0.3 ? 1 + Math.floor(random() * 20) : 0, 0);
      else if (r < 0.9) store.get(key);
      else if (r < 0.95) store.delete(key, 0);
      else if (r < 0.97) store.touch(key, 30);
      else if (r < 0.99) clock.advance(1);
      else store.expireNow();
      if (i % 10_000 === 0) t.same(audit(store), [], `consistent after ${i} operations`);
    }
    t.same(audit(store), [], 'consistent at the end');
    t.ok(store.shape().hashPower > 3, `the index grew to 2^${store.shape().hashPower}`);
    t.ok(store.counters.evictions > 100, `${store.counters.evictions} evictions`);
  });
}

t.test('first-fit: at low load every key sits in its first bucket', async (t) => {
  const keys = new Keys();
  const index = new HashIndex(keys, 1 << 14, 0.9, 1);
  for (let id = 1; id <= 1000; id++) {
    keys.key(id);
    const hash = keys.hashAt(id);
    index.insert(hash, hash >>> 16, id);
  }
  const words = (index as unknown as { cur: { words: Uint32Array; mask: number } }).cur;
  let first = 0;
  for (let id = 1; id <= 1000; id++) {
    const base = (keys.hashAt(id) & words.mask) * 16;
    for (let i = base + 1; i < base + 16; i += 2) if (words.words[i] === id) first++;
  }
  t.equal(first, 1000);
});
