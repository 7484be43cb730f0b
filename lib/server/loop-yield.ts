// When a request thread's event loop gives its core away for a moment: after
// it has run requests for a budget of time without once waiting for input,
// on a process with more request threads than usable cores. Not the
// housekeeper's pacing (housekeeper-pace.ts), not flow control between a
// connection and its client (connection.ts).
//
// Why: with -t N above the cores (memcached's default -t 4 in a one-core
// container, or under taskset), a busy core keeps every worker's loop
// supplied with input, so no loop ever blocks in epoll and the kernel
// switches between them only when a time slice runs out. A request then
// waits for the slices of every other worker: on one core at -t 4, p99 of
// sets was 5-6x memcached's (12.8-14.8 ms against 2.4-3 ms;
// benchmarks/RESULTS.md, session 14). memcached's threads give the core
// away often because each blocks as soon as its own connections are
// drained. A loop that has worked for YIELD_BUDGET_MS without going idle
// sleeps briefly (Atomics.wait; the kernel's timer slack makes it ~70 us),
// so the workers take turns at that granularity: p99 fell to 4.3-4.9 ms.
// The price is paid only on such a saturated, shared core (about a sixth
// of its throughput there, in context switches): a loop that blocks for
// input within the budget never sleeps here, and where every request
// thread has a core of its own this is off.
// GROW_A_CACHE_YIELD_US sets the budget in microseconds whatever the cores
// (0 turns it off: the measured alternative).

import { nonNegativeEnvNumber } from './env-number.js';

/** Unbroken work, in ms, after which a loop on a shared core sleeps (measured: 100 us cost a third of the throughput, 1000 us left p99 at 8 ms). */
export const YIELD_BUDGET_MS = 0.3;
/** The sleep asked for; the kernel rounds it up to its timer slack (~50-70 us measured). */
const SLEEP_MS = 0.001;

/**
 * The budget for a loop among `requestThreads` request threads on `cores`
 * usable cores (os.availableParallelism(): the affinity mask), in ms, 0 for
 * never: GROW_A_CACHE_YIELD_US when it is a number >= 0, otherwise
 * YIELD_BUDGET_MS where request threads outnumber the cores.
 */
export function yieldBudgetMs(env: NodeJS.ProcessEnv, cores: number, requestThreads: number): number {
  const us = nonNegativeEnvNumber(env, 'GROW_A_CACHE_YIELD_US');
  if (us !== undefined) return us / 1000;
  return requestThreads > cores ? YIELD_BUDGET_MS : 0;
}

/** What LoopYield reads and does; the real one is nodeLoopClock. */
export interface LoopClock {
  /** Total ms this thread's loop has spent waiting for events (libuv's idle time). */
  idleMs(): number;
  nowMs(): number;
  sleep(ms: number): void;
}

const sleepWord = new Int32Array(new SharedArrayBuffer(4));

export const nodeLoopClock: LoopClock = {
  // 25 ns a read on Node 24 (performance.now() is ~70).
  idleMs: () => performance.nodeTiming.idleTime,
  nowMs: () => performance.now(),
  sleep: (ms) => {
    // Nobody notifies this word: the wait always runs to its timeout.
    Atomics.wait(sleepWord, 0, 0, ms);
  },
};

/** One thread's yield state: call afterInput() after each read's requests have run. */
export class LoopYield {
  private seenIdle = -1;
  private busySince = 0;
  /** Sleeps taken (tests, benchmarks). */
  yields = 0;

  constructor(
    readonly budgetMs: number,
    private readonly clock: LoopClock = nodeLoopClock,
  ) {}

  afterInput(): void {
    if (!(this.budgetMs > 0)) return;
    const clock = this.clock;
    const idle = clock.idleMs();
    if (idle !== this.seenIdle) {
      // The loop waited for input since the last call: a new stretch of work starts.
      this.seenIdle = idle;
      this.busySince = clock.nowMs();
      return;
    }
    if (clock.nowMs() - this.busySince < this.budgetMs) return;
    clock.sleep(SLEEP_MS);
    this.yields++;
    this.busySince = clock.nowMs();
  }
}

/** This thread's instance, off until configureLoopYield() (the single -t 1 loop never yields unless told to). */
export let loopYield = new LoopYield(0);

/** Set this thread's budget (worker-main.ts at start; server.ts for the single loop). */
export function configureLoopYield(budgetMs: number): void {
  loopYield = new LoopYield(budgetMs);
}
