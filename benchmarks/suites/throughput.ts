// Throughput and latency, issue 6 item 1: four load scenarios, each with
// both servers started fresh, run in alternating order for several rounds;
// ops/s, p50/p99 latency and server CPU per request, medians over rounds,
// ratios taken round by round (the two runs of a round are back to back,
// so machine noise hits both).

import type { LoadConfig, LoadResult } from '../loadgen/config.js';
import { runWorker } from '../harness/spawn-worker.js';
import { median, ratio, spread } from '../core/summary.js';
import { missingCell, type Cell, type Row, type Target, type Unit } from '../harness/rows.js';
import { startServer, type RunningServer } from '../servers/server-process.js';
import type { ServerSpec } from '../servers/server-specs.js';
import { specsOf, workerTimeout, type SuiteContext } from './context.js';
import type { PerServer } from './per-server.js';

export interface Scenario {
  id: string;
  title: string;
  load: Pick<LoadConfig, 'connections' | 'depth' | 'getRatio' | 'keysPerGet' | 'valueSize' | 'preload'>;
  /** Target on the throughput ratio. */
  minThroughputRatio: number;
  /** Target on the server CPU per request ratio, if any. */
  maxCpuRatio?: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'a',
    title: '(a) get/set 90/10, 50 conns',
    load: { connections: 50, depth: 1, getRatio: 0.9, keysPerGet: 1, valueSize: 100, preload: true },
    minThroughputRatio: 1.0,
    maxCpuRatio: 1.2,
  },
  {
    id: 'b',
    title: '(b) get/set 90/10, 50 conns, pipeline 16',
    load: { connections: 50, depth: 16, getRatio: 0.9, keysPerGet: 1, valueSize: 100, preload: true },
    minThroughputRatio: 1.5,
  },
  {
    id: 'c',
    title: '(c) set 1 KiB, 50 conns',
    load: { connections: 50, depth: 1, getRatio: 0, keysPerGet: 1, valueSize: 1024, preload: false },
    minThroughputRatio: 0.9,
  },
  {
    id: 'd',
    title: '(d) multi-get 10 keys, 50 conns',
    load: { connections: 50, depth: 1, getRatio: 1, keysPerGet: 10, valueSize: 100, preload: true },
    minThroughputRatio: 0.9,
  },
];

const MAX_P99_RATIO = 1.5;
const KEY_COUNT = 100_000;
const KEY_SIZE = 32;
const MEMORY_MB = 64;

type Runs = Map<string, LoadResult[]>;

function cellOf(results: LoadResult[] | undefined, pick: (r: LoadResult) => number, note: string): Cell {
  if (!results || results.length === 0) return missingCell(note);
  const xs = results.map(pick);
  return { value: median(xs), spread: xs.length > 1 ? spread(xs) : undefined };
}

/** Median and spread of per-round ratios ours/memcached. */
export function pairedRatio(mc: LoadResult[] | undefined, ours: LoadResult[] | undefined, pick: (r: LoadResult) => number): { ratio: number; spread: number | undefined } {
  if (!mc || !ours) return { ratio: NaN, spread: undefined };
  const n = Math.min(mc.length, ours.length);
  const rs = Array.from({ length: n }, (_, i) => ratio(pick(ours[i]!), pick(mc[i]!)));
  return { ratio: median(rs), spread: n > 1 ? spread(rs) : undefined };
}

/** Table rows of one scenario from the rounds of each server (in round order). */
export function scenarioRows(sc: Scenario, runs: PerServer<LoadResult[]>): Row[] {
  const { memcached: mc, ours } = runs;
  const multi = sc.load.keysPerGet > 1;
  const row = (metric: string, unit: Unit, pick: (r: LoadResult) => number, target: Target, withRatio = true): Row => {
    const pr = withRatio ? pairedRatio(mc, ours, pick) : { ratio: NaN, spread: undefined };
    return {
      bench: sc.title,
      metric,
      unit,
      memcached: cellOf(mc, pick, runs.memcachedNote),
      ours: cellOf(ours, pick, runs.oursNote),
      ratio: pr.ratio,
      ratioSpread: pr.spread,
      target,
    };
  };
  return [
    multi
      ? row('keys/s', 'ops/s', (r) => r.keysPerSec, { kind: 'ratio-min', value: sc.minThroughputRatio })
      : row('ops/s', 'ops/s', (r) => r.opsPerSec, { kind: 'ratio-min', value: sc.minThroughputRatio }),
    row('p50 latency', 'us', (r) => r.p50Us, { kind: 'info' }),
    row('p99 latency', 'us', (r) => r.p99Us, { kind: 'ratio-max', value: MAX_P99_RATIO }),
    row('server CPU per request', 'cpu-us', (r) => r.serverCpuUsPerOp, sc.maxCpuRatio ? { kind: 'ratio-max', value: sc.maxCpuRatio } : { kind: 'info' }),
    row('load generator CPU busy', 'percent', (r) => r.clientCpuSec / r.seconds, { kind: 'info' }, false),
  ];
}

export async function runThroughput(ctx: SuiteContext, scenarioIds?: readonly string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const warmupMs = ctx.quick ? 500 : 1000;
  const durationMs = ctx.quick ? 1500 : 4000;
  for (const sc of SCENARIOS.filter((s) => !scenarioIds || scenarioIds.includes(s.id))) {
    ctx.log(`throughput ${sc.title}: ${ctx.rounds} round(s) of ${durationMs} ms`);
    const runs: Runs = new Map();
    const notes = new Map<string, string>();
    const servers = new Map<string, RunningServer>();
    try {
      for (const spec of specsOf(ctx)) {
        try {
          const server = await startServer(spec, { memoryMb: MEMORY_MB, core: ctx.plan.serverCore });
          servers.set(spec.name, server);
          ctx.serverLabels.set(server.pid, `${spec.name} ${sc.title}`);
        } catch (err) {
          ctx.log(`${spec.name}: failed to start: ${(err as Error).message}`);
          notes.set(spec.name, 'failed to start');
        }
      }
      for (let round = 0; round < ctx.rounds; round++) {
        const order: ServerSpec[] = round % 2 === 0 ? specsOf(ctx) : [...specsOf(ctx)].reverse();
        for (const spec of order) {
          const server = servers.get(spec.name);
          if (!server || notes.has(spec.name)) continue;
          const config: LoadConfig = {
            host: '127.0.0.1',
            port: server.port,
            serverPid: server.pid,
            warmupMs,
            durationMs,
            keyCount: KEY_COUNT,
            keySize: KEY_SIZE,
            seed: ctx.seed + round,
            ...sc.load,
            preload: sc.load.preload && round === 0,
          };
          try {
            const result = await runWorker<LoadResult>('load', config, { core: ctx.plan.clientCore, timeoutMs: workerTimeout(warmupMs + durationMs + 10_000) });
            if (result.errors > 0) ctx.log(`${spec.name}: ${result.errors} error replies, e.g. ${result.lastError}`);
            const list = runs.get(spec.name) ?? [];
            list.push(result);
            runs.set(spec.name, list);
            ctx.log(`  round ${round + 1} ${spec.name}: ${Math.round(result.opsPerSec)} ops/s, p99 ${result.p99Us} µs, ${result.serverCpuUsPerOp.toFixed(2)} µs CPU/op`);
          } catch (err) {
            ctx.log(`${spec.name}: ${(err as Error).message}${server.alive ? '' : ' (server exited: ' + server.stderr.trim().slice(-300) + ')'}`);
            notes.set(spec.name, server.alive ? 'error' : 'crashed');
          }
        }
      }
    } finally {
      for (const s of servers.values()) await s.stop();
    }
    ctx.raw[`throughput-${sc.id}`] = Object.fromEntries(runs);
    rows.push(
      ...scenarioRows(sc, {
        memcached: runs.get(ctx.memcached.name),
        ours: ctx.ours ? runs.get(ctx.ours.name) : undefined,
        memcachedNote: notes.get(ctx.memcached.name) ?? 'no result',
        oursNote: ctx.ours ? (notes.get(ctx.ours.name) ?? 'no result') : ctx.oursNote,
      }),
    );
  }
  return rows;
}
