// Memory efficiency through the wire: store `items` keys `key:%010d` with
// fixed-size values in order over one pipelined connection, then read every
// key back with multi-gets and count the values still held and correct
// byte for byte. Items kept in the same -m is the figure of merit.

import { performance } from 'node:perf_hooks';
import { TextConnection, fetchStatsText } from '../core/text-connection.js';
import { ValuePool } from '../core/value-pool.js';
import { parseStatsReply, statNumber } from '../core/stats-lines.js';
import type { Reply } from '../core/reply-parser.js';

export interface FillConfig {
  host: string;
  port: number;
  items: number;
  /** 14 for key:%010d. */
  keySize: number;
  valueSize: number;
  /** Sets per socket write. */
  batch: number;
  /** Replies outstanding before the writer waits. */
  window: number;
  /** Keys per get when reading back. */
  keysPerGet: number;
  seed: number;
}

export interface FillResult {
  items: number;
  stored: number;
  /** Store replies other than STORED (e.g. SERVER_ERROR out of memory). */
  storeErrors: number;
  firstStoreError: string;
  /** Keys read back with exactly the value written. */
  kept: number;
  /** Keys read back with wrong bytes or flags (must be 0). */
  corrupt: number;
  fillSeconds: number;
  verifySeconds: number;
  currItems: number;
  bytes: number;
  limitMaxbytes: number;
  evictions: number;
}

export function memoryKey(index: number, keySize: number): string {
  return 'key:' + String(index).padStart(keySize - 4, '0');
}

export async function runFill(config: FillConfig): Promise<FillResult> {
  const pool = new ValuePool(config.seed);
  const conn = await TextConnection.open(config.host, config.port);
  // Set from a callback; the cast keeps TypeScript from narrowing it to null for good.
  let failure = null as Error | null;
  conn.onFailure((err) => (failure = err));

  let stored = 0;
  let storeErrors = 0;
  let firstStoreError = '';
  const onStore = (r: Reply): void => {
    if (r.kind === 'line' && r.line === 'STORED') stored++;
    else {
      storeErrors++;
      if (!firstStoreError && r.kind === 'line') firstStoreError = r.line;
    }
  };

  const t0 = performance.now();
  const { items, keySize, valueSize, batch } = config;
  const header = ` 0 0 ${valueSize}\r\n`;
  const perSet = 4 + keySize + header.length + valueSize + 2;
  for (let start = 0; start < items; start += batch) {
    const end = Math.min(items, start + batch);
    const out = Buffer.allocUnsafe((end - start) * perSet);
    let off = 0;
    for (let i = start; i < end; i++) {
      off += out.write('set ' + memoryKey(i, keySize) + header, off, 'latin1');
      off += pool.value(i, 1, valueSize).copy(out, off);
      out[off++] = 13;
      out[off++] = 10;
    }
    conn.sendMany(out.subarray(0, off), 'line', end - start, onStore);
    if (conn.pending >= config.window) await conn.whenPendingBelow(config.window / 2);
    if (failure) throw failure;
  }
  await conn.drain();
  const fillSeconds = (performance.now() - t0) / 1000;

  let kept = 0;
  let corrupt = 0;
  const onValues = (r: Reply): void => {
    if (r.kind !== 'values') return;
    for (const v of r.values) {
      const index = Number(v.key.slice(4));
      if (v.flags === 0 && Number.isInteger(index) && pool.matches(v.data, index, 1, valueSize)) kept++;
      else corrupt++;
    }
  };
  const t1 = performance.now();
  for (let start = 0; start < items; start += config.keysPerGet) {
    const end = Math.min(items, start + config.keysPerGet);
    let req = 'get';
    for (let i = start; i < end; i++) req += ' ' + memoryKey(i, keySize);
    conn.send(req + '\r\n', 'values', onValues);
    if (conn.pending >= 64) await conn.whenPendingBelow(32);
    if (failure) throw failure;
  }
  await conn.drain();
  const verifySeconds = (performance.now() - t1) / 1000;

  const stats = parseStatsReply(await fetchStatsText(conn));
  conn.close();
  return {
    items,
    stored,
    storeErrors,
    firstStoreError,
    kept,
    corrupt,
    fillSeconds,
    verifySeconds,
    currItems: statNumber(stats, 'curr_items'),
    bytes: statNumber(stats, 'bytes'),
    limitMaxbytes: statNumber(stats, 'limit_maxbytes'),
    evictions: statNumber(stats, 'evictions'),
  };
}
