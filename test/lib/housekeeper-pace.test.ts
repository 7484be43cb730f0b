// lib/server/housekeeper-pace.ts: the housekeeping loop's rest after a step
// that left work pending, when it is on (cores against request threads), and
// the env switch that sets its ratio.

import t from 'tap';
import { MAX_PAUSE_MS, PACE_RATIO, paceRatio, pauseAfterStep } from '../../lib/server/housekeeper-pace.js';

t.test('a step is followed by ratio times its length, capped', async (t) => {
  t.equal(pauseAfterStep(0.04, false, 3), 0.12, '40 µs of work, 120 µs of rest');
  t.equal(pauseAfterStep(0.04, false, PACE_RATIO), 0.04 * PACE_RATIO);
  t.equal(pauseAfterStep(10, false, 3), MAX_PAUSE_MS, 'a step the kernel descheduled does not buy a long rest');
});

t.test('no rest when writers are close to running dry, with pacing off, or after a step that took no time', async (t) => {
  t.equal(pauseAfterStep(0.04, true, 3), 0, 'urgent');
  t.equal(pauseAfterStep(0.04, false, 0), 0, 'ratio 0');
  t.equal(pauseAfterStep(0, false, 3), 0);
  t.equal(pauseAfterStep(Number.NaN, false, 3), 0);
});

t.test('by default it paces only where the request threads leave no core to spare', async (t) => {
  t.equal(paceRatio({}, 1, 1), PACE_RATIO, '-t 1 on one core');
  t.equal(paceRatio({}, 2, 4), PACE_RATIO, '-t 4 on two cores');
  t.equal(paceRatio({}, 4, 4), PACE_RATIO, '-t 4 on four cores: the housekeeper is a fifth thread');
  t.equal(paceRatio({}, 2, 1), 0, '-t 1 on two cores: flat out');
  t.equal(paceRatio({}, 16, 4), 0, '-t 4 on sixteen cores: flat out');
});

t.test('GROW_A_CACHE_HOUSEKEEPER_PACE sets the ratio whatever the cores; anything else keeps the default', async (t) => {
  t.equal(paceRatio({ GROW_A_CACHE_HOUSEKEEPER_PACE: '0' }, 1, 1), 0, '0 turns pacing off');
  t.equal(paceRatio({ GROW_A_CACHE_HOUSEKEEPER_PACE: '1.5' }, 1, 1), 1.5);
  t.equal(paceRatio({ GROW_A_CACHE_HOUSEKEEPER_PACE: '3' }, 16, 1), 3, 'on where it would be off');
  t.equal(paceRatio({ GROW_A_CACHE_HOUSEKEEPER_PACE: '' }, 1, 1), PACE_RATIO);
  t.equal(paceRatio({ GROW_A_CACHE_HOUSEKEEPER_PACE: '-1' }, 1, 1), PACE_RATIO);
  t.equal(paceRatio({ GROW_A_CACHE_HOUSEKEEPER_PACE: 'fast' }, 16, 1), 0, 'not a number: the default for the cores');
});
