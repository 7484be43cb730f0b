// Model-based randomized test: long random sequences of every store
// operation, run against the store and against a plain Map model written
// from memcached's rules, with an injected clock that moves forward. Memory
// is large enough that nothing is ever evicted, so every result must match:
// status codes, values, flags, TTLs, CAS stability (kept by touch, new on
// every write, never reused) and the hit/miss counters.

import t from 'tap';
import type { SegmentStore } from '../../segments/segment-store.js';
import { audit, makeStore, prng, type ManualClock } from './helpers.js';

const ITEM_MAX = 4096;
/** memcached's size of an item, which -I bounds: 48-byte header, key + NUL, 4 bytes of nonzero flags, value + CRLF, 8 bytes of CAS. */
const memcachedItemSize = (keyLength: number, flags: number, valueLength: number): number => 48 + keyLength + 1 + (flags === 0 ? 0 : 4) + valueLength + 2 + 8;
const THIRTY_DAYS = 2592000;
const U64 = (1n << 64n) - 1n;

interface Entry {
  value: Buffer;
  flags: number;
  deadline: number; // 0 = never
  cas: number;
}

/** memcached's exptime rules, written independently of the store. */
function modelDeadline(exptime: number, now: number): number | 'expired' {
  if (exptime === 0) return 0;
  if (exptime < 0) return 'expired';
  const at = exptime > THIRTY_DAYS ? exptime : now + exptime;
  return at <= now ? 'expired' : at;
}

class Model {
  readonly items = new Map<string, Entry>();
  pendingFlush = -1;
  /** The last second the last flush removed: a set stored in it is flushed at once (memcached: item time <= oldest_live). */
  flushSecond = -1;
  counters = { getHits: 0, getMisses: 0, casHits: 0, casMisses: 0, casBadval: 0, touchHits: 0, touchMisses: 0, deleteHits: 0, deleteMisses: 0, incrHits: 0, incrMisses: 0, decrHits: 0, decrMisses: 0 };

  constructor(private readonly clock: ManualClock) {}

  /** Current second, applying a due flush as the store does. */
  now(): number {
    const now = this.clock.seconds;
    if (this.pendingFlush >= 0 && now >= this.pendingFlush) {
      this.flushSecond = this.pendingFlush;
      this.pendingFlush = -1;
      this.items.clear();
    }
    return now;
  }

  live(key: string, now: number): Entry | undefined {
    const e = this.items.get(key);
    if (e === undefined) return undefined;
    if (e.deadline !== 0 && now >= e.deadline) {
      this.items.delete(key);
      return undefined;
    }
    return e;
  }
}

function run(seed: number, ops: number): string[] {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const { store, clock } = makeStore({ memoryLimitBytes: 64 << 20, segmentSize: 64 * 1024, itemSizeMax: ITEM_MAX });
  const model = new Model(clock);
  const problems: string[] = [];
  const issued = new Set<number>();
  const history: number[] = [];
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}:${'x'.repeat(i % 40)}`);

  const randomValue = (): Buffer => {
    const r = random();
    if (r < 0.25) {
      const n = pick([0n, 1n, 9n, 10n, 99n, 100n, U64, U64 - 1n, 1n << 63n, BigInt(Math.floor(random() * 1e9))]);
      return Buffer.from(n.toString());
    }
    const length = r < 0.3 ? 0 : r < 0.97 ? Math.floor(random() * 600) : ITEM_MAX - Math.floor(random() * 20) + 10;
    const buf = Buffer.alloc(length);
    for (let i = 0; i < length; i++) buf[i] = 0x61 + Math.floor(random() * 26);
    return buf;
  };
  const randomExptime = (now: number): number =>
    pick([0, 0, 0, 1, 2, 3, 5, 10, 100, -1, now + 2, now + 50, now - 5, THIRTY_DAYS, THIRTY_DAYS + 1]);
  const randomCas = (entry: Entry | undefined): number => {
    const r = random();
    if (r < 0.5 && entry !== undefined) return entry.cas;
    if (r < 0.8 && history.length > 0) return pick(history);
    return r < 0.9 ? 0 : 1 + Math.floor(random() * 1e6);
  };
  const expect = (what: string, got: unknown, want: unknown) => {
    if (got !== want) problems.push(`${what}: got ${String(got)}, want ${String(want)}`);
  };
  const newToken = (what: string) => {
    const cas = store.lastCas;
    if (cas <= 0 || issued.has(cas)) problems.push(`${what}: token ${cas} is not new`);
    issued.add(cas);
    history.push(cas);
    return cas;
  };
  const checkItem = (what: string, ref: number, e: Entry, now: number) => {
    if (!store.itemValue(ref).equals(e.value)) problems.push(`${what}: value differs`);
    expect(`${what} flags`, store.itemFlags(ref), e.flags);
    expect(`${what} cas`, store.itemCas(ref), e.cas);
    expect(`${what} ttl`, store.itemTtlRemaining(ref), e.deadline === 0 ? -1 : e.deadline - now);
  };

  for (let op = 0; op < ops && problems.length < 5; op++) {
    const key = pick(keys);
    const kb = Buffer.from(key);
    const r = random();
    if (r < 0.3) {
      const now = model.now();
      const e = model.live(key, now);
      const ref = store.get(kb);
      if (e === undefined) {
        model.counters.getMisses++;
        expect(`op ${op} get ${key}`, ref, -1);
      } else {
        model.counters.getHits++;
        if (ref < 0) problems.push(`op ${op} get ${key}: miss, want a hit`);
        else checkItem(`op ${op} get ${key}`, ref, e, now);
      }
    } else if (r < 0.62) {
      const mode = pick(['set', 'set', 'add', 'replace', 'append', 'prepend', 'cas'] as const);
      const now = model.now();
      const e = model.live(key, now);
      const value = randomValue();
      const flags = random() < 0.5 ? 0 : Math.floor(random() * 2 ** 32);
      const exptime = randomExptime(now);
      const cas = mode === 'cas' || random() < 0.1 ? randomCas(e) : 0;
      let want: string;
      const compare = mode === 'cas' || (cas !== 0 && mode !== 'add');
      const casCounted = mode === 'cas' || mode === 'set';
      if (memcachedItemSize(key.length, flags, value.length) > ITEM_MAX) want = 'too_large';
      else if (e !== undefined && mode === 'add') want = 'not_stored';
      else if (e === undefined && (mode === 'replace' || mode === 'append' || mode === 'prepend')) want = 'not_stored';
      else if (compare && e === undefined) {
        want = 'not_found';
        if (casCounted) model.counters.casMisses++;
      } else if (compare && e!.cas !== cas) {
        want = 'exists';
        if (casCounted) model.counters.casBadval++;
      } else {
        if (compare && casCounted) model.counters.casHits++;
        if (mode === 'append' || mode === 'prepend') {
          const joined = mode === 'append' ? Buffer.concat([e!.value, value]) : Buffer.concat([value, e!.value]);
          want = memcachedItemSize(key.length, e!.flags, joined.length) > ITEM_MAX ? 'not_stored' : 'stored';
          if (want === 'stored') model.items.set(key, { ...e!, value: joined, cas: 0 });
        } else {
          want = 'stored';
          const deadline = modelDeadline(exptime, now);
          if (deadline === 'expired' || now === model.flushSecond) model.items.delete(key);
          else model.items.set(key, { value, flags, deadline, cas: 0 });
        }
      }
      const got = store.store(mode, kb, value, flags, exptime, cas);
      expect(`op ${op} ${mode} ${key} cas ${cas}`, got, want);
      const entry = model.items.get(key);
      if (got === 'stored' && entry !== undefined && entry.cas === 0) entry.cas = newToken(`op ${op} ${mode}`);
    } else if (r < 0.7) {
      const incr = random() < 0.5;
      const now = model.now();
      const e = model.live(key, now);
      const delta = pick([0n, 1n, 5n, U64, 1n << 63n]);
      const initial = random() < 0.3 ? pick([0n, 7n, U64]) : undefined;
      const exptime = randomExptime(now);
      const cas = random() < 0.1 ? randomCas(e) : 0;
      let want: string;
      let wantValue: bigint | undefined;
      if (e === undefined) {
        if (incr) model.counters.incrMisses++;
        else model.counters.decrMisses++;
        if (initial === undefined) want = 'not_found';
        else {
          want = 'ok';
          wantValue = initial;
          const deadline = modelDeadline(exptime, now);
          if (deadline !== 'expired') model.items.set(key, { value: Buffer.from(initial.toString()), flags: 0, deadline, cas: 0 });
        }
      } else if (cas !== 0 && cas !== e.cas) want = 'exists';
      // Digits, then the spaces an earlier shrinking incr/decr left (strtoull stops there).
      else if (!/^\d+ *$/.test(e.value.toString('latin1')) || BigInt(e.value.toString('latin1').trimEnd()) > U64) want = 'non_numeric';
      else {
        want = 'ok';
        const v = BigInt(e.value.toString('latin1').trimEnd());
        wantValue = incr ? (v + delta) & U64 : v > delta ? v - delta : 0n;
        if (incr) model.counters.incrHits++;
        else model.counters.decrHits++;
        // A shorter result keeps the old width, space-padded, as memcached.
        model.items.set(key, { ...e, value: Buffer.from(wantValue.toString().padEnd(e.value.length, ' ')), cas: 0 });
      }
      const got = store.arith(kb, incr, delta, initial, exptime, cas);
      expect(`op ${op} ${incr ? 'incr' : 'decr'} ${key}`, got, want);
      if (got === 'ok') expect(`op ${op} arith value`, store.lastArithValue, wantValue);
      const entry = model.items.get(key);
      if (got === 'ok' && entry !== undefined && entry.cas === 0) entry.cas = newToken(`op ${op} arith`);
    } else if (r < 0.8) {
      const gat = random() < 0.5;
      const now = model.now();
      const e = model.live(key, now);
      const exptime = randomExptime(now);
      if (e === undefined) model.counters.touchMisses++;
      else {
        model.counters.touchHits++;
        const deadline = modelDeadline(exptime, now);
        if (deadline === 'expired') model.items.delete(key);
        else e.deadline = deadline;
      }
      if (gat) {
        const ref = store.getAndTouch(kb, exptime);
        if (e === undefined) expect(`op ${op} gat ${key}`, ref, -1);
        else if (ref < 0) problems.push(`op ${op} gat ${key}: miss, want a hit`);
        else if (!store.itemValue(ref).equals(e.value)) problems.push(`op ${op} gat ${key}: value differs`);
        else if (model.items.has(key)) checkItem(`op ${op} gat ${key}`, ref, e, now);
      } else {
        expect(`op ${op} touch ${key}`, store.touch(kb, exptime), e === undefined ? 'not_found' : 'touched');
      }
    } else if (r < 0.9) {
      const now = model.now();
      const e = model.live(key, now);
      const cas = random() < 0.3 ? randomCas(e) : 0;
      let want: string;
      if (e === undefined) {
        want = 'not_found';
        model.counters.deleteMisses++;
      } else if (cas !== 0 && cas !== e.cas) want = 'exists';
      else {
        want = 'deleted';
        model.counters.deleteHits++;
        model.items.delete(key);
      }
      expect(`op ${op} delete ${key} cas ${cas}`, store.delete(kb, cas), want);
    } else if (r < 0.905) {
      const now = model.now();
      const delay = pick([0, 0, -1, 1, 2, 3, 10, now + 3, now - 3]);
      // memcached's oldest_live with CAS: the second before realtime(delay), or before now.
      const realtime = delay > 0 ? (delay > THIRTY_DAYS ? delay : now + delay) : now;
      const last = (realtime <= now ? now : realtime) - 1;
      if (last <= now) {
        model.items.clear();
        model.pendingFlush = -1;
        model.flushSecond = last;
      } else model.pendingFlush = last;
      store.flushAll(delay);
    } else if (r < 0.98) {
      clock.ms += Math.floor(random() * 1500);
    } else {
      model.now();
      store.expireNow();
    }
  }
  for (const [name, value] of Object.entries(model.counters)) {
    expect(`counter ${name}`, store.counters[name as keyof typeof model.counters], value);
  }
  expect('evictions', store.counters.evictions, 0);
  problems.push(...audit(store));
  // Every item the model holds is in the store with the same contents.
  const now = model.now();
  for (const [key, e] of [...model.items]) {
    if (model.live(key, now) === undefined) continue;
    const ref = (store as SegmentStore).peek(Buffer.from(key));
    if (ref < 0) problems.push(`final: ${key} missing`);
    else checkItem(`final ${key}`, ref, e, now);
  }
  return problems;
}

for (const seed of [1, 2, 3]) {
  t.test(`random operations match the model (seed ${seed})`, async (t) => {
    t.same(run(seed, 60_000), []);
  });
}
