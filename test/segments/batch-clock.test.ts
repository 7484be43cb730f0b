// BatchClock: one reading per held batch, the live clock otherwise, and
// nested holds release only at the outermost release. Date.now is stubbed
// so the test controls time without waiting.

import t from 'tap';
import { BatchClock } from '../../segments/batch-clock.js';

t.test('holds one reading per batch, reads live outside', async (t) => {
  let now = 1_000;
  const realNow = Date.now;
  Date.now = () => now;
  t.teardown(() => {
    Date.now = realNow;
  });
  const clock = new BatchClock();
  t.equal(clock.nowMs(), 1_000);
  now = 2_000;
  t.equal(clock.nowMs(), 2_000, 'live outside a batch');
  clock.hold();
  now = 3_000;
  t.equal(clock.nowMs(), 2_000, 'held inside');
  clock.hold();
  now = 4_000;
  t.equal(clock.nowMs(), 2_000, 'a nested hold keeps the outer reading');
  clock.release();
  t.equal(clock.nowMs(), 2_000, 'still held until the outer release');
  clock.release();
  t.equal(clock.nowMs(), 4_000, 'live again');
  clock.release();
  t.equal(clock.nowMs(), 4_000, 'an extra release does nothing');
  clock.hold();
  t.equal(clock.nowMs(), 4_000, 'a new batch reads afresh');
  clock.release();
});
