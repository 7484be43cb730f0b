import t from 'tap';
import { mean, median, pairedDifference, sampleSd, spread, summarizeRepeats } from '../../benchmarks/hitratio/repeat-stats.js';
import type { WideLine } from '../../benchmarks/hitratio/wide-run.js';

t.test('mean, sample SD and median on fixed input', async (t) => {
  t.equal(mean([2, 4, 4, 4, 5, 5, 7, 9]), 5);
  // Sum of squares about the mean 32, n - 1 = 7.
  t.equal(sampleSd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
  t.ok(Number.isNaN(sampleSd([3])), 'one value has no sample SD');
  t.ok(Number.isNaN(mean([])));
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5, 'even count: mean of the middle two');
  t.same(spread([1.002, 0.998, 1.0]), { median: 1.0, min: 0.998, max: 1.002 });
});

t.test('paired difference: mean, SE and t of a - b', async (t) => {
  // Differences 1, 3, 5, 7: mean 4, SD sqrt(20/3), SE SD / 2.
  const d = pairedDifference([11, 13, 15, 17], [10, 10, 10, 10]);
  t.equal(d.n, 4);
  t.equal(d.mean, 4);
  t.equal(d.sd, Math.sqrt(20 / 3));
  t.equal(d.se, Math.sqrt(20 / 3) / 2);
  t.equal(d.t, 4 / (Math.sqrt(20 / 3) / 2));
  t.equal(pairedDifference([5, 1], [1, 5]).mean, 0, 'differences of opposite sign cancel');
  t.throws(() => pairedDifference([1], [1, 2]), 'unpaired samples refused');
});

const line = (repeat: number, server: string, run: number, misses: number, extra: Partial<WideLine['result']> = {}): WideLine => ({
  case: 'c@2x',
  profile: 'c',
  target: 2,
  memoryMb: 48,
  multiple: 2,
  server,
  run,
  repeat,
  result: {
    gets: 1000,
    hits: 1000 - misses,
    compulsory: 0,
    expired: misses,
    capacity: 0,
    deleted: 0,
    wrongValues: 0,
    expiredServed: 0,
    evictions: 0,
    itemsHeld: 0,
    achievedRate: 2000,
    hitsPastDeadline: 0,
    ...extra,
  },
});

t.test('repeats are paired by repeat; an incomplete repeat is left out', async (t) => {
  const lines = [
    line(1, 'memcached', 1, 100, { hitsPastDeadline: 7 }),
    line(1, 'grow-a-cache', 1, 102),
    line(1, 'memcached', 2, 101),
    line(2, 'grow-a-cache', 1, 98),
    line(2, 'memcached', 1, 100),
    line(2, 'memcached', 2, 99, { wrongValues: 1 }),
    line(3, 'memcached', 1, 500), // its other runs failed
  ];
  const s = summarizeRepeats(lines);
  t.same(
    s.rows.map((r) => r.repeat),
    [1, 2],
  );
  t.same(s.rows[0]!.pastDeadline, [0, 7, 0], 'ours, memcached #1, #2');
  t.ok(s.rows[0]!.expiredEarly.every(Number.isNaN), 'lines without the counter give NaN, not 0');
  t.equal(s.oursVsMc.mean, 0, '+2 and -2');
  t.equal(s.oursVsMc.sd, Math.sqrt(8));
  t.equal(s.aa.mean, 0, '+1 and -1');
  t.same(s.ratio, { median: 1, min: 0.98, max: 1.02 });
  t.equal(s.mcSd, 0, 'memcached #1 missed 100 both times');
  t.equal(s.wrong, 1);
  t.equal(s.gets, 1000);
});
