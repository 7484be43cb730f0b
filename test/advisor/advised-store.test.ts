// The live advisor's request-path hook (segments/advisor/advised-store.ts):
// what each command feeds the copies, inline (-t 1) and through a worker
// ring drained into the copies (-t N): touch and gat move a copy's TTL,
// incr/decr rewrites a copy's item when it grew or creates it when the
// real store did.

import t from 'tap';
import { createAdvisedStore, LiveAdvisor, LIVE_SAMPLER_SEED } from '../../lib/advisor/live-advisor.js';
import { AdvisedStore } from '../../segments/advisor/advised-store.js';
import { RingDrain, RingSink, SharedReport, newAdvisorRings } from '../../segments/advisor/advisor-ring.js';
import type { MiniatureCopy } from '../../segments/advisor/miniature-copy.js';
import { attachStore } from '../../segments/shared-store.js';

const MIB = 1048576;
const START = 1_700_000_000_000;

/** Two ways to run the hook at rate 1 (every key sampled), with `settle()` applying what a ring holds. */
function setups(clock: { nowMs: () => number }): { name: string; store: AdvisedStore; live: LiveAdvisor; settle: () => void }[] {
  const options = { memoryLimitBytes: 8 * MIB, itemSizeMax: MIB, segmentSize: MIB, clock, hashSeed: 77 };
  const inline = createAdvisedStore(options, 1);
  if (inline.sink instanceof LiveAdvisor) inline.sink.stop();
  const rings = newAdvisorRings(1, 1, LIVE_SAMPLER_SEED);
  const live = new LiveAdvisor({ memoryBytes: 8 * MIB, segmentSize: MIB, rate: 1, seed: LIVE_SAMPLER_SEED, evictionPolicy: 'merge', mergeSegments: 3, clock });
  const drain = new RingDrain(rings);
  const ringed = new AdvisedStore(options, {}, new RingSink(rings.rings[0]!), new SharedReport(rings), { rate: 1, seed: LIVE_SAMPLER_SEED });
  return [
    { name: 'inline', store: inline, live: inline.sink as LiveAdvisor, settle: () => {} },
    { name: 'ring', store: ringed, live, settle: () => void drain.drain(live) },
  ];
}

/** The copy's record for the key `hash` (its 4-byte key), or -1. */
function copyRef(copy: MiniatureCopy, hash: number): number {
  const key = Buffer.alloc(4);
  key.writeUInt32LE(hash >>> 0, 0);
  return copy.store.peek(key);
}

t.test('touch and gat give the copies the new TTL', async (t) => {
  let now = START;
  const clock = { nowMs: () => now };
  for (const s of setups(clock)) {
    const { store, live, settle } = s;
    const a = Buffer.from('touched-key');
    const b = Buffer.from('gat-key');
    store.store('set', a, Buffer.alloc(100), 0, 10, 0);
    store.store('set', b, Buffer.alloc(100), 0, 10, 0);
    t.equal(store.touch(a, 1000), 'touched');
    t.ok(store.getAndTouch(b, 1000) >= 0);
    settle();
    now += 20_000;
    t.ok(store.get(a) >= 0 && store.get(b) >= 0, `${s.name}: the real store still holds both`);
    settle();
    const points = live.advisor.curve(0);
    for (const p of points) t.equal(p.hits, p.gets, `${s.name}: copy of ${p.memoryBytes} hits every get (${p.hits}/${p.gets})`);
    t.equal(points[0]!.gets, 3, 'the gat and the two gets');
  }
});

t.test('incr/decr: copies rewrite an item whose number grew, and create one the real store created', async (t) => {
  const clock = { nowMs: () => START };
  for (const s of setups(clock)) {
    const { store, live, settle } = s;
    const key = Buffer.from('counter');
    store.store('set', key, Buffer.from('1'), 0, 0, 0);
    settle();
    // peek: the key's hash without feeding the advisor.
    store.peek(key);
    const hash = store.lastKeyHash;
    const copy = live.advisor.copies[0]!;
    t.equal(copy.recordScale, 1, 'rate 1: exact records');
    // The copy's value is the real key + value bytes less its 4-byte key.
    t.equal(copy.store.itemValueLength(copyRef(copy, hash)), key.length + 1 - 4);
    t.equal(store.arith(key, true, 10n ** 12n, undefined, 0, 0), 'ok');
    settle();
    t.equal(copy.store.itemValueLength(copyRef(copy, hash)), key.length + 13 - 4, `${s.name}: grown to 13 digits in the copy`);
    // A shorter number is rewritten in place by the real store: the copy keeps its record.
    const before = copyRef(copy, hash);
    t.equal(store.arith(key, false, 10n ** 12n, undefined, 0, 0), 'ok');
    settle();
    t.equal(copyRef(copy, hash), before, `${s.name}: no rewrite for a number that did not grow`);
    // Binary incr with an initial value creates the item in the real store: the copies create it too.
    const fresh = Buffer.from('created-counter');
    t.equal(store.arith(fresh, true, 1n, 5n, 0, 0), 'ok');
    settle();
    store.peek(fresh);
    const freshHash = store.lastKeyHash;
    t.ok(copyRef(copy, freshHash) >= 0, `${s.name}: the copy holds the created counter`);
    // A miss feeds nothing.
    const sampled = live.sampledRequests();
    t.equal(store.arith(Buffer.from('absent'), true, 1n, undefined, 0, 0), 'not_found');
    settle();
    t.equal(live.sampledRequests(), sampled, `${s.name}: a missed incr feeds nothing`);
  }
});

t.test('a get in a read attempt a writer overlapped feeds the sink nothing; the attempt that stands feeds it once', async (t) => {
  const clock = { nowMs: () => START };
  for (const { name, store, settle } of setups(clock)) {
    const writer = attachStore(store.handle, { threadSlot: 1, clock });
    writer.store('set', Buffer.from('k'), Buffer.from('old'), 0, 0, 0);
    const before = store.sink.allGets;
    store.beginReadAttempt(0);
    store.get(Buffer.from('k'));
    writer.store('set', Buffer.from('k'), Buffer.from('newer'), 0, 0, 0);
    t.equal(store.endReadAttempt(), false, `${name}: the attempt is void`);
    t.equal(store.sink.allGets, before, `${name}: nothing fed from the void attempt`);
    store.beginReadAttempt(1);
    store.get(Buffer.from('k'));
    t.equal(store.endReadAttempt(), true);
    t.equal(store.sink.allGets, before + 1, `${name}: one get fed from the attempt that stands`);
    settle();
  }
});
