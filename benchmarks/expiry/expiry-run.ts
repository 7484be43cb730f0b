// Expiry: for `writeSeconds`, write keys at a steady rate, every other one
// with a 2-5 s TTL and the rest without; sample `stats` throughout and for
// a while after the last deadline; then read every key back. Reports how
// long expired memory took to come back, how many no-TTL keys survived
// (byte-checked), and whether any TTL key was served after its deadline.

import { performance } from 'node:perf_hooks';
import { TextConnection, fetchStatsText } from '../core/text-connection.js';
import { ValuePool } from '../core/value-pool.js';
import { hash32 } from '../core/splitmix64.js';
import { findStat, parseStatsReply, statNumber } from '../core/stats-lines.js';
import type { Reply } from '../core/reply-parser.js';
import { memoryKey } from '../memory/fill-verify.js';
import { summarizeReclaim, type ReclaimSummary, type UsageSample } from './reclaim-summary.js';

export interface ExpiryConfig {
  host: string;
  port: number;
  writeSeconds: number;
  ratePerSec: number;
  keySize: number;
  valueSize: number;
  ttlMinSec: number;
  ttlMaxSec: number;
  /** Keep sampling this long after the last deadline. */
  settleSeconds: number;
  pollMs: number;
  seed: number;
}

export interface ExpirySample {
  t: number;
  bytes: number;
  items: number;
  /** Segments in use x segment size, when the server reports segments; else NaN. */
  segmentBytes: number;
}

export interface ExpiryResult {
  written: number;
  storeErrors: number;
  noTtlWritten: number;
  noTtlKept: number;
  noTtlHitRatio: number;
  /** TTL keys read after their deadline (+ a 1 s clock allowance) that still hit: must be 0. */
  servedAfterExpiry: number;
  corrupt: number;
  evictions: number;
  endOfWrites: number;
  lastDeadline: number;
  /** Reclaim by curr_items, against the no-TTL items still held (both servers). */
  reclaimByItems: ReclaimSummary;
  /**
   * Reclaim by segments in use (the free pool), when the server reports
   * segments; the floor is the lowest use seen after the last deadline.
   */
  reclaimBySegments: ReclaimSummary | undefined;
  samples: ExpirySample[];
}

/** Stat names our server may use for its segment pool. */
const FREE_SEGMENTS = [/^segcache_segments_free$/, /^segments?_free$/, /^free_segments?$/, /seg.*free/, /free.*seg/];
const TOTAL_SEGMENTS = [/^segcache_segments_total$/, /^segments?_total$/, /^total_segments?$/, /seg.*total/, /seg.*count/];
const SEGMENT_SIZE = [/^segcache_segment_size$/, /^segment_size$/, /seg.*size/];

export function ttlForKey(seed: number, index: number, minSec: number, maxSec: number): number {
  if (index % 2 === 1) return 0;
  return minSec + (hash32(seed, index) % (maxSec - minSec + 1));
}

function sampleOf(text: string, t: number): ExpirySample {
  const stats = parseStatsReply(text);
  const free = findStat(stats, FREE_SEGMENTS).value;
  const total = findStat(stats, TOTAL_SEGMENTS).value;
  const size = findStat(stats, SEGMENT_SIZE).value;
  return {
    t,
    bytes: statNumber(stats, 'bytes'),
    items: statNumber(stats, 'curr_items'),
    segmentBytes: (total - free) * size,
  };
}

export async function runExpiry(config: ExpiryConfig): Promise<ExpiryResult> {
  const pool = new ValuePool(config.seed);
  const writer = await TextConnection.open(config.host, config.port);
  const poller = await TextConnection.open(config.host, config.port);
  // Set from a callback; the cast keeps TypeScript from narrowing it to null for good.
  let failure = null as Error | null;
  writer.onFailure((err) => (failure = err));
  poller.onFailure((err) => (failure = err));

  const samples: ExpirySample[] = [];
  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const withSegcache = await fetchStatsText(poller, 'segcache').then(
    () => true,
    () => false,
  );
  let polling = true;
  const pollLoop = (async () => {
    while (polling) {
      const t = elapsed();
      // Our segment fields are in `stats segcache` (memcached answers ERROR to it).
      const own = withSegcache ? '\n' + (await fetchStatsText(poller, 'segcache')) : '';
      samples.push(sampleOf((await fetchStatsText(poller)) + own, t));
      await new Promise((r) => setTimeout(r, config.pollMs));
    }
  })();

  let storeErrors = 0;
  const onStore = (r: Reply): void => {
    if (r.kind !== 'line' || r.line !== 'STORED') storeErrors++;
  };
  const { keySize, valueSize } = config;
  const deadlines: number[] = [];
  let written = 0;
  let lastDeadline = 0;
  while (elapsed() < config.writeSeconds) {
    const due = Math.floor(elapsed() * config.ratePerSec) - written;
    if (due > 0) {
      const n = Math.min(due, 2000);
      const parts: Buffer[] = [];
      const now = elapsed();
      for (let i = written; i < written + n; i++) {
        const ttl = ttlForKey(config.seed, i, config.ttlMinSec, config.ttlMaxSec);
        if (ttl > 0) lastDeadline = Math.max(lastDeadline, now + ttl);
        deadlines.push(ttl > 0 ? now + ttl : Infinity);
        parts.push(Buffer.from(`set ${memoryKey(i, keySize)} 0 ${ttl} ${valueSize}\r\n`, 'latin1'), pool.value(i, 1, valueSize), Buffer.from('\r\n'));
      }
      writer.sendMany(Buffer.concat(parts), 'line', n, onStore);
      written += n;
    }
    if (writer.pending > 20000) await writer.whenPendingBelow(10000);
    if (failure) throw failure;
    await new Promise((r) => setTimeout(r, 5));
  }
  await writer.drain();
  const endOfWrites = elapsed();
  while (elapsed() < lastDeadline + config.settleSeconds) {
    if (failure) throw failure;
    await new Promise((r) => setTimeout(r, 50));
  }
  polling = false;
  await pollLoop;

  // Read everything back: no-TTL keys should be there, TTL keys must not.
  let noTtlKept = 0;
  let servedAfterExpiry = 0;
  let corrupt = 0;
  const readAt = elapsed();
  const onValues = (r: Reply): void => {
    if (r.kind !== 'values') return;
    for (const v of r.values) {
      const index = Number(v.key.slice(4));
      if (!pool.matches(v.data, index, 1, valueSize)) corrupt++;
      else if (deadlines[index] === Infinity) noTtlKept++;
      else if (readAt > deadlines[index]! + 1) servedAfterExpiry++;
    }
  };
  for (let start = 0; start < written; start += 100) {
    let req = 'get';
    for (let i = start; i < Math.min(written, start + 100); i++) req += ' ' + memoryKey(i, keySize);
    writer.send(req + '\r\n', 'values', onValues);
    if (writer.pending >= 64) await writer.whenPendingBelow(32);
    if (failure) throw failure;
  }
  await writer.drain();
  const finalStats = parseStatsReply(await fetchStatsText(writer));
  writer.close();
  poller.close();

  const noTtlWritten = Math.floor(written / 2);
  const hasSegments = samples.some((s) => Number.isFinite(s.segmentBytes));
  const series = (pick: (s: ExpirySample) => number): UsageSample[] => samples.map((s) => ({ t: s.t, used: pick(s) }));
  const settled = samples.filter((s) => s.t > lastDeadline && Number.isFinite(s.segmentBytes)).map((s) => s.segmentBytes);
  return {
    written,
    storeErrors,
    noTtlWritten,
    noTtlKept,
    noTtlHitRatio: noTtlWritten > 0 ? noTtlKept / noTtlWritten : NaN,
    servedAfterExpiry,
    corrupt,
    evictions: statNumber(finalStats, 'evictions'),
    endOfWrites,
    lastDeadline,
    reclaimByItems: summarizeReclaim(series((s) => s.items), endOfWrites, lastDeadline, noTtlKept),
    reclaimBySegments: hasSegments && settled.length > 0
      ? summarizeReclaim(series((s) => s.segmentBytes), endOfWrites, lastDeadline, Math.min(...settled))
      : undefined,
    samples,
  };
}
