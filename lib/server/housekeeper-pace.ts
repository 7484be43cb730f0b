// How long the housekeeping thread rests after a step that left work pending
// (a merge slice, a sweep slice, a slice of hash migration), so that its
// merges do not take a shared core away from the request threads for
// milliseconds at a time. Not here: the loop itself (housekeeper-main.ts) or
// what a step does (segment-store.ts housekeep()).
//
// Why: when the housekeeper and a request thread share a core (-t 1 on one
// core, or more runnable threads than cores), the kernel's fair scheduler
// lets a housekeeper that runs a merge flat out keep the core for its whole
// time slice, several ms, while the request thread waits with every
// connection's request. Measured (benchmarks/RESULTS.md, session 11): about
// 1% of sets waited 4.6-5 ms under constant eviction, a p99 of 2-3.6x
// memcached's. Resting PACE_RATIO times as long as each step took keeps the
// housekeeper to at most a quarter of a core while the reserve is healthy,
// and each request thread waits at most one slice (tens of µs) for it.
// When writers are close to running dry (SegmentStore.housekeepUrgent) it
// does not rest at all: an inline merge would stall a writer far longer.
// Pacing is on by default only where the housekeeper must share: this
// process may run on no more cores than it has request threads. With a core
// to spare, resting only slows the merges (a quarter of a core can fall
// behind fast writers on a small heap, whose reserve is 2 segments, and
// writers then merge inline), so it runs flat out.
// GROW_A_CACHE_HOUSEKEEPER_PACE sets the ratio whatever the cores (0 turns
// pacing off: the measured alternative).

import { nonNegativeEnvNumber } from './env-number.js';

/** Rest this many times as long as the step took (the housekeeper then uses at most 1/(1+ratio) of a core). */
export const PACE_RATIO = 3;
/** Never rest longer than this after one step (a step the kernel descheduled midway looks long). */
export const MAX_PAUSE_MS = 5;

/**
 * The pace ratio for a housekeeper beside `requestThreads` request threads
 * on `cores` usable cores (os.availableParallelism(): the affinity mask):
 * GROW_A_CACHE_HOUSEKEEPER_PACE when it is a number >= 0; otherwise
 * PACE_RATIO where the threads must share the cores, 0 (flat out) where the
 * housekeeper has one to spare.
 */
export function paceRatio(env: NodeJS.ProcessEnv, cores: number, requestThreads: number): number {
  const ratio = nonNegativeEnvNumber(env, 'GROW_A_CACHE_HOUSEKEEPER_PACE');
  if (ratio !== undefined) return ratio;
  return cores > requestThreads ? 0 : PACE_RATIO;
}

/**
 * Milliseconds to rest after a step that took `stepMs` and left work
 * pending: 0 when writers are close to running dry (`urgent`) or pacing is
 * off, else `ratio` times the step, at most MAX_PAUSE_MS.
 */
export function pauseAfterStep(stepMs: number, urgent: boolean, ratio: number): number {
  if (urgent || !(ratio > 0) || !(stepMs > 0)) return 0;
  return Math.min(stepMs * ratio, MAX_PAUSE_MS);
}
