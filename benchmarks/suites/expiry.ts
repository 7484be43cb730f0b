// Expiry, issue 6 item 3: 20 s of writes into -m 64, half the keys with
// 2-5 s TTLs and half without; how soon expired data is given back after
// the last deadline, and how many no-TTL keys survive (byte-checked).

import type { ExpiryConfig, ExpiryResult } from '../expiry/expiry-run.js';
import { runWorker } from '../harness/spawn-worker.js';
import type { Row } from '../harness/rows.js';
import { workerTimeout, type SuiteContext } from './context.js';
import { rowMaker, runOncePerServer, type PerServer } from './per-server.js';

const MEMORY_MB = 64;

export function expiryRows(bench: string, settleSeconds: number, runs: PerServer<ExpiryResult>): Row[] {
  const row = rowMaker(bench, runs);
  const late = { nanNote: `> ${settleSeconds} s`, noRatio: true };
  const rows = [
    row('no-TTL keys still readable', 'percent', (r) => r.noTtlHitRatio, { kind: 'ours-min', value: 0.99 }),
    row('expired items gone, s after last deadline', 'seconds', (r) => r.reclaimByItems.lagSec, { kind: 'ours-max', value: 2 }, late),
    row('expired items still held at end', 'percent', (r) => r.reclaimByItems.leftAtEnd, { kind: 'info' }, { noRatio: true }),
    row('TTL keys served after expiry', 'count', (r) => r.servedAfterExpiry, { kind: 'ours-max', value: 0 }, { noRatio: true }),
  ];
  const seg = runs.ours?.reclaimBySegments;
  if (seg) {
    rows.splice(2, 0, {
      bench,
      metric: 'segments back in free pool, s after last deadline',
      unit: 'seconds',
      memcached: { value: NaN, note: 'n/a (slabs)' },
      ours: Number.isNaN(seg.lagSec) ? { value: NaN, note: late.nanNote } : { value: seg.lagSec },
      ratio: NaN,
      target: { kind: 'ours-max', value: 2 },
    });
  }
  return rows;
}

export async function runExpiry(ctx: SuiteContext): Promise<Row[]> {
  const writeSeconds = ctx.quick ? 4 : 20;
  const settleSeconds = ctx.quick ? 2 : 6;
  const bench = `expiry: ${writeSeconds} s of 400 B sets at 9k/s, half TTL 2-5 s, -m ${MEMORY_MB}`;
  ctx.log(bench);
  const runs = await runOncePerServer(
    ctx,
    MEMORY_MB,
    bench,
    (server) => {
      const config: ExpiryConfig = {
        host: '127.0.0.1',
        port: server.port,
        writeSeconds,
        ratePerSec: 9000,
        keySize: 14,
        valueSize: 400,
        ttlMinSec: 2,
        ttlMaxSec: 5,
        settleSeconds,
        pollMs: 200,
        seed: ctx.seed,
      };
      return runWorker<ExpiryResult>('expiry', config, { core: ctx.plan.clientCore, timeoutMs: workerTimeout((writeSeconds + settleSeconds + 10) * 1000) });
    },
    (name, r) => `${name}: no-TTL kept ${r.noTtlKept}/${r.noTtlWritten}, expired items gone ${r.reclaimByItems.lagSec.toFixed(2)} s after the last deadline, ${r.evictions} evictions`,
  );
  ctx.raw.expiry = runs;
  return expiryRows(bench, settleSeconds, runs);
}
