// Store CPU per set under constant eviction, as a -t 1 worker spends it:
// plain sets of 16-byte keys drawn at random from a key space many times
// what -m holds, into a shared store of -m 64 (default options otherwise),
// through store.store() of a worker's attachment. A second attachment
// plays the housekeeper between timed batches (untimed, as the background
// thread would run it), so the timed sets find free segments and the
// figure is the request path's cost; inline merges during timed batches
// are counted and printed (they should be 0). The housekeeper's own CPU
// per set (expiry and merges, the background thread's share of a set) is
// timed apart and printed on a second line. ns per set, median of the
// rounds with min and max (thread CPU time, not wall time). Pin it to one core for A/B between builds:
//
//   npm run build && taskset -c 1 node dist/benchmarks/set-cpu.js [--value 100] [--rounds 7] [--keys N]
//
// Not a server benchmark: no parse, no socket (threads-bench.js
// --only eviction measures the live latency).

import { parseArgs } from 'node:util';
import { attachStore, createSharedStore } from '../segments/shared-store.js';
import { batchClock } from '../segments/batch-clock.js';

const { values } = parseArgs({
  options: {
    value: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '7' },
    sets: { type: 'string', default: '300000' },
    mb: { type: 'string', default: '64' },
    // Key space; default 16x what -m holds (constant eviction). A small one (100000) stays cached, no eviction.
    keys: { type: 'string' },
  },
});
const VALUE = Number(values.value);
const ROUNDS = Number(values.rounds);
const SETS = Number(values.sets);
const MB = Number(values.mb);
/** Batch of timed sets between housekeeping turns. */
const BATCH = 512;
const KEY_BYTES = 16;

const handle = createSharedStore({ memoryLimitBytes: MB << 20, itemSizeMax: 1 << 20, hashSeed: 7 }, { maxThreads: 3 });
const store = attachStore(handle, { threadSlot: 0 });
const keeper = attachStore(handle, { threadSlot: 1 });
const value = Buffer.alloc(VALUE, 0x61);
// Key space: 16x what -m holds at ~(value + 48) bytes a record.
const KEYSPACE = values.keys !== undefined ? Number(values.keys) : Math.ceil(((MB << 20) / (VALUE + 48)) * 16);
const key = Buffer.alloc(KEY_BYTES, 0x30);
let x = 12345;

/** The next random key into `key` (the same sequence for every build). */
function nextKey(): void {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  let n = (x >>> 3) % KEYSPACE;
  for (let i = KEY_BYTES - 1; i >= 1 && n > 0; i--) {
    key[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
}

function housekeep(): void {
  for (let i = 0; i < 10_000 && keeper.housekeep(); i++);
}

/** Housekeeping CPU (µs) spent by run(), summed since the last reset. */
let keepUs = 0;

/**
 * `count` sets in timed batches; returns ns of this thread's CPU time in
 * them (CPU, not wall time: the machine is shared, and a preempted batch
 * would otherwise count the other processes' time).
 */
function run(count: number): number {
  let us = 0;
  for (let done = 0; done < count; done += BATCH) {
    const before = process.threadCpuUsage();
    for (let i = 0; i < BATCH; i++) {
      nextKey();
      // One request per read, as a non-pipelined client's: one clock reading each (batch-clock.ts).
      batchClock.hold();
      const status = store.store('set', key, value, 0, 0, 0);
      batchClock.release();
      if (status !== 'stored') throw new Error('set not stored');
    }
    const used = process.threadCpuUsage(before);
    us += used.user + used.system;
    const keepBefore = process.threadCpuUsage();
    housekeep();
    const kept = process.threadCpuUsage(keepBefore);
    keepUs += kept.user + kept.system;
  }
  return us * 1000;
}

// Fill: twice what -m holds (every round then runs under steady eviction),
// or, with --keys, twice the key space (every key present).
run(values.keys !== undefined ? KEYSPACE * 2 : Math.ceil(KEYSPACE / 8));
const mergesBefore = store.totals().inlineMerges;
const perSet: number[] = [];
const keepPerSet: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  keepUs = 0;
  const sets = Math.ceil(SETS / BATCH) * BATCH;
  perSet.push(run(SETS) / sets);
  keepPerSet.push((keepUs * 1000) / sets);
}
const totals = store.totals();
const sorted = [...perSet].sort((a, b) => a - b);
console.log(
  `set ${VALUE} B, ${KEYSPACE} keys: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ns/set ` +
    `(min ${sorted[0]!.toFixed(0)}, max ${sorted[sorted.length - 1]!.toFixed(0)}; ${ROUNDS} rounds of ${SETS}) ` +
    `evictions ${totals.evictions} inline merges while timed ${totals.inlineMerges - mergesBefore}`,
);
const keepSorted = [...keepPerSet].sort((a, b) => a - b);
console.log(
  `housekeeping per set: median ${keepSorted[Math.floor(keepSorted.length / 2)]!.toFixed(0)} ns ` +
    `(min ${keepSorted[0]!.toFixed(0)}, max ${keepSorted[keepSorted.length - 1]!.toFixed(0)})`,
);
