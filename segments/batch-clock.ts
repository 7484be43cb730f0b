// The store's default clock: Date.now(), except that while the connection
// is answering a batch of requests (one read's worth, bounded by -R) the
// time is read once and held.
//
// A 10-key multi-get asks the store for the time ten times, a pipelined
// batch hundreds of times, all within microseconds, and each Date.now()
// costs about 40 ns. Holding the reading for one batch is far finer than
// the store's one-second resolution (memcached itself ticks its clock once
// a second from a timer). Outside a batch (timers, stats, tests) every call
// reads the system clock. Tests that control time inject their own Clock.

import type { Clock } from './types.js';

export class BatchClock implements Clock {
  private ms = 0;
  private depth = 0;

  /** Start a batch: read the clock once; nowMs() returns that until release(). */
  hold(): void {
    if (this.depth++ === 0) this.ms = Date.now();
  }

  /** End the batch started by the matching hold(). */
  release(): void {
    if (this.depth > 0) this.depth--;
  }

  nowMs(): number {
    return this.depth > 0 ? this.ms : Date.now();
  }
}

/** One per process: the connections hold it, every store without an injected clock reads it. */
export const batchClock = new BatchClock();
