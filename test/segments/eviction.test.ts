// Invariants under heavy eviction, for every policy: a get never returns a
// wrong or torn value (values carry their key, a version and a checksum),
// memory never exceeds the limit, the internal structures stay consistent.
// And merge eviction keeps frequently read items over cold ones.

import t from 'tap';
import type { EvictionPolicy } from '../../segments/types.js';
import { audit, b, makeStore, prng } from './helpers.js';

const SEGMENT = 16 * 1024;

/** value = key \0 version(8 hex) \0 filler ... checksum(8 hex) */
function encode(key: string, version: number, length: number): Buffer {
  const head = `${key}\0${version.toString(16).padStart(8, '0')}\0`;
  const body = Buffer.alloc(Math.max(length, head.length + 8), 0x61 + (version % 26));
  body.write(head, 0, 'latin1');
  body.write(checksum(body.subarray(0, body.length - 8)), body.length - 8, 'latin1');
  return body;
}

function checksum(bytes: Buffer): string {
  let h = 0x811c9dc5;
  for (const c of bytes) h = Math.imul(h ^ c, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Returns the version, or a string saying what is wrong. */
function decode(key: string, value: Buffer): number | string {
  const text = value.toString('latin1');
  const parts = text.split('\0');
  if (parts[0] !== key) return `value of ${JSON.stringify(parts[0])} under ${key}`;
  if (checksum(value.subarray(0, value.length - 8)) !== text.slice(-8)) return `torn value under ${key}`;
  return parseInt(parts[1]!, 16);
}

function churn(policy: EvictionPolicy, seed: number): { store: ReturnType<typeof makeStore>['store']; problems: string[] } {
  const { store, clock } = makeStore({ memoryLimitBytes: 24 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: policy });
  const random = prng(seed);
  const latest = new Map<string, number>();
  const problems: string[] = [];
  let version = 0;
  for (let op = 0; op < 40_000 && problems.length < 5; op++) {
    const key = `key${Math.floor(random() * 3000)}`;
    const r = random();
    if (r < 0.55) {
      const exptime = random() < 0.3 ? 1 + Math.floor(random() * 20) : 0;
      const value = encode(key, ++version, 20 + Math.floor(random() * (random() < 0.05 ? 4000 : 400)));
      const status = store.store('set', b(key), value, version & 0xff, exptime, 0);
      if (status !== 'stored') problems.push(`set ${key}: ${status}`);
      else latest.set(key, version);
    } else if (r < 0.9) {
      const ref = store.get(b(key));
      if (ref >= 0) {
        const got = decode(key, Buffer.from(store.itemValue(ref)));
        if (typeof got === 'string') problems.push(got);
        else if (got !== latest.get(key)) problems.push(`${key}: version ${got}, latest written ${latest.get(key)}`);
        else if (store.itemFlags(ref) !== (got & 0xff)) problems.push(`${key}: flags ${store.itemFlags(ref)}`);
      }
    } else if (r < 0.95) {
      store.delete(b(key), 0);
      latest.delete(key);
    } else if (r < 0.97) {
      store.touch(b(key), random() < 0.5 ? 0 : 30);
    } else if (r < 0.99) {
      clock.advance(1);
    } else {
      store.expireNow();
    }
    if (store.counters.bytes > store.options.memoryLimitBytes) problems.push(`bytes ${store.counters.bytes} over the limit`);
    if (op % 5000 === 0) problems.push(...audit(store));
  }
  problems.push(...audit(store));
  return { store, problems };
}

for (const policy of ['merge', 'fifo', 'random'] as const) {
  t.test(`${policy}: no wrong or torn value, memory within the limit`, async (t) => {
    for (const seed of [1, 2]) {
      const { store, problems } = churn(policy, seed);
      t.same(problems, [], `seed ${seed}`);
      t.ok(store.counters.evictions > 1000, `${store.counters.evictions} evictions`);
      if (policy === 'merge') t.ok(store.counters.merges > 10, `${store.counters.merges} merges`);
      const shape = store.shape();
      t.ok(shape.segmentsTotal * shape.segmentSize <= store.options.memoryLimitBytes);
    }
  });
}

function hotSurvival(policy: EvictionPolicy): number {
  const { store, clock } = makeStore({ memoryLimitBytes: 32 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: policy });
  const hot = 200;
  for (let i = 0; i < hot; i++) store.store('set', b(`hot${i}`), Buffer.alloc(100), 0, 0, 0);
  // Cold writes push the hot items through many evictions; each second the
  // hot items are read once (a frequency count).
  for (let round = 0; round < 60; round++) {
    clock.advance(1);
    for (let i = 0; i < hot; i++) store.get(b(`hot${i}`));
    for (let i = 0; i < 300; i++) store.store('set', b(`cold${round}-${i}`), Buffer.alloc(100), 0, 0, 0);
  }
  let alive = 0;
  for (let i = 0; i < hot; i++) if (store.peek(b(`hot${i}`)) >= 0) alive++;
  t.same(audit(store), [], `${policy} consistent`);
  return alive / hot;
}

t.test('merge eviction keeps read items, FIFO does not', async (t) => {
  const merge = hotSurvival('merge');
  const fifo = hotSurvival('fifo');
  t.ok(merge > 0.9, `merge kept ${(merge * 100).toFixed(0)}% of the hot items`);
  t.ok(fifo < 0.1, `fifo kept ${(fifo * 100).toFixed(0)}%`);
});

t.test('merge relocation changes the CAS but never lets an old token through', async (t) => {
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  store.store('set', b('watched'), b('v1'), 0, 0, 0);
  const before = store.itemCas(store.peek(b('watched')));
  let round = 0;
  while (store.counters.merges < 5 && round < 1000) {
    clock.advance(1);
    store.get(b('watched'));
    for (let i = 0; i < 100; i++) store.store('set', b(`filler${round}-${i}`), Buffer.alloc(200), 0, 0, 0);
    round++;
  }
  const ref = store.peek(b('watched'));
  t.ok(ref >= 0, 'the read item survived the merges');
  t.equal(store.itemValue(ref).toString(), 'v1');
  const after = store.itemCas(ref);
  if (after !== before) t.equal(store.store('cas', b('watched'), b('v2'), 0, 0, before), 'exists', 'old token after a move');
  t.equal(store.store('cas', b('watched'), b('v2'), 0, 0, after), 'stored');
  t.same(audit(store), []);
});
