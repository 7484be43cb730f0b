// Plain sets through own segments (segment-store.ts, "Own segments") from
// several real worker threads, racing gets on the same keys, deletes and a
// rare flush_all, on a heap small enough to evict all the time, while the
// main thread housekeeps (merges take owned segments back); links that
// go by stripe ("Striped links") among them. Workers validate
// every value they read (concurrent-worker.ts, mode 'sets'). Bounded by
// operation counts, no timing thresholds.

import t from 'tap';
import { audit } from './helpers.js';
import { evictingRace, runAll } from './concurrent-run.js';

const WORKERS = 3;

t.test('plain sets through own segments race gets, deletes and flush_all: every value whole and written, -m kept', async (t) => {
  const { main, tasks } = evictingRace(WORKERS, 11, 'sets', 12_000, 3000);
  const { reports, samples, heapProblems } = await runAll(main, tasks);
  t.same(reports.flatMap((r) => r.problems), [], 'every value read was whole, written by someone, for its key and unexpired');
  t.same(heapProblems.slice(0, 5), [], `segments in use never above -m (${samples} samples)`);
  t.same(audit(main), [], 'store consistent afterwards');
  const owned = reports.reduce((n, r) => n + (r.stats.ownedSets ?? 0), 0);
  const stored = reports.reduce((n, r) => n + (r.stats.stored ?? 0), 0);
  t.ok(owned > 0, `plain sets went through own segments (${owned} of ${stored})`);
  const striped = reports.reduce((n, r) => n + (r.stats.stripedLinks ?? 0), 0);
  t.ok(striped > 0, `some of them linked by stripe, beside optimistic reads of other stripes (${striped} of ${owned})`);
  t.ok(main.totals().evictions > 0, 'the small heap evicted meanwhile');
  t.comment(`stats: ${JSON.stringify(reports.map((r) => r.stats))}`);
});

