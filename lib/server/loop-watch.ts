// `watch` in the single-loop server (-t 1) once it has a housekeeping
// thread: that thread's evictions must reach this thread's watchers, so
// this thread's watch bus goes shared (watch-bus.ts attachShared), as a
// -t N worker's: ring 0 is this thread's, each housekeeping thread writes
// its own ring, and this thread reads them all as reader 0. Not here: the
// rings themselves (watch-rings.ts), the lines (watch-command.ts).
//
// The bus is one per thread and a process (a test) may run several
// servers at once, so the memory is made once per thread, with
// HOUSEKEEPER_RINGS rings that servers claim and give back; a server that
// finds none free gives its housekeeper a ring of its own that nobody reads
// (its evictions then reach no watcher, at the cost of one load each, as
// when nobody watches).

import { WatchRings, newWatchRingsMemory, ringBytesFor } from '../observability/watch-rings.js';
import type { WatchRingsMemory } from '../observability/watch-rings.js';
import { watchBus } from '../observability/watch-bus.js';

/** Housekeeping threads of single-loop servers whose evictions this thread's watchers can see at once. */
const HOUSEKEEPER_RINGS = 8;

let loopRings: { memory: WatchRingsMemory; free: number[] } | undefined;

export interface HousekeeperRing {
  memory: WatchRingsMemory;
  ring: number;
  /** Give the ring back (the housekeeper has stopped). */
  release(): void;
}

/** A ring for a single-loop server's housekeeper; the first call makes this thread's bus shared. `ringBytes`: -o worker_logbuf_size. */
export function claimHousekeeperRing(ringBytes: number): HousekeeperRing {
  if (loopRings === undefined) {
    const memory = newWatchRingsMemory(1 + HOUSEKEEPER_RINGS, 1, ringBytesFor(ringBytes));
    loopRings = { memory, free: Array.from({ length: HOUSEKEEPER_RINGS }, (_, i) => HOUSEKEEPER_RINGS - i) };
    watchBus.attachShared(new WatchRings(memory, 0), 0);
  }
  const rings = loopRings;
  const ring = rings.free.pop();
  if (ring === undefined) return { memory: newWatchRingsMemory(1, 1, ringBytesFor(0)), ring: 0, release: () => {} };
  let released = false;
  return {
    memory: rings.memory,
    ring,
    release: () => {
      if (released) return;
      released = true;
      rings.free.push(ring);
    },
  };
}
