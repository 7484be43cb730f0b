// Striped links across hash table doublings (segment-store.ts "Striped
// links", hash-index.ts confinedBucket). A doubling rewrites index control
// words every optimistic reader reads (current and old table, migration
// cursor, epoch) and a migration moves entries between buckets of any
// stripe, so the insert that starts a doubling, and every insert while one
// is under way, must void every read (raise SEQ), never link by stripe:
// confinedBucket mirrors insert's growth condition for that.
// First, one thread with two stores: each insert is checked against what
// it did to the table. Then real worker threads: writers insert until the
// table has doubled several times, with striped links between doublings,
// while readers' optimistic gets of present keys must all return their
// right values. Bounded by operation counts, no timing thresholds.
// What each part catches (tried, RESULTS.md session 9): with confinedBucket
// blind to the growth condition, or to a doubling under way, the first
// part fails at once; the second does not: on x86 the writes a striped
// doubling leaves unannounced are ordered so that a reader could go wrong
// only inside a window of a few stores (its views rebuilt between
// startExpansion's CUR_AREA and CURSOR writes). The second part did catch
// readers with validation switched off (a miss for a present key), in one
// run of two.

import t from 'tap';
import { Worker } from 'node:worker_threads';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import { LINK_STRIPES, type SegmentStore } from '../../segments/segment-store.js';
import { hotValue, type DoublingReport, type DoublingTask } from './striped-doubling-worker.js';
import { audit } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const clock = { nowMs: (): number => 1_700_000_000_000 };
/** Slots per bucket (index-layout.ts): a table links by stripe from LINK_STRIPES buckets, 2^9 slots. */
const STRIPED_POWER = Math.log2(LINK_STRIPES * 8);

t.test('no insert that starts a doubling or runs during one links by stripe; reads overlapping them are void', async (t) => {
  const handle = createSharedStore(
    { memoryLimitBytes: 16 << 20, itemSizeMax: 4096, segmentSize: 64 * 1024, hashSeed: 3, hashPower: STRIPED_POWER },
    { maxThreads: 2, optimisticReads: true, stripedLinks: true },
  );
  const reader = attachStore(handle, { threadSlot: 0, clock });
  const writer = attachStore(handle, { threadSlot: 1, clock });
  reader.store('set', b('anchor'), b('anchor-value'), 0, 0, 0);
  writer.store('set', b('claim'), b('x'), 0, 0, 0);
  const start = writer.shape().hashPower;
  const wrong: string[] = [];
  let doublings = 0;
  let migrating = 0;
  const stripedAt = new Set<number>();
  for (let i = 0; writer.shape().hashPower < start + 3 || writer.shape().hashIsExpanding; i++) {
    const before = writer.shape();
    const striped = writer.stripedLinks;
    reader.beginReadAttempt(0);
    const ref = reader.get(b('anchor'));
    writer.store('set', b(`d:${i}`), b(`value-${i}`), 0, 0, 0);
    const value = ref >= 0 ? reader.itemValue(ref).toString('latin1') : null;
    const stands = reader.endReadAttempt();
    const after = writer.shape();
    const byStripe = writer.stripedLinks > striped;
    const changedTable = before.hashIsExpanding || after.hashIsExpanding || after.hashPower !== before.hashPower;
    if (!before.hashIsExpanding && after.hashIsExpanding) doublings++;
    if (before.hashIsExpanding) migrating++;
    if (byStripe) stripedAt.add(after.hashPower);
    if (stands && value !== 'anchor-value') wrong.push(`set ${i}: the anchor read ${value} and stood`);
    if (changedTable && byStripe) wrong.push(`set ${i} linked by stripe but ${before.hashIsExpanding ? 'migrated' : 'started a doubling'} (power ${before.hashPower} -> ${after.hashPower})`);
    if (changedTable && stands) wrong.push(`set ${i} changed the table (power ${before.hashPower} -> ${after.hashPower}, expanding ${before.hashIsExpanding} -> ${after.hashIsExpanding}) but a read around it stood`);
  }
  t.same(wrong.slice(0, 10), [], 'no doubling or migration step went by stripe, and no read overlapping one stood');
  t.ok(doublings >= 3, `the table started doubling ${doublings} times`);
  t.ok(migrating > 0, `${migrating} inserts ran while it was doubling`);
  t.ok(stripedAt.size >= 3, `inserts linked by stripe at ${[...stripedAt].sort().join(', ')} (table powers), between the doublings`);
  t.same(audit(writer), [], 'store consistent afterwards');
});

function runWorker(task: DoublingTask): Promise<DoublingReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./striped-doubling-worker.ts', import.meta.url), { workerData: task });
    worker.once('message', (m: DoublingReport) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

t.test('worker threads: writers double the table several times while readers\' optimistic gets of present keys all return their values', async (t) => {
  const WRITERS = 2;
  const READERS = 2;
  const HOT = 100;
  // 100 hot keys fit 2^7 slots (16 buckets, below LINK_STRIPES: links go whole-store until 2^9); no eviction (the heap holds every key).
  const handle = createSharedStore(
    { memoryLimitBytes: 32 << 20, itemSizeMax: 4096, segmentSize: 64 * 1024, hashSeed: 9, hashPower: 7 },
    { maxThreads: 1 + WRITERS + READERS, optimisticReads: true, stripedLinks: true },
  );
  const main: SegmentStore = attachStore(handle, { threadSlot: 0, clock });
  for (let h = 0; h < HOT; h++) main.store('set', b(`h:${h}`), b(hotValue(`h:${h}`, -1, h, h)), 0, 0, 0);
  const start = main.shape().hashPower;
  const cells = new SharedArrayBuffer(4 * (2 + WRITERS));
  const tasks: DoublingTask[] = [];
  const common = { handle, writers: WRITERS, readers: READERS, inserts: 3_000, hot: HOT, cells };
  for (let r = 0; r < READERS; r++) tasks.push({ ...common, slot: 1 + r, role: 'reader', id: r });
  for (let w = 0; w < WRITERS; w++) tasks.push({ ...common, slot: 1 + READERS + w, role: 'writer', id: w });
  const reports = await Promise.all(tasks.map(runWorker));
  const end = main.shape();
  const sum = (name: string): number => reports.reduce((n, r) => n + (r.stats[name] ?? 0), 0);
  const stripedByPower: Record<number, number> = {};
  for (const r of reports) for (const [p, n] of Object.entries(r.stripedByPower)) stripedByPower[Number(p)] = (stripedByPower[Number(p)] ?? 0) + n;
  const stripedPowers = Object.entries(stripedByPower).filter(([, n]) => n > 0).map(([p]) => Number(p));

  t.same(reports.flatMap((r) => r.problems), [], 'every read of a present key returned one of its values, whole');
  t.ok(sum('readsWhileDoubling') > 0, `readers made ${sum('reads')} gets, ${sum('readsWhileDoubling')} of them while the table was doubling (${sum('readAttempts')} optimistic attempts, ${sum('readVoid')} void)`);
  t.equal(main.totals().evictions, 0, 'nothing evicted (every key read stayed present)');
  t.ok(end.hashPower - start >= 5, `the table doubled ${end.hashPower - start} times (2^${start} to 2^${end.hashPower} slots)`);
  t.ok(sum('stripedLinks') > 0, `${sum('stripedLinks')} of ${sum('ownedSets')} owned sets linked by stripe`);
  t.ok(stripedPowers.length >= 3, `striped links at table powers ${stripedPowers.join(', ')} (between doublings)`);
  t.same(audit(main), [], 'store consistent afterwards');
  t.comment(`stats: ${JSON.stringify(reports.map((r) => r.stats))} striped by power: ${JSON.stringify(stripedByPower)}`);
});
