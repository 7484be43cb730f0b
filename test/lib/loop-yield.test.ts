// lib/server/loop-yield.ts: when a request loop gives its core away. The
// budget rule (by cores and request threads, and the env override), and the
// state machine over a fake clock: a loop that goes idle within its budget
// never sleeps; one that works past it sleeps once, then starts a new stretch.

import t from 'tap';
import { LoopYield, YIELD_BUDGET_MS, yieldBudgetMs, type LoopClock } from '../../lib/server/loop-yield.js';

t.test('the budget is on only where request threads outnumber the cores', async (t) => {
  t.equal(yieldBudgetMs({}, 1, 4), YIELD_BUDGET_MS, '-t 4 on one core');
  t.equal(yieldBudgetMs({}, 2, 4), YIELD_BUDGET_MS, '-t 4 on two cores');
  t.equal(yieldBudgetMs({}, 2, 2), 0, 'a core per request thread');
  t.equal(yieldBudgetMs({}, 1, 1), 0, '-t 1 on one core (the housekeeper paces instead)');
  t.equal(yieldBudgetMs({}, 16, 4), 0, 'cores to spare');
});

t.test('GROW_A_CACHE_YIELD_US overrides the rule', async (t) => {
  t.equal(yieldBudgetMs({ GROW_A_CACHE_YIELD_US: '500' }, 16, 1), 0.5, 'microseconds to ms, whatever the cores');
  t.equal(yieldBudgetMs({ GROW_A_CACHE_YIELD_US: '0' }, 1, 4), 0, '0 turns it off');
  t.equal(yieldBudgetMs({ GROW_A_CACHE_YIELD_US: 'fast' }, 1, 4), YIELD_BUDGET_MS, 'not a number: the rule');
  t.equal(yieldBudgetMs({ GROW_A_CACHE_YIELD_US: '-3' }, 1, 4), YIELD_BUDGET_MS, 'negative: the rule');
  t.equal(yieldBudgetMs({ GROW_A_CACHE_YIELD_US: ' ' }, 2, 2), 0, 'blank: the rule');
});

/** A clock whose idle time and now the test sets; records sleeps. */
class FakeClock implements LoopClock {
  idle = 0;
  now = 1000;
  reads = 0;
  sleeps: number[] = [];
  idleMs(): number {
    this.reads++;
    return this.idle;
  }
  nowMs(): number {
    return this.now;
  }
  sleep(ms: number): void {
    this.sleeps.push(ms);
    // Sleeping takes time, and is not idle time of the loop.
    this.now += 0.07;
  }
}

t.test('a budget of 0 never reads the clock and never sleeps', async (t) => {
  const clock = new FakeClock();
  const y = new LoopYield(0, clock);
  for (let i = 0; i < 10; i++) {
    clock.now += 1;
    y.afterInput();
  }
  t.equal(clock.reads, 0);
  t.equal(y.yields, 0);
});

t.test('a loop that waits for input within its budget never sleeps', async (t) => {
  const clock = new FakeClock();
  const y = new LoopYield(0.3, clock);
  for (let i = 0; i < 100; i++) {
    clock.now += 0.2;
    clock.idle += 0.05; // it blocked in epoll between reads
    y.afterInput();
  }
  t.same(clock.sleeps, []);
});

t.test('unbroken work past the budget sleeps once, then starts a new stretch', async (t) => {
  const clock = new FakeClock();
  const y = new LoopYield(0.3, clock);
  y.afterInput(); // first call: a stretch starts at 1000
  clock.now += 0.1;
  y.afterInput();
  clock.now += 0.1;
  y.afterInput();
  t.equal(y.yields, 0, '0.2 ms of work: under the budget');
  clock.now += 0.15;
  y.afterInput();
  t.equal(y.yields, 1, '0.35 ms: one sleep');
  t.equal(clock.sleeps.length, 1);
  t.ok(clock.sleeps[0]! > 0 && clock.sleeps[0]! < 0.3, 'a short sleep, far under the budget');
  clock.now += 0.1;
  y.afterInput();
  t.equal(y.yields, 1, 'the stretch restarted after the sleep');
  clock.now += 0.25;
  y.afterInput();
  t.equal(y.yields, 2, 'and a full budget later it sleeps again');
});

t.test('going idle after a long stretch resets it', async (t) => {
  const clock = new FakeClock();
  const y = new LoopYield(0.3, clock);
  y.afterInput();
  clock.now += 0.29;
  clock.idle += 1; // the loop waited for input
  y.afterInput();
  clock.now += 0.2;
  y.afterInput();
  t.equal(y.yields, 0, '0.49 ms since the start, but only 0.2 since it last went idle');
  clock.now += 0.2;
  y.afterInput();
  t.equal(y.yields, 1);
});

t.test("the real clock: synchronous work is one stretch (the loop cannot go idle inside it)", async (t) => {
  const y = new LoopYield(0.001);
  y.afterInput();
  const until = performance.now() + 0.05;
  while (performance.now() < until) {
    // work without returning to the loop
  }
  y.afterInput();
  t.equal(y.yields, 1, 'slept once after 50 us of work on a 1 us budget');
});
