// TEMPORARY: stands in for segments/shared-store.ts (createSharedStore /
// attachStore, the threads-store branch) until it is merged. Each thread gets
// its OWN store here, so with -t N > 1 writes are not shared between workers;
// only the plumbing (handles, per-thread attach, housekeep, totals) is real.

import { SegmentStore } from '../../segments/segment-store.js';
import type { StoreTuning } from '../../segments/segment-store.js';
import type { Clock, StoreCounters, StoreOptions } from '../../segments/types.js';

export interface SharedStoreHandle {
  options: Omit<StoreOptions, 'clock'>;
  tuning: StoreTuning | undefined;
}

export function createSharedStore(options: StoreOptions, tuning?: StoreTuning): SharedStoreHandle {
  const { clock: _clock, ...rest } = options;
  return { options: rest, tuning };
}

class AttachedStore extends SegmentStore {
  housekeep(): boolean {
    this.expireNow();
    return false;
  }
  totals(): StoreCounters {
    return this.counters;
  }
}

export function attachStore(handle: SharedStoreHandle, opts: { threadSlot: number; clock?: Clock }): AttachedStore {
  return new AttachedStore({ ...handle.options, ...(opts.clock ? { clock: opts.clock } : {}) }, handle.tuning);
}
