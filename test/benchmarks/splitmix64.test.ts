import t from 'tap';
import { SplitMix64, hash32, hashUnit } from '../../benchmarks/core/splitmix64.js';

const MASK = (1n << 64n) - 1n;

/** Straightforward BigInt SplitMix64, the reference for the 32-bit-halves version. */
function* reference(seed: bigint): Generator<bigint> {
  let state = seed & MASK;
  for (;;) {
    state = (state + 0x9e3779b97f4a7c15n) & MASK;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    yield z ^ (z >> 31n);
  }
}

function toBig([hi, lo]: [number, number]): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

t.test('seed 0 gives the published first outputs', async (t) => {
  const rng = new SplitMix64(0);
  t.equal(toBig(rng.nextPair()), 0xe220a8397b1dcdafn);
  t.equal(toBig(rng.nextPair()), 0x6e789e6aa1b965f4n);
  t.equal(toBig(rng.nextPair()), 0x06c45d188009454fn);
});

t.test('matches the BigInt reference for many seeds and steps', async (t) => {
  for (const seed of [1, 42, 0xffffffff, 0x100000000, 2 ** 53 - 1, 123456789012345]) {
    const rng = new SplitMix64(seed);
    const ref = reference(BigInt(seed));
    let same = true;
    for (let i = 0; i < 2000; i++) if (toBig(rng.nextPair()) !== ref.next().value) same = false;
    t.ok(same, `seed ${seed}`);
  }
});

t.test('equal seeds give equal streams; reseed restarts', async (t) => {
  const a = new SplitMix64(7);
  const b = new SplitMix64(7);
  const xs = Array.from({ length: 5 }, () => a.nextU32());
  t.same(Array.from({ length: 5 }, () => b.nextU32()), xs);
  a.reseed(7);
  t.same(Array.from({ length: 5 }, () => a.nextU32()), xs);
  t.notSame(Array.from({ length: 5 }, () => new SplitMix64(8).nextU32()), xs.slice(0, 1));
});

t.test('floats are in [0, 1) and nextBelow in range', async (t) => {
  const rng = new SplitMix64(99);
  let min = 1;
  let max = 0;
  let sum = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const f = rng.nextFloat();
    min = Math.min(min, f);
    max = Math.max(max, f);
    sum += f;
  }
  t.ok(min >= 0 && max < 1);
  t.ok(Math.abs(sum / n - 0.5) < 0.02, 'mean near 1/2');
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 10000; i++) counts[rng.nextBelow(10)]++;
  t.ok(counts.every((c) => c > 800 && c < 1200), 'nextBelow(10) roughly uniform');
});

t.test('hash32 is stable and spreads ids', async (t) => {
  t.equal(hash32(5, 77), hash32(5, 77));
  t.not(hash32(5, 77), hash32(5, 78));
  t.not(hash32(5, 77), hash32(6, 77));
  t.not(hash32(0, 0), 0);
  const seen = new Set<number>();
  for (let i = 0; i < 10000; i++) seen.add(hash32(1, i));
  t.equal(seen.size, 10000, 'no collisions over 10k consecutive ids');
  const u = hashUnit(3, 4);
  t.ok(u >= 0 && u < 1);
});
