// One live replay of one wide case against one server: the server started
// fresh at the case's -m, the case's stream replayed look-aside over the wire
// in a client process (hitratio/replayer.ts), and the outcome as one line of
// a results file. Shared by hitratio-wide.ts (every case once) and
// hitratio-repeats.ts (one case many times). Writes nothing itself.

import type { ServerSpec } from '../servers/server-specs.js';
import { withServer, workerTimeout, type SuiteContext } from '../suites/context.js';
import { runWorker } from '../harness/spawn-worker.js';
import type { ReplayConfig, ReplayResult } from './replayer.js';
import { caseId, type WideCase } from './wide-cases.js';
import { TTL_POLICY } from '../suites/hitratio.js';

/** One line of the results file. */
export interface WideLine {
  case: string;
  profile: string;
  target: number;
  memoryMb: number;
  multiple: number;
  /** Factor the case's -m and key space were scaled by (absent: 1). */
  scale?: number;
  /** 'memcached', 'grow-a-cache' or 'store' (store-level replay); `run` counts repeats of one server in a case. */
  server: string;
  run: number;
  /** hitratio-repeats.ts: which repeat of the case this line belongs to (1-based). */
  repeat?: number;
  result: Pick<ReplayResult, 'gets' | 'hits' | 'compulsory' | 'expired' | 'capacity' | 'deleted' | 'wrongValues' | 'expiredServed' | 'evictions' | 'itemsHeld'> &
    Partial<Pick<ReplayResult, 'hitsPastDeadline' | 'expiredBeforeDeadline'>> & { achievedRate: number; malloced?: number };
}

/** Replay `c` at `rate` requests/s against a fresh `spec` server; the line to record, or why there is none. */
export async function replayWideCase(
  ctx: SuiteContext,
  spec: ServerSpec,
  c: WideCase,
  run: number,
  rate: number,
  seed: number,
): Promise<{ ok: true; line: WideLine } | { ok: false; note: string }> {
  const id = caseId(c.profile.name, c.target);
  const outcome = await withServer(ctx, spec, c.memoryMb, id, (server) => {
    const config: ReplayConfig = {
      host: '127.0.0.1',
      port: server.port,
      profile: c.profile,
      keySpace: c.size.keySpace,
      requests: c.size.requests,
      ratePerSec: rate,
      connections: 4,
      window: 64,
      seed,
      ttl: TTL_POLICY,
      toleranceMs: 1500,
    };
    // On a loaded machine the rate falls far below the target: allow down to 500 requests/s.
    return runWorker<ReplayResult>('replay', config, { core: ctx.plan.clientCore, timeoutMs: Math.max(workerTimeout((c.size.requests / rate) * 1000), c.size.requests * 2) });
  });
  if (!outcome.ok) return { ok: false, note: outcome.note };
  const r = outcome.value;
  return {
    ok: true,
    line: {
      ...caseFields(c),
      server: spec.name,
      run,
      result: {
        gets: r.gets,
        hits: r.hits,
        compulsory: r.compulsory,
        expired: r.expired,
        capacity: r.capacity,
        deleted: r.deleted,
        wrongValues: r.wrongValues,
        expiredServed: r.expiredServed,
        hitsPastDeadline: r.hitsPastDeadline,
        expiredBeforeDeadline: r.expiredBeforeDeadline,
        evictions: r.evictions,
        itemsHeld: r.itemsHeld,
        achievedRate: r.achievedRate,
        malloced: r.malloced,
      },
    },
  };
}

/** What every recorded line says of its case (live and store-level replays alike). */
export function caseFields(c: WideCase): Pick<WideLine, 'case' | 'profile' | 'target' | 'memoryMb' | 'multiple' | 'scale'> {
  return { case: caseId(c.profile.name, c.target), profile: c.profile.name, target: c.target, memoryMb: c.memoryMb, multiple: c.multiple, scale: c.scale ?? 1 };
}

/** The log line of one recorded run. */
export function describeLine(line: WideLine): string {
  const r = line.result;
  const pd = r.hitsPastDeadline === undefined ? '' : ` hits past deadline ${r.hitsPastDeadline} expired early ${r.expiredBeforeDeadline}`;
  return `${line.case} -m ${line.memoryMb} ${line.server}#${line.run}: miss ${(((r.gets - r.hits) / r.gets) * 100).toFixed(2)}% (${r.gets - r.hits}) expired ${r.expired} capacity ${r.capacity}${pd} malloced ${((r.malloced ?? 0) / 1048576).toFixed(1)} MB wrong ${r.wrongValues + r.expiredServed} ${Math.round(r.achievedRate)} req/s`;
}
