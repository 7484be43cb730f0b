// The data behind the live page: the latest segment map (built on demand,
// shared by every viewer asking within MAP_MAX_AGE_MS), the summary JSON
// (TTL buckets, memory split, counters) and a ring of per-second counter
// deltas for the charts.
//
// Nothing runs while nobody watches: the ring's one-second timer starts with
// the first page request and stops IDLE_STOP_MS after the last one, and a
// map is only built when asked for. The charts' history therefore begins
// when someone opened the page (and survives reloads within a minute).

import { storeCountersOf, type StatsSources } from '../stats-report.js';
import { advisorOf } from '../../../segments/advisor/advised-store.js';
import type { CacheStore } from '../../../segments/types.js';
import {
  buildSegmentMap,
  segmentDetail,
  segmentHeaders,
  type SegmentHeaders,
  type SegmentMap,
} from '../../../segments/segment-map.js';

/** A map younger than this is served again instead of rebuilt. */
const MAP_MAX_AGE_MS = 500;
/** Seconds of history the charts get (ten minutes). */
export const RING_SECONDS = 600;
/** The sampler stops this long after the last page request. */
const IDLE_STOP_MS = 60_000;
const SAMPLE_MS = 1000;

/** The series the charts draw, each a per-second delta of a counter. */
export const SERIES = ['gets', 'hits', 'sets', 'evictions', 'merges', 'expired'] as const;
export type SeriesName = (typeof SERIES)[number];

export class LiveData {
  private readonly headers: SegmentHeaders | null;
  private latest: { map: SegmentMap; atMs: number } | undefined;
  private building: Promise<SegmentMap> | undefined;
  /** Ring of per-second deltas, one Float64Array per series; `samples` counts every sample taken. */
  private readonly ring = SERIES.map(() => new Float64Array(RING_SECONDS));
  private samples = 0;
  /** First sample of the current watching period. */
  private historyStart = 0;
  private lastTotals: number[] | undefined;
  private lastSampleMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastRequestMs = 0;

  constructor(private readonly src: StatsSources) {
    this.headers = segmentHeaders(src.store);
  }

  /** Whether the store can be drawn (a segment store). */
  get available(): boolean {
    return this.headers !== null;
  }

  /** Whether the chart sampler is running (it runs only while the page is watched). */
  get sampling(): boolean {
    return this.timer !== undefined;
  }

  /** A page request arrived: keep (or start) sampling. */
  touch(): void {
    this.lastRequestMs = Date.now();
    if (this.timer !== undefined) return;
    // History from before a pause would join on as if no time had passed: drop it.
    this.historyStart = this.samples;
    this.lastTotals = undefined;
    this.sample();
    this.timer = setInterval(() => {
      if (Date.now() - this.lastRequestMs > IDLE_STOP_MS) this.stop();
      else this.sample();
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The current map: a fresh build unless one younger than MAP_MAX_AGE_MS exists; builds are shared. */
  async map(): Promise<SegmentMap | null> {
    const headers = this.headers;
    if (headers === null) return null;
    if (this.latest && Date.now() - this.latest.atMs < MAP_MAX_AGE_MS) return this.latest.map;
    this.building ??= buildSegmentMap(headers, this.nowS()).then(
      (map) => {
        this.latest = { map, atMs: Date.now() };
        this.building = undefined;
        return map;
      },
      (err: unknown) => {
        this.building = undefined;
        throw err;
      },
    );
    return this.building;
  }

  /** One segment's header for the hover (aggregates only). */
  segment(id: number): Record<string, number | boolean | null> | null {
    return this.headers === null ? null : segmentDetail(this.headers, id);
  }

  /** Everything but the map: shape, TTL buckets, memory, totals and the chart ring after `since`. */
  async summary(since: number): Promise<Record<string, unknown>> {
    const map = await this.map();
    const { store, counters: c } = this.src;
    const s = storeCountersOf(this.src);
    const shape = store.shape();
    const heapBytes = shape.segmentsTotal * shape.segmentSize;
    const usedBytes = (shape.segmentsTotal - shape.segmentsFree) * shape.segmentSize;
    return {
      version: this.src.version,
      nowS: this.nowS(),
      uptimeS: Math.floor((this.nowMs() - c.startedAtMs) / 1000),
      segmentSize: shape.segmentSize,
      segmentsTotal: shape.segmentsTotal,
      segmentsFree: shape.segmentsFree,
      evictionPolicy: store.options.evictionPolicy,
      limitBytes: shape.limitBytes,
      items: s.items,
      bytes: s.bytes,
      totals: {
        gets: s.getHits + s.getMisses,
        hits: s.getHits,
        sets: c.cmdSet,
        evictions: s.evictions,
        merges: s.merges,
        expired: s.expiredReclaimed,
        expiredSegments: s.expiredSegments,
      },
      memory: {
        heapBytes,
        segmentsUsedBytes: usedBytes,
        segmentsFreeBytes: heapBytes - usedBytes,
        liveBytes: map?.liveBytes ?? null,
        writtenBytes: map?.writtenBytes ?? null,
        hashBytes: shape.hashBytes,
        rssBytes: process.memoryUsage.rss(),
      },
      hash: { power: shape.hashPower, load: shape.hashLoad, expanding: shape.hashIsExpanding },
      buckets: map?.buckets ?? [],
      build: map?.timing ?? null,
      rates: this.ratesSince(since),
      advisor: advisorSummary(store),
    };
  }

  /** Per-second deltas after sample number `since` (at most the ring), oldest first. */
  ratesSince(since: number): { next: number; periodMs: number; series: Record<string, number[]> } {
    const end = this.samples;
    const from = Math.max(this.historyStart, end - RING_SECONDS, Number.isFinite(since) ? Math.floor(since) : 0);
    const series: Record<string, number[]> = {};
    SERIES.forEach((name, i) => {
      const out: number[] = [];
      for (let k = from; k < end; k++) out.push(this.ring[i]![k % RING_SECONDS]!);
      series[name] = out;
    });
    return { next: end, periodMs: SAMPLE_MS, series };
  }

  /** Take one sample now (the timer calls this; tests call it directly). */
  sample(): void {
    const totals = this.totals();
    const nowMs = Date.now();
    const prev = this.lastTotals;
    this.lastTotals = totals;
    // Divide by the time really elapsed: a busy event loop delays the timer.
    const elapsedS = prev === undefined ? 0 : (nowMs - this.lastSampleMs) / 1000;
    this.lastSampleMs = nowMs;
    if (prev === undefined) return;
    const slot = this.samples % RING_SECONDS;
    for (let i = 0; i < SERIES.length; i++) {
      // `stats reset` lowers a counter: show no negative rate.
      const delta = Math.max(0, totals[i]! - prev[i]!);
      this.ring[i]![slot] = delta / Math.max(elapsedS, 0.001);
    }
    this.samples++;
  }

  private totals(): number[] {
    const s = storeCountersOf(this.src);
    const c = this.src.counters;
    return [s.getHits + s.getMisses, s.getHits, c.cmdSet, s.evictions, s.merges, s.expiredReclaimed];
  }

  private nowMs(): number {
    return this.src.clock ? this.src.clock.nowMs() : Date.now();
  }

  private nowS(): number {
    return Math.floor(this.nowMs() / 1000);
  }
}

/** The sizing advisor's curve for the page (-o advisor), null when it is off. */
function advisorSummary(store: CacheStore): Record<string, unknown> | null {
  const report = advisorOf(store);
  if (report === undefined) return null;
  return {
    rate: report.rate,
    memoryBytes: report.memoryBytes(),
    points: report.curve().map((p) => ({ memoryBytes: p.memoryBytes, hitRatio: Number.isNaN(p.hitRatio) ? null : p.hitRatio, lowSample: p.lowSample })),
  };
}
