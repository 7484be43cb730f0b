// Turning measured runs into table rows: pairing of rounds, notes for
// servers that did not run, targets per suite. Synthetic results, no servers
// except memcached for withServer.
import t from 'tap';
import type { LoadResult } from '../../benchmarks/loadgen/config.js';
import { SCENARIOS, pairedRatio, scenarioRows } from '../../benchmarks/suites/throughput.js';
import { memoryRows, keptTarget, type MemoryRun } from '../../benchmarks/suites/memory.js';
import { expiryRows } from '../../benchmarks/suites/expiry.js';
import { capacitySummaryRow, hitRatioRows } from '../../benchmarks/suites/hitratio.js';
import { crossCheckRow } from '../../benchmarks/suites/crosscheck.js';
import { withServer, specsOf, workerTimeout, type SuiteContext } from '../../benchmarks/suites/context.js';
import { commandSpec, memcachedSpec } from '../../benchmarks/servers/server-specs.js';
import { verdictOf, type Row } from '../../benchmarks/harness/rows.js';
import type { ExpiryResult } from '../../benchmarks/expiry/expiry-run.js';
import type { ReplayResult } from '../../benchmarks/hitratio/replayer.js';
import type { ReclaimSummary } from '../../benchmarks/expiry/reclaim-summary.js';
import { needs, peerCommand } from '../peers.js';

function load(ops: number, p99: number, cpu: number): LoadResult {
  return {
    opsPerSec: ops,
    keysPerSec: ops * 10,
    p50Us: 100,
    p99Us: p99,
    p999Us: p99 * 2,
    p9999Us: p99 * 3,
    maxUs: p99 * 3,
    scheduledP99Us: NaN,
    scheduledP9999Us: NaN,
    ops: ops * 4,
    seconds: 4,
    getHitRatio: 1,
    errors: 0,
    lastError: '',
    serverCpuSec: 1,
    serverCpuUsPerOp: cpu,
    clientCpuSec: 2,
    serverThreads: {},
  };
}

const byMetric = (rows: Row[], metric: string): Row => rows.find((r) => r.metric === metric)!;

t.test('throughput: per-round ratios, medians, targets', async (t) => {
  const a = SCENARIOS.find((s) => s.id === 'a')!;
  const rows = scenarioRows(a, {
    memcached: [load(100, 1000, 10), load(50, 1000, 10), load(100, 1000, 10)],
    ours: [load(120, 1000, 13), load(60, 2000, 13), load(90, 1000, 13)],
    memcachedNote: '',
    oursNote: '',
  });
  const ops = byMetric(rows, 'ops/s');
  t.equal(ops.memcached.value, 100);
  t.equal(ops.ours.value, 90);
  t.equal(ops.ratio, 1.2, 'median of 1.2, 1.2, 0.9: rounds paired, not medians divided');
  t.equal(verdictOf(ops), 'met');
  t.equal(verdictOf(byMetric(rows, 'server CPU per request')), 'missed', 'CPU 1.3x over the 1.2x target');
  t.equal(byMetric(rows, 'p99 latency').ratio, 1);
  t.ok(Number.isNaN(byMetric(rows, 'load generator CPU busy').ratio), 'no ratio for the generator');
  t.equal(byMetric(rows, 'load generator CPU busy').memcached.value, 0.5);
  const d = scenarioRows(SCENARIOS.find((s) => s.id === 'd')!, { memcached: [load(10, 1, 1)], ours: undefined, memcachedNote: '', oursNote: 'not built' });
  t.equal(d[0]!.metric, 'keys/s');
  t.equal(d[0]!.memcached.value, 100);
  t.equal(d[0]!.ours.note, 'not built');
  t.equal(verdictOf(d[0]!), 'n/a');
  t.same(pairedRatio(undefined, [load(1, 1, 1)], (r) => r.opsPerSec), { ratio: NaN, spread: undefined });
  t.equal(SCENARIOS.map((s) => s.minThroughputRatio).join(','), '1,1.5,0.9,0.9', 'the issue targets');
});

t.test('memory rows', async (t) => {
  const run = (kept: number, rss: number): MemoryRun => ({
    items: 3e6, stored: 3e6, storeErrors: 0, firstStoreError: '', kept, corrupt: 0, fillSeconds: 1, verifySeconds: 1,
    currItems: kept, bytes: 0, limitMaxbytes: 64 << 20, evictions: 0, rssBytes: rss, memoryBytes: 64 << 20,
  });
  const rows = memoryRows('m', 50, { memcached: run(441472, 80e6), ours: run(900000, 100e6), memcachedNote: '', oursNote: '' });
  const kept = byMetric(rows, 'items kept (byte-checked)');
  t.ok(Math.abs(kept.ratio - 900000 / 441472) < 1e-12);
  t.equal(verdictOf(kept), 'met');
  t.equal(byMetric(rows, '-m bytes per kept item').memcached.value, (64 << 20) / 441472);
  t.equal(verdictOf(byMetric(rows, 'RSS per kept item')), 'met');
  t.equal(verdictOf(byMetric(rows, 'wrong values read back')), 'met');
  t.equal(keptTarget(50), 1.8);
  t.equal(keptTarget(500), 1.0);
  const failed = memoryRows('m', 500, { memcached: run(1, 1), ours: undefined, memcachedNote: '', oursNote: 'crashed' });
  t.equal(failed[0]!.ours.note, 'crashed');
});

t.test('expiry rows: not reclaimed in the window, segments for ours', async (t) => {
  const summary = (lagSec: number): ReclaimSummary => ({ usedAtEnd: 10, floor: 5, reclaimedAt: NaN, lagSec, leftAtEnd: 0.8 });
  const run = (lagSec: number, segments: ReclaimSummary | undefined): ExpiryResult => ({
    written: 100, storeErrors: 0, noTtlWritten: 50, noTtlKept: 41, noTtlHitRatio: 0.82, servedAfterExpiry: 0, corrupt: 0, evictions: 9,
    endOfWrites: 20, lastDeadline: 25, reclaimByItems: summary(lagSec), reclaimBySegments: segments, samples: [],
  });
  const rows = expiryRows('e', 6, { memcached: run(NaN, undefined), ours: { ...run(0.8, summary(0.5)), noTtlHitRatio: 1 }, memcachedNote: '', oursNote: '' });
  const gone = byMetric(rows, 'expired items gone, s after last deadline');
  t.equal(gone.memcached.note, '> 6 s');
  t.equal(gone.ours.value, 0.8);
  t.equal(verdictOf(gone), 'met');
  const seg = byMetric(rows, 'segments back in free pool, s after last deadline');
  t.equal(seg.ours.value, 0.5);
  t.equal(seg.memcached.note, 'n/a (slabs)');
  t.equal(verdictOf(byMetric(rows, 'no-TTL keys still readable')), 'met');
  t.equal(rows.length, 5);
  t.equal(expiryRows('e', 6, { memcached: run(1, undefined), ours: undefined, memcachedNote: '', oursNote: 'x' }).length, 4, 'no segment row without segment stats');
});

t.test('hit-ratio rows and the capacity summary', async (t) => {
  const run = (misses: number, capacity: number, wrong: number): ReplayResult => ({
    profile: 'p', requests: 1000, seconds: 1, achievedRate: 1000, gets: 1000, hits: 1000 - misses, misses, missRatio: misses / 1000,
    compulsory: misses - capacity, expired: 0, capacity, deleted: 0, capacityMissRatio: capacity / 1000, wrongValues: wrong, expiredServed: 0, hitsPastDeadline: 0, expiredBeforeDeadline: 0,
    sets: misses, writeErrors: 0, lastWriteError: '', distinctKeys: 1, workingSetBytes: 1, itemsHeld: 1, evictions: 1, malloced: 1,
  });
  const rows = hitRatioRows('h', { memcached: run(300, 100, 0), ours: run(250, 50, 1), memcachedNote: '', oursNote: '' });
  t.equal(verdictOf(byMetric(rows, 'miss ratio')), 'met');
  t.equal(byMetric(rows, 'capacity misses / gets').ratio, 0.5);
  t.equal(byMetric(rows, 'compulsory + expired misses / gets').ours.value, 0.2);
  t.equal(verdictOf(byMetric(rows, 'wrong or expired values served')), 'missed', 'one wrong value fails the row');
  const sum = capacitySummaryRow(2, [0.5, 0.8]);
  t.ok(Math.abs(sum.ratio - Math.sqrt(0.4)) < 1e-12);
  t.equal(verdictOf(sum), 'met');
  t.ok(Number.isNaN(capacitySummaryRow(3, [0.5]).ratio), 'a profile without both servers: no summary');
});

t.test('memcslap cross-check rows', async (t) => {
  const row = crossCheckRow('get', { memcached: [100, 200], ours: [50, 200], memcachedNote: '', oursNote: '' });
  t.equal(row.memcached.value, 150);
  t.equal(row.ratio, 0.75);
  t.equal(verdictOf(row), 'n/a');
  t.equal(crossCheckRow('set', { memcached: undefined, ours: undefined, memcachedNote: 'failed to start', oursNote: 'not built' }).memcached.note, 'failed to start');
});

t.test('withServer starts, runs and always stops', needs('memcached'), async (t) => {
  const logs: string[] = [];
  const ctx: SuiteContext = {
    quick: true,
    rounds: 1,
    plan: { serverCore: undefined, clientCore: undefined, cores: 1 },
    memcached: memcachedSpec(peerCommand('memcached')),
    ours: undefined,
    oursNote: 'not built',
    seed: 1,
    log: (m) => logs.push(m),
    raw: {},
    serverLabels: new Map(),
  };
  t.same(specsOf(ctx).map((s) => s.name), ['memcached']);
  let pid = 0;
  const ok = await withServer(ctx, ctx.memcached, 8, 'label', async (server) => {
    pid = server.pid;
    return (await server.stats()).get('limit_maxbytes');
  });
  t.same(ok, { ok: true, value: String(8 << 20) });
  t.equal(ctx.serverLabels.get(pid), 'memcached label');
  const failed = await withServer(ctx, ctx.memcached, 8, 'label', async () => {
    throw new Error('boom');
  });
  t.same(failed, { ok: false, note: 'error' });
  t.ok(logs.some((l) => l.includes('boom')));
  const noStart = await withServer(ctx, commandSpec('nothing', '/nonexistent/server'), 8, 'x', async () => 1);
  t.same(noStart, { ok: false, note: 'failed to start' });
  t.ok(workerTimeout(1000) > 1000);
});
