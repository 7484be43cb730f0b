// Where a set's time goes, one thread, no contention: ns per operation of
// the whole set, the store lock taken and released alone, the key hash
// alone, a lookup under the exclusive lock, a 100-byte copy into shared
// memory and, for comparison, a bracketed get with the copy of its value
// (under the shared lock: get; in an optimistic read attempt: attemptGet).
// 100k keys of 32 B, 100 B values, keys in a fixed random order; median of
// 5 rounds, min and max. The issue-11 section of RESULTS.md used it to
// decide what to take out of a set's exclusive hold.
//
//   npm run build && node dist/benchmarks/set-breakdown.js [--only set,hash]

import { parseArgs } from 'node:util';
import { attachStore, createSharedStore } from '../segments/shared-store.js';
import { hashBytes } from '../segments/key-hash.js';

const KEYS = 100_000;
const N = 400_000;
const ROUNDS = 5;

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const store = attachStore(createSharedStore({ memoryLimitBytes: 64 << 20, itemSizeMax: 1 << 20, hashSeed: 3 }, { maxThreads: 2 }), { threadSlot: 0 });
const value = Buffer.alloc(100, 0x61);
const keys = Array.from({ length: KEYS }, (_, i) => Buffer.from(String(i).padStart(32, '0'), 'latin1'));
for (const k of keys) store.store('set', k, value, 0, 0, 0);
const order = new Int32Array(N);
let x = 1;
for (let i = 0; i < N; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  order[i] = (x >>> 8) % KEYS;
}
const target = Buffer.from(new SharedArrayBuffer(1 << 20));
const out = Buffer.alloc(256);
const view = new DataView(out.buffer, out.byteOffset, out.length);
let sink = 0;

const cases: Record<string, () => void> = {
  set: () => {
    for (let i = 0; i < N; i++) store.store('set', keys[order[i]!]!, value, 0, 0, 0);
  },
  lockPair: () => {
    for (let i = 0; i < N; i++) {
      store.beginWrite();
      store.endWrite();
    }
  },
  hash: () => {
    for (let i = 0; i < N; i++) sink += hashBytes(keys[order[i]!]!, 0, 32, 3);
  },
  lockedLookup: () => {
    for (let i = 0; i < N; i++) {
      store.beginWrite();
      sink += store.peek(keys[order[i]!]!);
      store.endWrite();
    }
  },
  copy100: () => {
    for (let i = 0; i < N; i++) target.set(value, (order[i]! & 4095) * 200);
  },
  get: () => {
    for (let i = 0; i < N; i++) {
      store.beginRead();
      const ref = store.get(keys[order[i]!]!);
      if (ref >= 0) store.copyValue(ref, out, 0, view);
      store.endRead();
    }
  },
  // A get as the text responder runs it with optimistic reads: a read attempt, retried while void.
  attemptGet: () => {
    for (let i = 0; i < N; i++) {
      for (let attempt = 0; ; attempt++) {
        store.beginReadAttempt(attempt);
        const ref = store.get(keys[order[i]!]!);
        if (ref >= 0) store.copyValue(ref, out, 0, view);
        if (store.endReadAttempt()) break;
      }
    }
  },
};

const chosen = values.only === undefined ? Object.keys(cases) : values.only.split(',');
const results = new Map<string, number[]>();
/** CPU ns per operation (process.cpuUsage: this process's threads), which a loaded machine inflates less than wall time. */
const cpuResults = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const name of chosen) {
    const run = cases[name];
    if (run === undefined) throw new Error(`unknown case ${name}`);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    run();
    const ns = Number(process.hrtime.bigint() - t0) / N;
    const cpu = process.cpuUsage(c0);
    results.set(name, [...(results.get(name) ?? []), ns]);
    cpuResults.set(name, [...(cpuResults.get(name) ?? []), ((cpu.user + cpu.system) * 1000) / N]);
  }
}
for (const [name, runs] of results) {
  const s = [...runs].sort((a, b) => a - b);
  const c = [...cpuResults.get(name)!].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(13)} median ${s[Math.floor(s.length / 2)]!.toFixed(0)} ns (min ${s[0]!.toFixed(0)}, max ${s[s.length - 1]!.toFixed(0)}); ` +
      `CPU median ${c[Math.floor(c.length / 2)]!.toFixed(0)} ns (min ${c[0]!.toFixed(0)}, max ${c[c.length - 1]!.toFixed(0)})`,
  );
}
if (sink === 0.5) console.log('');
