import t from 'tap';
import { summarizeReclaim, type UsageSample } from '../../benchmarks/expiry/reclaim-summary.js';

const series = (points: Array<[number, number]>): UsageSample[] => points.map(([t, used]) => ({ t, used }));

t.test('reclaim time is measured from the last deadline', async (t) => {
  // Writes end at 10 s holding 200; the floor (no-TTL items) is 100; last deadline 15 s.
  const s = series([[9, 190], [10, 200], [12, 180], [15, 150], [16, 110], [16.5, 104], [17, 100], [20, 100]]);
  const r = summarizeReclaim(s, 10, 15, 100);
  t.equal(r.usedAtEnd, 200);
  t.equal(r.floor, 100);
  t.equal(r.reclaimedAt, 16.5, 'first sample with at most 5% of the excess left');
  t.equal(r.lagSec, 1.5);
  t.equal(r.leftAtEnd, 0);
});

t.test('reclaim before the last deadline counts as no lag', async (t) => {
  const r = summarizeReclaim(series([[10, 200], [11, 100], [20, 100]]), 10, 15, 100);
  t.equal(r.lagSec, 0);
});

t.test('never reclaimed in the window', async (t) => {
  const r = summarizeReclaim(series([[10, 200], [15, 195], [20, 190]]), 10, 15, 100);
  t.ok(Number.isNaN(r.reclaimedAt));
  t.ok(Number.isNaN(r.lagSec));
  t.equal(r.leftAtEnd, 0.9);
});

t.test('nothing to reclaim, or nothing to measure', async (t) => {
  const none = summarizeReclaim(series([[10, 100], [20, 100]]), 10, 15, 100);
  t.equal(none.lagSec, 0);
  t.equal(none.leftAtEnd, 0);
  t.ok(Number.isNaN(summarizeReclaim(series([[11, 100]]), 10, 15, 100).usedAtEnd), 'no sample before the end of writes');
  t.ok(Number.isNaN(summarizeReclaim(series([[10, 100], [12, 90]]), 10, 15, NaN).lagSec), 'unknown floor');
  t.ok(Number.isNaN(summarizeReclaim(series([[10, NaN], [12, NaN]]), 10, 15, 5).lagSec), 'no valid samples');
});
