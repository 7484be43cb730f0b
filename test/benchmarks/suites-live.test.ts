// Suites end to end, quick sizes, memcached against a second memcached
// (an A/A run) so nothing depends on our server being built. The client
// workers run from the TypeScript sources in child processes.
import t from 'tap';
import { runThroughput } from '../../benchmarks/suites/throughput.js';
import { runCrossCheck } from '../../benchmarks/suites/crosscheck.js';
import { runHitRatio } from '../../benchmarks/suites/hitratio.js';
import type { SuiteContext } from '../../benchmarks/suites/context.js';
import { commandSpec, memcachedSpec } from '../../benchmarks/servers/server-specs.js';
import { verdictOf } from '../../benchmarks/harness/rows.js';
import { runWorker } from '../../benchmarks/harness/spawn-worker.js';
import { needs } from '../peers.js';

function context(): SuiteContext & { logs: string[] } {
  const logs: string[] = [];
  return {
    quick: true,
    rounds: 2,
    plan: { serverCore: undefined, clientCore: undefined, cores: 1 },
    memcached: memcachedSpec(),
    ours: commandSpec('second memcached', 'memcached'),
    oursNote: '',
    seed: 3,
    log: (m) => logs.push(m),
    raw: {},
    serverLabels: new Map(),
    logs,
  };
}

t.test('a worker that fails reports why', async (t) => {
  await t.rejects(runWorker('nonsense', {}, { core: undefined, timeoutMs: 60_000 }), /worker nonsense failed \(exit 2\): usage/);
});

t.test('throughput suite, one scenario, two rounds', needs('memcached'), async (t) => {
  const ctx = context();
  const rows = await runThroughput(ctx, ['c']);
  t.equal(rows.length, 5);
  const ops = rows[0]!;
  t.equal(ops.metric, 'ops/s');
  t.ok(ops.memcached.value > 0 && ops.ours.value > 0, 'both measured');
  t.ok(ops.ratio > 0, 'a ratio from paired rounds');
  t.not(ops.ratioSpread, undefined, 'two rounds give a spread');
  t.equal((ctx.raw['throughput-c'] as Record<string, unknown[]>)['memcached']!.length, 2);
  t.ok(ctx.logs.some((l) => l.includes('round 2')));
  t.equal(ctx.serverLabels.size, 2, 'both server pids labelled');
});

t.test('cross-check suite', needs('memcached', 'memcslap'), async (t) => {
  const ctx = context();
  const rows = await runCrossCheck(ctx);
  t.same(rows.map((r) => r.bench), ['cross-check: memcslap -t get -c 4', 'cross-check: memcslap -t set -c 4']);
  t.ok(rows.every((r) => r.memcached.value > 0 && r.ours.value > 0));
});

t.test('hit-ratio suite, one profile', needs('memcached'), async (t) => {
  const ctx = context();
  const rows = await runHitRatio(ctx, ['cluster29']);
  t.equal(rows.length, 5, 'no summary row for one profile');
  const wrong = rows.find((r) => r.metric === 'wrong or expired values served')!;
  t.equal(wrong.memcached.value, 0);
  t.equal(wrong.ours.value, 0);
  t.equal(verdictOf(wrong), 'met');
  t.ok(rows.find((r) => r.metric === 'miss ratio')!.memcached.value > 0);
});

t.test('a server that does not start is a note, not a crash', async (t) => {
  const ctx = { ...context(), memcached: commandSpec('memcached', '/nonexistent/memcached'), ours: commandSpec('broken', '/nonexistent/server') };
  const rows = await runHitRatio(ctx, ['cluster29']);
  t.equal(rows[0]!.memcached.note, 'failed to start');
  t.equal(rows[0]!.ours.note, 'failed to start');
  t.ok(Number.isNaN(rows[0]!.ratio));
});
