// The sizing advisor's model (segments/advisor/): the key sampler, a
// miniature copy against the real store, the curve's shape and memory.

import t, { type Test } from 'tap';
import { KeySampler } from '../../segments/advisor/key-sampler.js';
import { DEFAULT_RECORD_SCALE, MiniatureCopy, copyGeometry, copyValueLength, recordScaleFor } from '../../segments/advisor/miniature-copy.js';
import { BIT_HAS_DEADLINE, recordBytes } from '../../segments/item-layout.js';
import { SizingAdvisor, recommend, sizesAround, type CurvePoint } from '../../segments/advisor/sizing-advisor.js';
import { SegmentStore } from '../../segments/segment-store.js';
import { hashBytes } from '../../segments/key-hash.js';
import { prng } from '../prng.js';

const MIB = 1048576;
const START = 1_700_000_000_000;

t.test('the sampler is deterministic for a seed and samples about its rate', async (t) => {
  const a = new KeySampler(0.05, 7);
  const b = new KeySampler(0.05, 7);
  const c = new KeySampler(0.05, 8);
  let inA = 0;
  let differs = 0;
  let mismatches = 0;
  for (let i = 0; i < 100_000; i++) {
    const h = hashBytes(Buffer.from(`key:${i}`), 0, `key:${i}`.length, 1);
    if (a.sampled(h) !== b.sampled(h)) mismatches++;
    if (a.sampled(h)) inA++;
    if (a.sampled(h) !== c.sampled(h)) differs++;
  }
  t.equal(mismatches, 0, 'same seed, same sample');
  t.ok(inA > 4500 && inA < 5500, `${inA} of 100000 sampled at rate 0.05`);
  t.ok(differs > 5000, 'another seed picks other keys');
  t.throws(() => new KeySampler(0, 1), RangeError);
  t.throws(() => new KeySampler(1.5, 1), RangeError);
});

/** A Zipf-ish skewed, seeded stream of look-aside requests with TTLs. */
function* stream(n: number, keys: number, seed: number): Generator<{ id: number; size: number; ttl: number; t: number }> {
  const rnd = prng(seed);
  for (let i = 0; i < n; i++) {
    const id = Math.floor(keys * rnd() ** 3);
    yield { id, size: 40 + ((id * 2654435761) % 400), ttl: id % 5 === 0 ? 30 : 0, t: Math.floor(i / 2000) };
  }
}

/**
 * Hits of the real store and of a copy (rate 1, full size, `recordScale`) on the same stream, with merge eviction's
 * Math.random replayed alike. `ghostEntries` for both stores (segments/ghost-keys.ts); their default when absent.
 */
function realAndCopy(t: Test, recordScale: number, ghostEntries?: number): { realHits: boolean[]; copyHits: boolean[]; real: SegmentStore; copy: MiniatureCopy } {
  const realRandom = Math.random;
  t.teardown(() => {
    Math.random = realRandom;
  });
  let now = START;
  const clock = { nowMs: () => now };
  const memoryBytes = 2 * MIB;
  const segmentSize = 64 * 1024;
  const run = (feed: (key: string, size: number, ttl: number) => boolean): boolean[] => {
    Math.random = prng(99);
    now = START;
    const hits: boolean[] = [];
    let second = 0;
    for (const r of stream(120_000, 40_000, 5)) {
      now = START + r.t * 1000;
      hits.push(feed(`k${r.id}`.padEnd(12, '-'), r.size, r.ttl));
      second = r.t;
    }
    t.ok(second > 0);
    return hits;
  };
  const real = new SegmentStore({ memoryLimitBytes: memoryBytes, itemSizeMax: segmentSize, segmentSize, clock, hashSeed: 0x5eed }, { maxThreads: 1, ghostEntries });
  const filler = Buffer.alloc(1024);
  const realHits = run((key, size, ttl) => {
    const k = Buffer.from(key);
    if (real.get(k) >= 0) return true;
    real.store('set', k, filler.subarray(0, size), 0, ttl, 0);
    return false;
  });
  const copy = new MiniatureCopy({ memoryBytes, segmentSize, rate: 1, evictionPolicy: 'merge', mergeSegments: 3, clock, recordScale, ghostEntries });
  const copyHits = run((key, size, ttl) => {
    const h = hashBytes(Buffer.from(key), 0, key.length, 3);
    if (copy.get(h)) return true;
    copy.set(h, key.length, size, ttl);
    return false;
  });
  t.ok(real.counters.evictions > 1000, `the stream evicts (${real.counters.evictions})`);
  return { realHits, copyHits, real, copy };
}

for (const ghosts of [false, true])
t.test(`a copy at rate 1 and full size hits ${ghosts ? 'as often as' : 'exactly where'} the real store does${ghosts ? ' (ghost keys on)' : ''}`, async (t) => {
  // Ghost keys are a lossy table indexed by key hash, and the copy's keys (and so their hashes) are
  // not the real ones: with ghosts on, the two differ by which evicted keys collide there, so only
  // the hit counts are compared; off, every request must match.
  const { realHits, copyHits, real, copy } = realAndCopy(t, 1, ghosts ? undefined : 0);
  if (ghosts) {
    t.ok(Math.abs(copy.hits / real.counters.getHits - 1) < 0.01, `hits within 1% (${copy.hits} vs ${real.counters.getHits})`);
    return;
  }
  let same = 0;
  for (let i = 0; i < realHits.length; i++) if (realHits[i] === copyHits[i]) same++;
  t.equal(same, realHits.length, 'every request hits or misses alike');
  t.equal(copy.hits, real.counters.getHits);
  t.equal(copy.store.counters.evictions, real.counters.evictions);
});

t.test('a copy with records scaled down 8x takes 1/8 of the segment bytes and keeps the hit ratio', async (t) => {
  const { realHits, copy, real } = realAndCopy(t, 8);
  t.equal(copy.recordScale, 8);
  t.equal(copy.segmentSize, (64 * 1024) / 8, 'segments 1/8 of the real ones');
  t.equal(copy.store.handle.options.memoryLimitBytes, (2 * MIB) / 8);
  const realRatio = real.counters.getHits / realHits.length;
  const copyRatio = copy.hits / copy.gets;
  t.ok(Math.abs(copyRatio - realRatio) < 0.01, `hit ratio ${copyRatio} vs real ${realRatio}: within a point`);
  // Holds as many items as the real store, not 8x as many (the records weigh their real size).
  const ratio = copy.items() / real.counters.items;
  t.ok(ratio > 0.9 && ratio < 1.1, `items ${copy.items()} vs real ${real.counters.items}`);
});

t.test('copy record sizes: exact at scale 1, 1/k of the real record on average at scale k', async (t) => {
  const rnd = prng(17);
  for (let i = 0; i < 2000; i++) {
    const keyLength = 1 + Math.floor(rnd() * 250);
    const valueLength = Math.floor(rnd() * 5000);
    const expires = rnd() < 0.5;
    const bits = expires ? BIT_HAS_DEADLINE : 0;
    const v = copyValueLength(Math.floor(rnd() * 2 ** 32), keyLength, valueLength, expires, 1);
    t.equal(recordBytes(4, v, bits), recordBytes(Math.max(4, keyLength), valueLength, bits), 'scale 1: the real record length');
  }
  for (const scale of [2, 8, 16]) {
    let real = 0;
    let copy = 0;
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const keyLength = 10 + Math.floor(rnd() * 60);
      const valueLength = 16 * scale + Math.floor(rnd() * 2000);
      const expires = rnd() < 0.5;
      const bits = expires ? BIT_HAS_DEADLINE : 0;
      const r = recordBytes(keyLength, valueLength, bits);
      const c = recordBytes(4, copyValueLength(Math.floor(rnd() * 2 ** 32), keyLength, valueLength, expires, scale), bits);
      if (c < Math.floor(r / scale / 8) * 8 || c > Math.floor(r / scale / 8) * 8 + 8) outside++;
      real += r;
      copy += c;
    }
    t.equal(outside, 0, `scale ${scale}: each copy record is real / scale rounded to 8, down or up`);
    t.ok(Math.abs((copy * scale) / real - 1) < 0.01, `scale ${scale}: ${copy} x ${scale} vs ${real} bytes, within 1%`);
  }
  t.throws(() => copyGeometry({ memoryBytes: MIB, segmentSize: MIB, rate: 0.5, recordScale: 0.5 }), RangeError);
  t.equal(recordScaleFor(1, MIB), 1, 'full rate: exact records');
  t.equal(recordScaleFor(0.01, MIB), DEFAULT_RECORD_SCALE);
  t.equal(recordScaleFor(0.0001, MIB), 1, 'a 104-byte scaled segment is not shrunk further');
  t.equal(copyGeometry({ memoryBytes: 64 * MIB, segmentSize: MIB, rate: 0.01 }).segmentSize, Math.floor(MIB / 100 / DEFAULT_RECORD_SCALE / 8) * 8);
});

function feed(advisor: SizingAdvisor, n: number, keys: number, seed: number, clock: { ms: number }): void {
  let second = 0;
  for (const r of stream(n, keys, seed)) {
    clock.ms = START + r.t * 1000;
    if (r.t !== second) {
      advisor.expireNow();
      second = r.t;
    }
    const key = `key-${r.id}`;
    const h = hashBytes(Buffer.from(key), 0, key.length, 11);
    advisor.countGet();
    if (advisor.offer(h)) advisor.get(h, key.length, r.size, r.ttl);
  }
}

t.test('the curve rises with memory (merge eviction, no TTL churn) and the recommendation follows it', async (t) => {
  const clock = { ms: START };
  const advisor = new SizingAdvisor({ sizes: sizesAround(8 * MIB), segmentSize: MIB, rate: 0.25, seed: 3, clock: { nowMs: () => clock.ms } });
  feed(advisor, 300_000, 150_000, 9, clock);
  const curve = advisor.curve();
  t.equal(curve.length, 9);
  // Merge eviction is not a stack algorithm: a bigger copy may lose a
  // hair where a smaller one kept a lucky item, so allow 0.3 points.
  for (let i = 1; i < curve.length; i++) {
    t.ok(curve[i]!.hitRatio >= curve[i - 1]!.hitRatio - 0.003, `${curve[i]!.memoryBytes}: ${curve[i]!.hitRatio} >= ${curve[i - 1]!.hitRatio}`);
  }
  t.ok(curve[8]!.hitRatio - curve[0]!.hitRatio > 0.05, 'memory buys hits on this stream');
  const r = recommend(curve);
  t.ok(r.size !== undefined && r.size.hitRatio >= r.best - 0.01);
  const smaller = curve.filter((p) => p.memoryBytes < r.size!.memoryBytes);
  for (const p of smaller) t.ok(p.hitRatio < r.best - 0.01, 'no smaller size is within a point');
  t.equal(r.doublings.length, 7, '9 half-octave points give 7 doublings');
});

t.test('recommend picks the smallest size within a point of the best', async (t) => {
  const p = (mb: number, hitRatio: number): CurvePoint => ({ memoryBytes: mb * MIB, gets: 1, hits: 1, hitRatio, items: 5000, copyBytes: 0, oversize: 0, lowSample: false });
  const r = recommend([p(1, 0.5), p(2, 0.7), p(4, 0.795), p(8, 0.8)]);
  t.equal(r.size?.memoryBytes, 4 * MIB);
  t.same(
    r.doublings.map((d) => Math.round(d.gain * 1000)),
    [200, 95, 5],
  );
});

t.test('anchoring shifts every point by the gap at the measured size', async (t) => {
  const clock = { ms: START };
  const advisor = new SizingAdvisor({ sizes: sizesAround(8 * MIB), segmentSize: MIB, rate: 0.25, seed: 3, clock: { nowMs: () => clock.ms } });
  feed(advisor, 60_000, 150_000, 9, clock);
  const raw = advisor.curve();
  const anchored = advisor.curve(advisor.allGets, { memoryBytes: raw[4]!.memoryBytes, hitRatio: raw[4]!.hitRatio + 0.02 });
  for (let i = 0; i < raw.length; i++) t.ok(Math.abs(anchored[i]!.hitRatio - raw[i]!.hitRatio - 0.02) < 1e-12, `point ${i} shifted by 0.02`);
  t.same(advisor.curve(advisor.allGets, { memoryBytes: 12345, hitRatio: 0.5 }), raw, 'no copy of that size: no shift');
});

t.test('a flood of distinct keys keeps the copies inside their bounds', async (t) => {
  const clock = { ms: START };
  const sizes = sizesAround(4 * MIB);
  const rate = 0.1;
  const advisor = new SizingAdvisor({ sizes, segmentSize: MIB, rate, clock: { nowMs: () => clock.ms } });
  const segments = sizes.reduce((s, m) => s + copyGeometry({ memoryBytes: m, segmentSize: MIB, rate }).memoryBytes, 0);
  const before = advisor.memoryBytes();
  for (let i = 0; i < 400_000; i++) {
    const key = `flood-${i}`;
    const h = hashBytes(Buffer.from(key), 0, key.length, 5);
    if (advisor.offer(h)) advisor.set(h, key.length, 200, 0);
  }
  const after = advisor.memoryBytes();
  t.ok(advisor.sampledRequests > 35_000, `${advisor.sampledRequests} sampled`);
  for (const p of advisor.curve()) t.ok(p.items * 200 < p.memoryBytes * rate, `copy of ${p.memoryBytes} holds ${p.items} items within rate x size`);
  // Segments are rate x sizes; the rest is hash index and chain tables, which cannot outgrow the items.
  t.ok(after <= segments * 1.6 + sizes.length * 200 * 1024, `${after} bytes for ${segments} bytes of segments`);
  t.ok(after <= before * 2, `memory ${before} -> ${after}`);
});

t.test('the SHARDS adjustment counts gets the sample missed as hits', async (t) => {
  const advisor = new SizingAdvisor({ sizes: [MIB], segmentSize: 64 * 1024, rate: 0.5, clock: { nowMs: () => START } });
  const key = 'the-one-key';
  let h = 0;
  for (let i = 0; !advisor.sampler.sampled(h); i++) h = hashBytes(Buffer.from(`${key}${i}`), 0, key.length + String(i).length, 1);
  for (let i = 0; i < 10; i++) advisor.get(h, 12, 100, 0);
  t.equal(advisor.curve(0)[0]!.hitRatio, 0.9, 'unadjusted: 9 of 10');
  // 40 gets of keys outside the sample: expected sampled gets 20, seen 10.
  t.equal(advisor.curve(40)[0]!.hitRatio, (9 + 10) / 20);
});
