// The live sizing advisor in one thread: the AdvisorSink the request-path
// hook (segments/advisor/advised-store.ts) feeds, and the AdvisorReport
// `stats advisor` and /metrics read. Candidate sizes are 1/4x to 4x of -m
// in half-octave steps (9 points, -m among them); the copies' expiry tick
// runs once a second on an unref'd timer.
//
// Single-threaded servers feed it directly; with -t N the housekeeping
// thread owns one and feeds it from the workers' rings (advisor-ring.ts).

import { SizingAdvisor, anchorOffset, sizesAround, type CurvePoint } from '../../segments/advisor/sizing-advisor.js';
import type { AdvisorReport, AdvisorSink } from '../../segments/advisor/advised-store.js';
import { AdvisedStore } from '../../segments/advisor/advised-store.js';
import type { Clock, EvictionPolicy, StoreCounters, StoreOptions } from '../../segments/types.js';
import type { StoreTuning } from '../../segments/segment-store.js';
import { defaultSegmentSize } from '../../segments/store-defaults.js';
import { MERGE_SEGMENTS } from '../../segments/merge-eviction.js';
import { batchClock } from '../../segments/batch-clock.js';

export interface LiveAdvisorOptions {
  memoryBytes: number;
  segmentSize: number;
  rate: number;
  seed: number;
  evictionPolicy: EvictionPolicy;
  mergeSegments: number;
  clock: Clock;
}

/** Default sampling rate of `-o advisor`. */
export const DEFAULT_ADVISOR_RATE = 0.01;

export class LiveAdvisor implements AdvisorSink, AdvisorReport {
  allGets = 0;
  readonly advisor: SizingAdvisor;
  readonly rate: number;
  private readonly memoryLimit: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: LiveAdvisorOptions) {
    this.rate = options.rate;
    this.memoryLimit = options.memoryBytes;
    this.advisor = new SizingAdvisor({
      sizes: sizesAround(options.memoryBytes),
      segmentSize: options.segmentSize,
      rate: options.rate,
      seed: options.seed,
      evictionPolicy: options.evictionPolicy === 'none' ? 'merge' : options.evictionPolicy,
      mergeSegments: options.mergeSegments,
      clock: options.clock,
    });
  }

  /** Start the copies' once-a-second expiry tick. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.advisor.expireNow(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  get(hash: number, keyLength: number, fill: number, exptime: number): void {
    this.advisor.sampledRequests++;
    this.advisor.get(hash, keyLength, fill, exptime);
  }

  set(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    this.advisor.sampledRequests++;
    this.advisor.set(hash, keyLength, valueLength, exptime);
  }

  delete(hash: number): void {
    this.advisor.sampledRequests++;
    this.advisor.delete(hash);
  }

  touch(hash: number, _keyLength: number, exptime: number): void {
    this.advisor.sampledRequests++;
    this.advisor.touch(hash, exptime);
  }

  arith(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    this.advisor.sampledRequests++;
    this.advisor.arith(hash, keyLength, valueLength, exptime);
  }

  /**
   * The real store's hit ratio (get hits / gets) at its own size, which
   * anchors the curve (sizing-advisor.ts); NaN or unset: no anchoring.
   */
  measured: (() => number) | undefined;

  curve(): CurvePoint[] {
    return this.advisor.curve(this.allGets, this.anchor());
  }

  anchorOffset(): number {
    return anchorOffset(this.advisor.curve(this.allGets), this.anchor());
  }

  private anchor(): { memoryBytes: number; hitRatio: number } | undefined {
    return this.measured === undefined ? undefined : { memoryBytes: this.memoryLimit, hitRatio: this.measured() };
  }

  sampledRequests(): number {
    return this.advisor.sampledRequests;
  }

  dropped(): number {
    return 0;
  }

  memoryBytes(): number {
    return this.advisor.memoryBytes();
  }
}

/** The store's own hit ratio so far: get hits / gets (NaN before any get). */
export function storeHitRatio(totals: StoreCounters): number {
  const gets = totals.getHits + totals.getMisses;
  return gets > 0 ? totals.getHits / gets : NaN;
}

/** Sampler seed of the live advisor (the key hash it remixes is already seeded per process). */
export const LIVE_SAMPLER_SEED = 0x51ed;

/** A single-threaded server's store with the advisor on: an AdvisedStore feeding a LiveAdvisor. */
export function createAdvisedStore(options: StoreOptions, rate: number, tuning: StoreTuning = {}): AdvisedStore {
  const live = new LiveAdvisor({
    memoryBytes: options.memoryLimitBytes,
    segmentSize: options.segmentSize ?? defaultSegmentSize(options.memoryLimitBytes, options.itemSizeMax),
    rate,
    seed: LIVE_SAMPLER_SEED,
    evictionPolicy: options.evictionPolicy ?? 'merge',
    mergeSegments: options.mergeSegments ?? MERGE_SEGMENTS,
    clock: options.clock ?? batchClock,
  });
  live.start();
  const store = new AdvisedStore(options, tuning, live, live, { rate, seed: LIVE_SAMPLER_SEED });
  live.measured = () => storeHitRatio(store.totals());
  return store;
}
