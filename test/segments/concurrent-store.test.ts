// Several real worker threads attached to one shared store (shared-store.ts),
// hammering overlapping keys with every operation while the main thread runs
// housekeep() and samples the heap. Workers validate every value they read
// (concurrent-worker.ts); afterwards the store must be consistent (audit),
// counters and CAS increments exact, appends and prepends complete.
// Bounded by operation counts, no timing thresholds.

import t from 'tap';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import type { WorkerTask } from './concurrent-worker.js';
import { audit } from './helpers.js';
import { START_SECONDS, evictingRace, runAll } from './concurrent-run.js';

const WORKERS = 3;

t.test('workers hammer overlapping keys with every operation: no torn, foreign or expired value, -m kept', async (t) => {
  const { main, tasks } = evictingRace(WORKERS, 7, 'hammer', 20_000, 400);
  const { reports, samples, heapProblems } = await runAll(main, tasks);
  const problems = reports.flatMap((r) => r.problems);
  t.same(problems, [], 'every value read was whole, written by someone, for its key and unexpired');
  t.same(heapProblems.slice(0, 5), [], `segments in use never above -m (${samples} samples)`);
  t.same(audit(main), [], 'store consistent afterwards');
  const totals = main.totals();
  const hits = reports.reduce((n, r) => n + (r.stats.hit ?? 0), 0);
  t.ok(hits > 0, `${hits} hits validated`);
  t.ok(totals.evictions + totals.expiredReclaimed > 0, `the small heap evicted or expired (${totals.evictions} evictions, ${totals.expiredReclaimed} reclaimed)`);
  t.ok(totals.getHits + totals.touchHits >= hits, 'totals() sums every thread slot');
  t.comment(`stats: ${JSON.stringify(reports.map((r) => r.stats))}`);
});

t.test('concurrent incr, CAS increments, append and prepend lose nothing', async (t) => {
  const handle = createSharedStore({ memoryLimitBytes: 8 << 20, itemSizeMax: 256 * 1024, hashSeed: 9 }, { maxThreads: WORKERS + 1 });
  const shared = new SharedArrayBuffer(4 * (2 + WORKERS));
  new Int32Array(shared)[0] = START_SECONDS;
  const main = attachStore(handle, { threadSlot: 0 });
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  const ops = 4_000;
  const rounds = ops / 5;
  main.store('set', b('n:shared'), b('0'), 0, 0, 0);
  main.store('set', b('n:down'), b(String(WORKERS * rounds + 7)), 0, 0, 0);
  main.store('set', b('c:shared'), b('0'), 0, 0, 0);
  for (const key of ['a:shared', 'p:shared']) main.store('set', b(key), b(''), 0, 0, 0);
  const tasks: WorkerTask[] = [];
  for (let w = 0; w < WORKERS; w++) {
    main.store('set', b(`n:${w}`), b('0'), 0, 0, 0);
    for (const key of [`a:${w}`, `p:${w}`]) main.store('set', b(key), b(''), 0, 0, 0);
    tasks.push({ handle, slot: w + 1, writer: w, mode: 'exact', ops, keys: 0, shared, workers: WORKERS });
  }
  const { reports, heapProblems } = await runAll(main, tasks);
  t.same(reports.flatMap((r) => r.problems), [], 'no failed operation, torn or incomplete joined value seen while running');
  t.same(heapProblems, []);
  const text = (key: string): string => {
    const ref = main.get(b(key));
    return ref < 0 ? '<missing>' : main.itemValue(ref).toString('latin1');
  };
  t.equal(text('n:shared'), String(WORKERS * rounds), 'N concurrent incr of 1 sum to N');
  // decr keeps the value's width, space-padded, as memcached.
  t.equal(text('n:down').trimEnd(), '7', 'concurrent decr too');
  for (let w = 0; w < WORKERS; w++) t.equal(text(`n:${w}`), String(rounds), `counter of worker ${w}`);
  t.equal(text('c:shared'), String(WORKERS * rounds), 'each CAS token let exactly one writer win: increments all counted');
  for (const key of ['a:shared', 'p:shared']) {
    const tokens = text(key).split(';').filter((x) => x !== '');
    t.equal(tokens.length, WORKERS * rounds, `${key}: every token once`);
    t.equal(new Set(tokens).size, tokens.length, `${key}: no duplicate`);
    for (let w = 0; w < WORKERS; w++) {
      const mine = tokens.filter((x) => x.startsWith(`${w}.`)).map((x) => Number(x.split('.')[1]));
      if (key.startsWith('p:')) mine.reverse();
      t.same(mine, Array.from({ length: rounds }, (_, i) => i), `${key}: worker ${w}'s tokens all there, in its order`);
    }
  }
  t.same(audit(main), []);
  t.comment(`CAS retries: ${reports.map((r) => r.stats.cas_lost ?? 0).join(', ')}`);
});
