// Lowers the scheduling priority (raises the nice value) of the calling thread only, so a
// background thread (the housekeeper) yields its core to the request
// threads when both want it. Linux only: setpriority() given a thread id
// changes that thread alone, and /proc/thread-self names the caller's id;
// elsewhere (or if refused) nothing changes and undefined is returned.
// Not here: which thread calls it, or with what value. Only
// benchmarks/handoff-bench.ts (--nice) calls it today; the server's
// housekeeper keeps its priority (a niced one fell behind during fills and
// writers merged inline: benchmarks/RESULTS.md, issue 11, session 6).

import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The largest nice value (the lowest priority). */
const MAX_NICE = 19;

/**
 * Add `by` to this thread's nice value (a lower priority, relative to what
 * the process was started with, capped at 19; no privilege needed).
 * Returns the thread id it applied to, or undefined where it could not (not
 * Linux, no /proc, refused).
 */
export function lowerThreadPriority(by: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, Math.min(MAX_NICE, getPriority(tid) + Math.max(0, by)));
    return tid;
  } catch {
    return undefined;
  }
}
