// How long a write waits while the housekeeping thread merges, in process:
// a shared store small enough that set-only load evicts all the time, one
// housekeeper thread looping housekeep() (as lib/server/housekeeper-main.ts)
// and client threads timing every store('set'). Runs the housekeeper's
// merges whole under one lock hold (mergeSliceRecords Infinity, the design
// before issue 11's slices) and in slices, alternating, in one run, and
// prints set latency percentiles, inline merges (writes that merged
// themselves) and merge slices. No sockets: this isolates the store's share
// of the eviction-latency tail that threads-bench --only eviction measures
// end to end.
//
//   npm run build && node dist/benchmarks/merge-stall-bench.js [--clients 2] [--ops 200000] [--rounds 2] [--value 100] [--slices 256,Infinity]

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { attachStore, createSharedStore, type SharedStoreHandle } from '../segments/shared-store.js';

const MEMORY = 32 << 20;
const KEY_SIZE = 24;

interface Task {
  role: 'client' | 'housekeeper';
  handle: SharedStoreHandle;
  slot: number;
  ops: number;
  keys: number;
  valueBytes: number;
  /** Int32 [clients done, clients ready]. */
  gate: SharedArrayBuffer;
  clients: number;
}

interface ClientResult {
  latenciesNs: Float64Array;
  inlineMerges: number;
}

function client(task: Task): ClientResult {
  const store = attachStore(task.handle, { threadSlot: task.slot });
  const gate = new Int32Array(task.gate);
  const key = Buffer.alloc(KEY_SIZE);
  const value = Buffer.alloc(task.valueBytes, 0x62);
  const latencies = new Float64Array(task.ops);
  Atomics.add(gate, 1, 1);
  for (let n = Atomics.load(gate, 1); n < task.clients; n = Atomics.load(gate, 1)) Atomics.wait(gate, 1, n, 20);
  let x = task.slot * 7919 + 17;
  for (let i = 0; i < task.ops; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    key.write(String((x >>> 3) % task.keys).padStart(KEY_SIZE, '0'), 0, 'latin1');
    const t0 = process.hrtime.bigint();
    store.store('set', key, value, 0, 0, 0);
    latencies[i] = Number(process.hrtime.bigint() - t0);
  }
  Atomics.add(gate, 0, 1);
  return { latenciesNs: latencies, inlineMerges: store.counters.inlineMerges };
}

interface KeeperResult {
  slices: number;
  merges: number;
  /** Longest and 99th-percentile housekeep() step that evicted, us: the lock hold a client may wait behind. */
  stepMaxUs: number;
  stepP99Us: number;
}

function housekeeper(task: Task): KeeperResult {
  const store = attachStore(task.handle, { threadSlot: task.slot });
  const gate = new Int32Array(task.gate);
  const steps: number[] = [];
  while (Atomics.load(gate, 0) < task.clients) {
    const before = store.counters.evictions + store.counters.mergeSlices;
    const t0 = process.hrtime.bigint();
    const more = store.housekeep();
    const ns = Number(process.hrtime.bigint() - t0);
    if (store.counters.evictions + store.counters.mergeSlices !== before) steps.push(ns);
    if (!more) store.housekeepWait(5);
  }
  store.housekeepFinish();
  steps.sort((a, b) => a - b);
  const at = (p: number): number => (steps.length === 0 ? 0 : steps[Math.min(steps.length - 1, Math.floor(p * steps.length))]! / 1000);
  return { slices: store.counters.mergeSlices, merges: store.counters.merges, stepMaxUs: at(1), stepP99Us: at(0.99) };
}

function run(url: URL, task: Task): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const w = new Worker(url, { workerData: task });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '2' },
      ops: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '2' },
      value: { type: 'string', default: '100' },
      slices: { type: 'string', default: '256,Infinity' },
    },
  });
  const clients = Number(values.clients);
  const ops = Number(values.ops);
  const valueBytes = Number(values.value);
  // A key space four times what the memory holds: constant eviction.
  const keys = Math.floor((4 * MEMORY) / (valueBytes + KEY_SIZE + 16));
  const url = new URL(import.meta.url);
  console.log(`set-only, ${clients} client threads x ${ops} sets of ${valueBytes} B over ${keys} keys into ${MEMORY >> 20} MiB, one housekeeper; latency of store('set') in us`);
  console.log('| merge slice (records) | round | p50 | p99 | p99.9 | p99.99 | max | inline merges | merges | slices | evicting step p99 / max |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const slice of values.slices.split(',').map(Number)) {
      const handle = createSharedStore({ memoryLimitBytes: MEMORY, itemSizeMax: 1 << 20, hashSeed: 3 }, { maxThreads: clients + 1, mergeSliceRecords: slice });
      const gate = new SharedArrayBuffer(8);
      const base = { handle, ops, keys, valueBytes, gate, clients };
      const keeper = run(url, { ...base, role: 'housekeeper', slot: clients }) as Promise<KeeperResult>;
      const results = (await Promise.all(Array.from({ length: clients }, (_, slot) => run(url, { ...base, role: 'client', slot })))) as ClientResult[];
      const hk = await keeper;
      // The first half fills the heap; the second is steady eviction.
      const all = new Float64Array(results.reduce((n, r) => n + r.latenciesNs.length / 2, 0));
      let at = 0;
      for (const r of results) {
        const half = r.latenciesNs.subarray(r.latenciesNs.length / 2);
        all.set(half, at);
        at += half.length;
      }
      all.sort();
      const us = (ns: number): string => (ns / 1000).toFixed(1);
      const inline = results.reduce((n, r) => n + r.inlineMerges, 0);
      console.log(
        `| ${slice} | ${round} | ${us(percentile(all, 50))} | ${us(percentile(all, 99))} | ${us(percentile(all, 99.9))} | ${us(percentile(all, 99.99))} | ${us(all[all.length - 1]!)} | ${inline} | ${hk.merges} | ${hk.slices} | ${hk.stepP99Us.toFixed(0)} / ${hk.stepMaxUs.toFixed(0)} |`,
      );
    }
  }
}

if (isMainThread) {
  await main();
} else {
  const task = workerData as Task;
  parentPort!.postMessage(task.role === 'client' ? client(task) : housekeeper(task));
}
