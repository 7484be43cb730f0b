// The segment store's entry point: `createStore(options)` builds the
// Segcache-style store behind the CacheStore contract (types.ts).
//
//   const store = createStore({ memoryLimitBytes: 64 << 20, itemSizeMax: 1 << 20 });
//   store.start(); // proactive expiry, unref'd timer
//   store.store('set', key, value, flags, exptime, 0); // 'stored'
//   const ref = store.get(key); // -1 on a miss
//   if (ref >= 0) reply(store.itemFlags(ref), store.itemValue(ref), store.itemCas(ref));

import type { CacheStore, StoreOptions } from './types.js';
import { SegmentStore } from './segment-store.js';

export * from './types.js';
export { SegmentStore, type StoreTuning } from './segment-store.js';
export { createSharedStore, attachStore, type SharedStoreHandle } from './shared-store.js';
export { defaultSegmentSize } from './store-defaults.js';
export { ItemWalk, type ItemVisitor } from './item-walk.js';

/** A new store with every segment allocated up front for `memoryLimitBytes` (shared memory, this thread in slot 0; more threads attach with store.handle). */
export function createStore(options: StoreOptions): CacheStore {
  return new SegmentStore(options);
}
