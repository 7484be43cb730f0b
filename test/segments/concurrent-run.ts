// Runs concurrent-worker.ts threads against one shared store while the
// calling thread housekeeps and samples the heap (the concurrent store tests).

import { Worker } from 'node:worker_threads';
import type { SegmentStore } from '../../segments/segment-store.js';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import type { WorkerTask } from './concurrent-worker.js';

/** The workers' shared clock starts here (unix seconds). */
export const START_SECONDS = 1_700_000_000;

export interface Report {
  problems: string[];
  stats: Record<string, number>;
}

export function runWorker(task: WorkerTask): Promise<Report> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./concurrent-worker.ts', import.meta.url), { workerData: task });
    worker.once('message', (m: Report) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

/**
 * A 1 MiB shared store that evicts all the time (32 KiB segments, a small
 * hash table that must grow), the main thread's handle on it (slot 0, on
 * the clock the workers share), and one `mode` task per worker.
 */
export function evictingRace(
  workers: number,
  hashSeed: number,
  mode: WorkerTask['mode'],
  ops: number,
  keys: number,
): { main: SegmentStore; tasks: WorkerTask[] } {
  const handle = createSharedStore(
    { memoryLimitBytes: 1 << 20, itemSizeMax: 4096, segmentSize: 32 * 1024, hashSeed, hashPower: 4 },
    { maxThreads: workers + 1, reserveSegments: 3 },
  );
  const shared = new SharedArrayBuffer(4 * (2 + workers));
  const cells = new Int32Array(shared);
  cells[0] = START_SECONDS;
  const clock = { nowMs: (): number => Atomics.load(cells, 0) * 1000 };
  const main = attachStore(handle, { threadSlot: 0, clock });
  const tasks: WorkerTask[] = [];
  for (let w = 0; w < workers; w++) tasks.push({ handle, slot: w + 1, writer: w, mode, ops, keys, shared, workers });
  return { main, tasks };
}

/** Run workers to completion while the main thread housekeeps and checks the heap never holds more segments than -m gives. */
export async function runAll(store: SegmentStore, tasks: WorkerTask[]): Promise<{ reports: Report[]; samples: number; heapProblems: string[] }> {
  let done = false;
  const all = Promise.all(tasks.map(runWorker)).finally(() => {
    done = true;
  });
  const heapProblems: string[] = [];
  let samples = 0;
  const heap = store.itemSpace.heap;
  const chains = store.itemSpace.chains;
  while (!done) {
    store.housekeep();
    store.beginRead();
    try {
      let chained = 0;
      for (let bucket = 0; bucket < chains.count.length; bucket++) chained += chains.count[bucket]!;
      if (chained + heap.freeCount !== heap.activeCount) heapProblems.push(`chained ${chained} + free ${heap.freeCount} != ${heap.activeCount}`);
      const bytes = store.totals().bytes;
      if (bytes > store.options.memoryLimitBytes) heapProblems.push(`live bytes ${bytes} over -m`);
    } finally {
      store.endRead();
    }
    samples++;
    await new Promise((r) => setTimeout(r, 1));
  }
  // A merge paused between slices ends before the audit walks every segment.
  store.housekeepFinish();
  return { reports: await all, samples, heapProblems };
}

