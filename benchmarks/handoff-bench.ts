// The housekeeper's lock hand-off on one core (issue 11): a "client" (this
// thread) makes short requests under the store lock's shared side with
// short idle waits between (an event loop between socket reads), and a
// "housekeeper" worker thread runs slices of busy work under the exclusive
// side and calls SharedExclusiveLock.handOff between them, as
// SegmentStore.housekeep does between merge slices. Run it pinned to ONE
// core, where the two threads take turns, which is where a hand-off that
// spins for the waiter costs the most: the waiter cannot run while the
// spinner holds the core.
//
//   npm run build && taskset -c 0 node dist/benchmarks/handoff-bench.js [--seconds 3] [--bound 1] [--dist DIR] [--nice N]
//
// Prints the client's requests and CPU per request, the housekeeper's CPU
// per slice, how many hand-offs found a sleeping client, and the CPU spent
// inside handOff. --dist DIR loads segments/shared-memory.js from another
// build (DIR/dist/...), e.g. an older one to compare; --bound is passed to
// its handOff as is (milliseconds now; builds before the sleeping hand-off
// took nanoseconds: pass 200000 there). --nice N lowers the housekeeper
// thread's priority by N (lib/server/thread-priority.ts, as the server's
// housekeeper does with 5); the client's request latency percentiles
// (lock wait included) show what a busy housekeeper on the same core costs
// the requests at that priority.
// Not a store benchmark: the store is not involved, only its lock.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { lowerThreadPriority } from '../lib/server/thread-priority.js';

interface Task {
  lockModule: string;
  words: SharedArrayBuffer;
  stop: SharedArrayBuffer;
  bound: number;
  sliceUs: number;
  nice: number;
}

interface HandOffLock {
  lock(): void;
  unlock(): void;
  lockShared(): void;
  unlockShared(): void;
  handOff(bound: number): void;
}
type LockClass = new (word: Int32Array, base: number) => HandOffLock;

/** Busy for `us` microseconds (work under a lock). */
function busy(us: number): number {
  const end = performance.now() + us / 1000;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}

function cpuUs(since?: NodeJS.CpuUsage): number {
  const u = process.threadCpuUsage(since);
  return u.user + u.system;
}

async function housekeeper(task: Task): Promise<void> {
  const { SharedExclusiveLock } = (await import(task.lockModule)) as { SharedExclusiveLock: LockClass };
  if (task.nice > 0) lowerThreadPriority(task.nice);
  const words = new Int32Array(task.words);
  const lock = new SharedExclusiveLock(words, 0);
  const stop = new Int32Array(task.stop);
  let slices = 0;
  let handOffs = 0;
  let handOffCpuUs = 0;
  const start = process.threadCpuUsage();
  while (Atomics.load(stop, 0) === 0) {
    lock.lock();
    busy(task.sliceUs);
    lock.unlock();
    slices++;
    // words[2]: the lock's sleepers' count.
    const sleeping = Atomics.load(words, 2) > 0;
    const before = process.threadCpuUsage();
    lock.handOff(task.bound);
    if (sleeping) {
      handOffs++;
      handOffCpuUs += cpuUs(before);
    }
  }
  parentPort!.postMessage({ slices, cpuUs: cpuUs(start), handOffs, handOffCpuUs });
}

async function client(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1]! : fallback;
  };
  const seconds = Number(opt('--seconds', '3'));
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dist = opt('--dist', '');
  const lockModule = dist === '' ? path.join(here, '../segments/shared-memory.js') : path.join(dist, 'dist/segments/shared-memory.js');
  const task: Task = { lockModule, words: new SharedArrayBuffer(16), stop: new SharedArrayBuffer(4), bound: Number(opt('--bound', '1')), sliceUs: 40, nice: Number(opt('--nice', '0')) };
  const { SharedExclusiveLock } = (await import(lockModule)) as { SharedExclusiveLock: LockClass };
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: task });
  const report = new Promise<{ slices: number; cpuUs: number; handOffs: number; handOffCpuUs: number }>((resolve) => worker.once('message', resolve));
  const lock = new SharedExclusiveLock(new Int32Array(task.words), 0);
  const idle = new Int32Array(new SharedArrayBuffer(4));
  const start = process.threadCpuUsage();
  const t0 = performance.now();
  let requests = 0;
  let worstMs = 0;
  const latencies = new Float64Array(4_000_000);
  while (performance.now() - t0 < seconds * 1000) {
    const a = performance.now();
    lock.lockShared();
    busy(5);
    lock.unlockShared();
    requests++;
    const ms = performance.now() - a;
    if (requests <= latencies.length) latencies[requests - 1] = ms;
    worstMs = Math.max(worstMs, ms);
    // Every fourth request the loop waits 20 us for input, as between socket reads.
    if (requests % 4 === 0) Atomics.wait(idle, 0, 0, 0.02);
  }
  const clientCpu = cpuUs(start);
  Atomics.store(new Int32Array(task.stop), 0, 1);
  const hk = await report;
  const sorted = latencies.slice(0, Math.min(requests, latencies.length)).sort();
  const q = (p: number): string => ((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 1000).toFixed(0);
  console.log(
    `${dist || 'this build'} (handOff bound ${task.bound}, housekeeper nice +${task.nice}): client ${requests} requests, ${(clientCpu / requests).toFixed(1)} us CPU each, ` +
      `p50 ${q(0.5)} p99 ${q(0.99)} p99.9 ${q(0.999)} p99.99 ${q(0.9999)} us, longest ${worstMs.toFixed(1)} ms; housekeeper ${hk.slices} slices of ${task.sliceUs} us, ${(hk.cpuUs / hk.slices).toFixed(0)} us CPU per slice, ` +
      `${hk.handOffs} hand-offs to a sleeping client, ${(hk.handOffCpuUs / Math.max(1, hk.handOffs)).toFixed(0)} us CPU in each`,
  );
}

if (isMainThread) await client();
else await housekeeper(workerData as Task);
