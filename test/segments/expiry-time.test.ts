// memcached exptime rules as deadlines, and the flush_all moment.

import t from 'tap';
import { EXPIRED, MAX_RELATIVE_EXPTIME, NEVER, deadlineFor, flushMomentFor } from '../../segments/expiry-time.js';

const now = 1_700_000_000;

t.test('deadlines', async (t) => {
  t.equal(deadlineFor(0, now), NEVER);
  t.equal(deadlineFor(-1, now), EXPIRED);
  t.equal(deadlineFor(-1_000_000, now), EXPIRED);
  t.equal(deadlineFor(1, now), now + 1);
  t.equal(deadlineFor(MAX_RELATIVE_EXPTIME, now), now + 2592000, '30 days is still relative');
  t.equal(deadlineFor(MAX_RELATIVE_EXPTIME + 1, now), EXPIRED, 'just above is an absolute time in 1970');
  t.equal(deadlineFor(now + 10, now), now + 10, 'absolute');
  t.equal(deadlineFor(now, now), EXPIRED, 'absolute now is already expired');
  t.equal(deadlineFor(2 ** 40, now), 0xfffffffe, 'far future clamps to the field');
  t.equal(deadlineFor(NaN, now), EXPIRED);
});

t.test('flush moments: the last second a flush removes (memcached oldest_live)', async (t) => {
  t.equal(flushMomentFor(0, now), now - 1, 'at once: the second before, so later sets survive');
  t.equal(flushMomentFor(-1, now), now - 1);
  t.equal(flushMomentFor(1, now), now, 'one second before now + 1: the rest of this second too');
  t.equal(flushMomentFor(2, now), now + 1);
  t.equal(flushMomentFor(now + 100, now), now + 99, 'absolute');
  t.equal(flushMomentFor(now - 100, now), now - 1, 'absolute in the past: at once');
  t.equal(flushMomentFor(0, now, false), now, '-C: the whole current second');
  t.equal(flushMomentFor(1, now, false), now + 1, '-C: realtime(delay) itself');
  t.equal(flushMomentFor(2, now, false), now + 2);
  t.equal(flushMomentFor(now + 100, now, false), now + 100);
  t.equal(flushMomentFor(now - 100, now, false), now);
});
