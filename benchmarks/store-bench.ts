// Store-level benchmark for the segment store (issue 2): no network, no
// protocol, just the CacheStore calls.
//
//   npm run bench:store            (builds, then runs dist/benchmarks/store-bench.js)
//   node dist/benchmarks/store-bench.js --quick
//
// 1. get and set ops/s at 64-byte and 500-byte values.
// 2. Capacity: 3,000,000 items (keys `key:%010d`, 50-byte values) written
//    into a 64 MiB store; how many stay readable, heap bytes per kept item,
//    per-item overhead inside segments, hash table bytes per item. memcached
//    1.6.18 with -m 64 keeps 441,472 of them; the target is 1.8x that.
//    Run for each eviction policy, and once with an 8-byte CAS stored per
//    item (the alternative to location-derived CAS tokens).

import { SegmentStore, type StoreTuning } from '../segments/segment-store.js';
import type { EvictionPolicy } from '../segments/types.js';

const MIB = 1024 * 1024;
const MEMCACHED_KEPT = 441_472;
const TARGET_KEPT = Math.ceil(MEMCACHED_KEPT * 1.8);
const quick = process.argv.includes('--quick');

/** Writes `key:%010d` into a reused 14-byte buffer. */
class KeyWriter {
  readonly key = Buffer.from('key:0000000000', 'latin1');
  set(n: number): Buffer {
    let v = n;
    for (let i = 13; i >= 4; i--) {
      this.key[i] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    return this.key;
  }
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Median of the rates of `runs` timed loops of `ops` calls. */
function medianRate(runs: number, ops: number, loop: () => void): number {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    loop();
    rates.push(ops / seconds(start));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

function opsBenchmark(valueBytes: number): void {
  const keys = 100_000;
  const ops = quick ? 300_000 : 1_000_000;
  const runs = quick ? 3 : 5;
  const store = new SegmentStore({ memoryLimitBytes: 256 * MIB, itemSizeMax: MIB, hashSeed: 7 });
  const writer = new KeyWriter();
  const value = Buffer.alloc(valueBytes, 0x76);
  const target = Buffer.alloc(valueBytes);
  for (let i = 0; i < keys; i++) store.store('set', writer.set(i), value, 0, 0, 0);
  let checksum = 0;
  const setRate = medianRate(runs, ops, () => {
    for (let i = 0; i < ops; i++) store.store('set', writer.set(i % keys), value, 0, 0, 0);
  });
  const getRate = medianRate(runs, ops, () => {
    for (let i = 0; i < ops; i++) checksum += store.itemValueLength(store.get(writer.set((i * 7919) % keys)));
  });
  const getCopyRate = medianRate(runs, ops, () => {
    for (let i = 0; i < ops; i++) store.copyValue(store.get(writer.set((i * 7919) % keys)), target, 0);
  });
  if (checksum !== runs * ops * valueBytes) throw new Error('get returned wrong lengths');
  console.log(
    `${String(valueBytes).padStart(4)} B values: set ${fmt(setRate)} ops/s, get ${fmt(getRate)} ops/s, get+copy ${fmt(getCopyRate)} ops/s (median of ${runs})`,
  );
}

interface CapacityResult {
  kept: number;
  wrong: number;
  evictions: number;
  merges: number;
  segmentBytesPerItem: number;
  overheadPerItem: number;
  hashBytesPerItem: number;
  hashBytes: number;
  hashPower: number;
  writeSeconds: number;
  longestWriteMs: number;
}

function capacity(policy: EvictionPolicy, tuning: StoreTuning): CapacityResult {
  const total = quick ? 1_500_000 : 3_000_000;
  const memory = 64 * MIB;
  const store = new SegmentStore({ memoryLimitBytes: memory, itemSizeMax: MIB, evictionPolicy: policy, hashSeed: 11 }, tuning);
  const writer = new KeyWriter();
  const value = Buffer.alloc(50);
  const start = process.hrtime.bigint();
  let longest = 0n;
  for (let i = 0; i < total; i++) {
    value.writeUInt32LE(i, 0);
    const t0 = process.hrtime.bigint();
    const status = store.store('set', writer.set(i), value, 0, 0, 0);
    const dt = process.hrtime.bigint() - t0;
    if (dt > longest) longest = dt;
    if (status !== 'stored') throw new Error(`set ${i}: ${status}`);
  }
  const writeSeconds = seconds(start);
  let kept = 0;
  let wrong = 0;
  for (let i = 0; i < total; i++) {
    const ref = store.peek(writer.set(i));
    if (ref < 0) continue;
    kept++;
    const v = store.itemValue(ref);
    if (v.length !== 50 || v.readUInt32LE(0) !== i) wrong++;
  }
  const shape = store.shape();
  const c = store.counters;
  if (c.items !== kept) throw new Error(`counters.items ${c.items} != readable ${kept}`);
  return {
    kept,
    wrong,
    evictions: c.evictions,
    merges: c.merges,
    segmentBytesPerItem: memory / kept,
    overheadPerItem: (c.bytes - kept * 64) / kept,
    hashBytesPerItem: shape.hashBytes / kept,
    hashBytes: shape.hashBytes,
    hashPower: shape.hashPower,
    writeSeconds,
    longestWriteMs: Number(longest) / 1e6,
  };
}

function reportCapacity(label: string, r: CapacityResult): void {
  console.log(
    `${label.padEnd(26)} kept ${fmt(r.kept).padStart(9)} (${(r.kept / MEMCACHED_KEPT).toFixed(2)}x memcached)` +
      ` | ${r.segmentBytesPerItem.toFixed(1)} B of -m per item | overhead in segments ${r.overheadPerItem.toFixed(1)} B/item` +
      ` | hash ${r.hashBytesPerItem.toFixed(1)} B/item (${(r.hashBytes / MIB).toFixed(1)} MiB, 2^${r.hashPower} slots)` +
      ` | evictions ${fmt(r.evictions)}, merges ${fmt(r.merges)}` +
      ` | ${fmt((quick ? 1_500_000 : 3_000_000) / r.writeSeconds)} sets/s, slowest set ${r.longestWriteMs.toFixed(1)} ms` +
      (r.wrong > 0 ? ` | ${r.wrong} WRONG VALUES` : ''),
  );
}

function main(): void {
  console.log(`store-bench${quick ? ' (quick)' : ''}: node ${process.version}`);
  console.log('-- ops/s (100,000 keys, 256 MiB store, merge eviction; the first pass warms the JIT)');
  opsBenchmark(64);
  opsBenchmark(500);
  opsBenchmark(64);
  console.log(`-- capacity: ${quick ? '1.5' : '3'} M items (14-byte keys, 50-byte values) into 64 MiB; memcached 1.6.18 keeps ${fmt(MEMCACHED_KEPT)}, target ${fmt(TARGET_KEPT)}`);
  const heapBefore = process.memoryUsage().heapUsed;
  const location = capacity('merge', {});
  reportCapacity('merge, location CAS', location);
  console.log(`   JS heap growth during the run: ${((process.memoryUsage().heapUsed - heapBefore) / MIB).toFixed(1)} MiB`);
  reportCapacity('fifo, location CAS', capacity('fifo', {}));
  reportCapacity('random, location CAS', capacity('random', {}));
  const stored = capacity('merge', { perItemCas: true });
  reportCapacity('merge, 8-byte stored CAS', stored);
  console.log(
    `CAS choice: location tokens keep ${fmt(location.kept)}, a stored 8-byte CAS keeps ${fmt(stored.kept)} ` +
      `(${(((stored.kept - location.kept) / location.kept) * 100).toFixed(1)}%)`,
  );
  const ok = location.kept >= TARGET_KEPT && location.overheadPerItem <= 16 && location.wrong === 0;
  console.log(ok ? 'targets met' : 'TARGETS MISSED');
  if (!ok) process.exitCode = 1;
}

main();
