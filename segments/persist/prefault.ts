// Touches the heap pages a warm restore is about to fill, on a helper
// thread, so the page faults of first touching fresh memory run on the
// other core while the restore copies, checksums and walks. On this VM a
// first touch is a host fault (free page reporting) and it was the largest
// share of a restore's CPU time (system time 2.6-4.7 s/GiB under load,
// benchmarks/RESULTS.md issue 12 session 6).
//
// Safe alongside the restore's own writes: each touch is an atomic
// add of 0 (Atomics.add) to one word per 4 KiB page, which stores back the
// value it read in one indivisible step, so it never changes a byte the
// restore wrote before or after it. The thread follows the restore's
// progress (it skips to the target being copied when it falls behind) and
// stops when told or at the end. It touches nothing but the given views.
// If it never starts, nothing is lost but the overlap.

import { Worker } from 'node:worker_threads';

/** Restores with fewer bytes than this do without the thread (its start costs more than it saves). */
export const PREFAULT_ABOVE = 64 * 1024 * 1024;
const PAGE = 4096;

const THREAD_SOURCE = `
const { workerData } = require('node:worker_threads');
const { control, targets, page } = workerData;
for (let i = 0; i < targets.length && Atomics.load(control, 1) === 0; i++) {
  const current = Atomics.load(control, 0);
  if (i < current) i = current;
  const t = targets[i];
  const first = Math.ceil(t.byteOffset / 4) * 4;
  const words = new Int32Array(t.buffer, first, Math.floor((t.byteOffset + t.length - first) / 4));
  for (let w = 0; w < words.length; w += page / 4) Atomics.add(words, w, 0);
}
`;

/** A running prefault: report progress as targets fill, stop at the end. */
export interface Prefault {
  /** Target `i` is being filled now (the thread skips ahead of it). */
  progress(i: number): void;
  stop(): void;
}

const NONE: Prefault = { progress: () => {}, stop: () => {} };

/** Start touching `targets` (views of SharedArrayBuffers) in order on a helper thread, when they add up to `above` bytes or more. */
export function startPrefault(targets: readonly Uint8Array[], above = PREFAULT_ABOVE): Prefault {
  const total = targets.reduce((n, t) => n + t.length, 0);
  if (total < above || targets.length === 0 || !targets.every((t) => t.buffer instanceof SharedArrayBuffer)) return NONE;
  const control = new Int32Array(new SharedArrayBuffer(8));
  try {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { control, targets, page: PAGE } });
    worker.unref();
    worker.on('error', () => {});
  } catch {
    return NONE;
  }
  return {
    progress: (i) => Atomics.store(control, 0, i),
    stop: () => Atomics.store(control, 1, 1),
  };
}
