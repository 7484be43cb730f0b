// One store, several threads: createSharedStore() builds a store whose every
// byte lives in SharedArrayBuffer and returns a handle (SABs, numbers and
// strings: postMessage it to workers); attachStore() gives each thread its
// own SegmentStore over that memory. Counters are per thread slot, so each
// thread attaches with a distinct slot; totals() sums them.
//
//   // main thread
//   const handle = createSharedStore({ memoryLimitBytes: 64 << 20, itemSizeMax: 1 << 20 });
//   new Worker(url, { workerData: { handle, slot: 1 } });
//   // worker
//   const store = attachStore(workerData.handle, { threadSlot: workerData.slot });
//
// The concurrency design is in segment-store.ts's header.

import type { Clock, StoreOptions } from './types.js';
import { SegmentStore, type SharedStoreHandle, type StoreTuning } from './segment-store.js';

export type { SharedStoreHandle } from './segment-store.js';

/** A new shared store (nobody attached yet). `tuning.maxThreads` sets the thread slots (default 64). */
export function createSharedStore(options: StoreOptions, tuning?: StoreTuning): SharedStoreHandle {
  return new SegmentStore(options, tuning).handle;
}

/** A per-thread SegmentStore over the shared memory. threadSlot: 0..maxThreads-1, unique per thread. */
export function attachStore(handle: SharedStoreHandle, opts: { threadSlot: number; clock?: Clock }): SegmentStore {
  return new SegmentStore(handle, opts);
}
