import t from 'tap';
import { ZipfSampler } from '../../benchmarks/hitratio/zipf.js';
import { SplitMix64 } from '../../benchmarks/core/splitmix64.js';

t.test('ranks at the ends of [0, 1)', async (t) => {
  const z = new ZipfSampler(1000, 1.2);
  t.equal(z.rank(0), 0);
  t.equal(z.rank(0.9999999999), 999);
  t.equal(z.rank(z.probability(0) - 1e-12), 0);
  t.equal(z.rank(z.probability(0)), 1, 'u equal to cdf[0] goes to the next rank');
});

t.test('probabilities follow 1/(r+1)^alpha and sum to 1', async (t) => {
  const z = new ZipfSampler(500, 0.8);
  let sum = 0;
  for (let r = 0; r < 500; r++) sum += z.probability(r);
  t.ok(Math.abs(sum - 1) < 1e-9);
  t.ok(Math.abs(z.probability(0) / z.probability(9) - 10 ** 0.8) < 1e-9, 'p(1)/p(10) = 10^alpha');
});

t.test('alpha 0 is uniform', async (t) => {
  const z = new ZipfSampler(4, 0);
  for (let r = 0; r < 4; r++) t.ok(Math.abs(z.probability(r) - 0.25) < 1e-12);
  t.equal(z.rank(0.26), 1);
});

t.test('seeded draws match the distribution', async (t) => {
  const z = new ZipfSampler(10000, 1.0);
  const rng = new SplitMix64(11);
  const n = 200000;
  let top = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const r = z.rank(rng.nextFloat());
    if (r === 0) top++;
    if (r >= 1000) tail++;
  }
  t.ok(Math.abs(top / n - z.probability(0)) < 0.005, `rank 0 share ${top / n} vs ${z.probability(0)}`);
  let tailP = 0;
  for (let r = 1000; r < 10000; r++) tailP += z.probability(r);
  t.ok(Math.abs(tail / n - tailP) < 0.005, `tail share ${tail / n} vs ${tailP}`);
});

t.test('rejects bad parameters', async (t) => {
  t.throws(() => new ZipfSampler(0, 1));
  t.throws(() => new ZipfSampler(10, -1));
});
