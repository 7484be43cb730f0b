import t from 'tap';
import { LatencyHistogram, bucketHigh, bucketLow, bucketOf } from '../../benchmarks/core/histogram.js';

t.test('buckets are contiguous and contain their values', async (t) => {
  for (let i = 0; i < 400; i++) t.equal(bucketLow(i + 1), bucketHigh(i) + 1, `bucket ${i} meets ${i + 1}`);
  for (const v of [0, 1, 15, 16, 17, 31, 32, 33, 100, 1000, 12345, 999999, 2 ** 30 + 5]) {
    const b = bucketOf(v);
    t.ok(bucketLow(b) <= v && v <= bucketHigh(b), `value ${v} in bucket ${b}`);
  }
  t.equal(bucketOf(-5), 0, 'negative values clamp to 0');
  t.equal(bucketOf(7.9), 7, 'fractions floor');
});

t.test('relative bucket width stays under 1/16', async (t) => {
  for (const v of [100, 1000, 50000, 7e6]) {
    const b = bucketOf(v);
    t.ok((bucketHigh(b) - bucketLow(b) + 1) / bucketLow(b) <= 1 / 16 + 1e-12, `width at ${v}`);
  }
});

t.test('quantiles of known samples', async (t) => {
  const h = new LatencyHistogram();
  t.ok(Number.isNaN(h.quantile(0.5)), 'empty histogram has no quantile');
  for (let v = 1; v <= 100; v++) h.record(v);
  t.equal(h.total, 100);
  const p50 = h.quantile(0.5);
  t.ok(p50 >= 50 && p50 <= 50 * (1 + 1 / 16), `p50 ${p50}`);
  const p99 = h.quantile(0.99);
  t.ok(p99 >= 99 && p99 <= 100, `p99 ${p99}`);
  t.equal(h.quantile(1), 100, 'p100 is the max');
  t.equal(h.quantile(0), 1, 'p0 is the smallest bucket');
});

t.test('merge and sparse round trip keep counts', async (t) => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let i = 0; i < 10; i++) a.record(10);
  for (let i = 0; i < 30; i++) b.record(5000);
  a.merge(b);
  t.equal(a.total, 40);
  t.equal(a.max, 5000);
  t.equal(a.quantile(0.25), 10);
  t.ok(a.quantile(0.5) >= 5000);
  const copy = LatencyHistogram.fromSparse(a.toSparse(), a.max);
  t.equal(copy.total, 40);
  t.equal(copy.quantile(0.9), a.quantile(0.9));
  a.reset();
  t.equal(a.total, 0);
  t.equal(a.max, 0);
});
