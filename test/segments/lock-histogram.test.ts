// The serial-event histogram (segments/lock-histogram.ts): events split at
// LONG_EVENT_NS, power-of-two buckets, sums over threads; and a store built
// with measureLock records one event per wait and exclusive hold, a store
// built without records nothing; spans are read without allocating (nsBetween).

import t from 'tap';
import { HISTOGRAM_BUCKETS, LONG_EVENT_NS, LockHistogram, nsBetween, nsSince, quantileNs, sumHistograms } from '../../segments/lock-histogram.js';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';

t.test('events split at LONG_EVENT_NS, bucketed by power of two, summed over threads', async (t) => {
  const h = new LockHistogram();
  h.add('held', 300);
  h.add('held', 700);
  h.add('held', LONG_EVENT_NS - 1);
  h.add('held', LONG_EVENT_NS);
  h.add('wait', 5e9);
  const held = h.figures.held;
  t.same([held.shortCount, held.shortNs, held.longCount, held.longNs], [3, 300 + 700 + LONG_EVENT_NS - 1, 1, LONG_EVENT_NS]);
  t.equal(held.counts[9], 1, '300 ns in [256, 512)');
  t.equal(held.counts[10], 1, '700 ns in [512, 1024)');
  t.equal(quantileNs(held, 0.5), 1024, 'half the holds under 1024 ns');
  t.equal(h.figures.wait.counts[HISTOGRAM_BUCKETS - 1], 0, '5 s is below the last bucket');
  t.equal(h.figures.wait.longCount, 1);
  const sum = sumHistograms([h.figures, h.figures]);
  t.same([sum.held.shortCount, sum.held.longNs, sum.wait.longCount, sum.lost.shortCount], [6, 2 * LONG_EVENT_NS, 2, 0]);
  t.equal(quantileNs(sum.lost, 0.5), Infinity, 'no events: no quantile');
});

t.test('spans between performance.now() readings: whole ns, never negative, capped below 2^30', (t) => {
  t.equal(nsBetween(1000, 1000.0005), 500);
  t.equal(nsBetween(2.25, 2.25), 0);
  t.equal(nsBetween(5, 4), 0, 'a reading before the start counts as no time');
  t.equal(nsBetween(0, 5000), 0x3fffffff, '5 s is capped at about 1.07 s');
  t.ok(Number.isInteger(nsBetween(1.1, 1.2345678)));
  const start = performance.now() - 2;
  t.ok(nsSince(start) >= 2e6, 'at least the 2 ms before now');
  t.end();
});

t.test('a store built with measureLock records each exclusive hold once; one built without records nothing', async (t) => {
  const options = { memoryLimitBytes: 4 << 20, itemSizeMax: 4096, segmentSize: 64 * 1024, hashSeed: 1 };
  const measured = attachStore(createSharedStore(options, { measureLock: true, maxThreads: 1 }), { threadSlot: 0 });
  const before = measured.lockTimes().acquisitions;
  for (let i = 0; i < 10; i++) measured.store('set', Buffer.from(`k${i}`), Buffer.from('v'), 0, 0, 0);
  const figures = measured.lockHistogram()!;
  const holds = figures.held.shortCount + figures.held.longCount;
  t.ok(holds >= 10, `${holds} exclusive holds recorded for 10 sets`);
  t.equal(holds, measured.lockTimes().acquisitions, 'one per exclusive acquisition');
  t.ok(measured.lockTimes().acquisitions > before);
  t.equal(Math.round(figures.held.shortNs + figures.held.longNs), Math.round(measured.lockTimes().heldNs), 'their time is the held time');
  const plain = attachStore(createSharedStore(options, { maxThreads: 1 }), { threadSlot: 0 });
  plain.store('set', Buffer.from('k'), Buffer.from('v'), 0, 0, 0);
  t.equal(plain.lockHistogram(), null);
});
