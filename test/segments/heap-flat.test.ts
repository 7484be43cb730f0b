// The JS heap does not grow with the number of items: one million items
// live in segment ArrayBuffers and typed-array hash slots, with no object,
// string or closure per item.

import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SegmentStore } from '../../segments/segment-store.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MIB = 1024 * 1024;

function settledHeap(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

t.test('1,000,000 items leave heapUsed flat', async (t) => {
  // A small initial hash table, so the index also doubles (and migrates) on the way.
  const store = new SegmentStore({ memoryLimitBytes: 128 * MIB, itemSizeMax: MIB, hashPower: 16, hashSeed: 5 });
  const key = Buffer.from('key:0000000000', 'latin1');
  const value = Buffer.alloc(50, 0x76);
  const setKey = (n: number) => {
    for (let i = 13, v = n; i >= 4; i--, v = Math.floor(v / 10)) key[i] = 0x30 + (v % 10);
    return key;
  };
  const before = settledHeap();
  const n = 1_000_000;
  let stored = 0;
  for (let i = 0; i < n; i++) {
    value.writeUInt32LE(i, 0);
    if (store.store('set', setKey(i), value, i & 1, 0, 0) === 'stored') stored++;
  }
  let found = 0;
  for (let i = 0; i < n; i++) {
    const ref = store.get(setKey(i));
    if (ref >= 0 && store.itemFlags(ref) === (i & 1) && store.itemValue(ref).readUInt32LE(0) === i) found++;
  }
  store.expireNow();
  const after = settledHeap();
  t.equal(stored, n);
  t.equal(found, n, 'every item readable');
  t.equal(store.counters.items, n);
  t.equal(store.counters.evictions, 0);
  const grown = (after - before) / MIB;
  t.ok(grown < 4, `heapUsed grew ${grown.toFixed(2)} MiB for ${n} items`);
  const shape = store.shape();
  t.ok(shape.hashPower > 16, `the index grew to 2^${shape.hashPower} slots`);
  t.ok(process.memoryUsage().arrayBuffers >= 128 * MIB, 'the data lives in ArrayBuffers');
});
