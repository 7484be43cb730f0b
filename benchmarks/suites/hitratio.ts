// Hit ratio on Twitter-style workloads, issue 6 item 4: per cluster
// profile, a run sized so its working set is about 3x the memory limit,
// replayed look-aside at the same request rate and -m against each server
// (fresh start each), every hit byte-checked, misses split by cause.

import type { ReplayConfig, ReplayResult } from '../hitratio/replayer.js';
import { calibrateRun } from '../hitratio/calibrate.js';
import { PROFILES, profileByName, type ClusterProfile } from '../hitratio/profiles.js';
import type { TtlPolicy } from '../hitratio/key-attributes.js';
import { runWorker } from '../harness/spawn-worker.js';
import { geometricMean, ratio } from '../core/summary.js';
import type { Row } from '../harness/rows.js';
import { workerTimeout, type SuiteContext } from './context.js';
import { rowMaker, runOncePerServer, type PerServer } from './per-server.js';

export const DEFAULT_PROFILES = ['cluster52', 'cluster24', 'cluster29', 'cluster41'];

/** Trace TTLs / 360 (1 h -> 10 s), never below 10 s. */
export const TTL_POLICY: TtlPolicy = { compression: 360, minSec: 10 };
const MEMORY_MB = 32;
const MAX_RATE = 40_000;
/** Replayer clock allowance around deadlines (servers count whole seconds). */
const TOLERANCE_MS = 1500;

export function hitRatioRows(bench: string, runs: PerServer<ReplayResult>): Row[] {
  const row = rowMaker(bench, runs);
  return [
    row('miss ratio', 'percent', (r) => r.missRatio, { kind: 'ratio-max', value: 1.0 }),
    row('capacity misses / gets', 'percent', (r) => r.capacityMissRatio, { kind: 'info' }),
    row('compulsory + expired misses / gets', 'percent', (r) => (r.compulsory + r.expired) / r.gets, { kind: 'info' }),
    row('wrong or expired values served', 'count', (r) => r.wrongValues + r.expiredServed, { kind: 'ours-max', value: 0 }, { noRatio: true }),
    row('replay rate achieved', 'ops/s', (r) => r.achievedRate, { kind: 'info' }, { noRatio: true }),
  ];
}

/** The summary row: geometric mean over profiles of capacity misses ours / memcached. */
export function capacitySummaryRow(profileCount: number, capacityRatios: readonly number[]): Row {
  return {
    bench: `hit ratio, all ${profileCount} profiles`,
    metric: 'capacity misses, geometric mean of ratios',
    unit: 'ratio',
    memcached: { value: NaN, note: '' },
    ours: { value: NaN, note: '' },
    ratio: capacityRatios.length === profileCount ? geometricMean(capacityRatios) : NaN,
    target: { kind: 'ratio-max', value: 0.7 },
  };
}

export async function runHitRatio(ctx: SuiteContext, profileNames: readonly string[] = DEFAULT_PROFILES): Promise<Row[]> {
  const profiles: ClusterProfile[] = profileNames.map(profileByName);
  const memoryBytes = MEMORY_MB * 1048576;
  const minSeconds = ctx.quick ? 2 : 30;
  const rows: Row[] = [];
  const capacityRatios: number[] = [];
  for (const profile of profiles) {
    const size = calibrateRun(profile, {
      memoryBytes,
      targetMultiple: 3,
      minRequests: ctx.quick ? 40_000 : 200_000,
      maxRequests: ctx.quick ? 60_000 : 2_000_000,
      seed: ctx.seed,
      ttl: TTL_POLICY,
    });
    const rate = Math.min(MAX_RATE, Math.ceil(size.requests / minSeconds));
    const wss = size.workingSetBytes / memoryBytes;
    const bench = `hit ratio ${profile.name} (${profile.role}): ${(size.requests / 1e6).toFixed(2)}M req at ${(rate / 1000).toFixed(0)}k/s, WSS ${wss.toFixed(1)}x -m ${MEMORY_MB}`;
    ctx.log(bench);
    const runs = await runOncePerServer(
      ctx,
      MEMORY_MB,
      bench,
      (server) => {
        const config: ReplayConfig = {
          host: '127.0.0.1',
          port: server.port,
          profile,
          keySpace: size.keySpace,
          requests: size.requests,
          ratePerSec: rate,
          connections: 4,
          window: 64,
          seed: ctx.seed,
          ttl: TTL_POLICY,
          toleranceMs: TOLERANCE_MS,
        };
        return runWorker<ReplayResult>('replay', config, { core: ctx.plan.clientCore, timeoutMs: workerTimeout((size.requests / rate) * 1000) });
      },
      (name, r) =>
        `${name}: miss ${(r.missRatio * 100).toFixed(2)}% (compulsory ${r.compulsory}, expired ${r.expired}, capacity ${r.capacity}), ` +
        `wrong ${r.wrongValues}, expired served ${r.expiredServed}, ${Math.round(r.achievedRate)} req/s`,
    );
    ctx.raw[`hitratio-${profile.name}`] = { size, runs };
    if (runs.memcached && runs.ours) capacityRatios.push(ratio(runs.ours.capacity, runs.memcached.capacity));
    rows.push(...hitRatioRows(bench, runs));
  }
  if (profiles.length > 1) rows.push(capacitySummaryRow(profiles.length, capacityRatios));
  return rows;
}

export const KNOWN_PROFILES = PROFILES.map((p) => p.name);
