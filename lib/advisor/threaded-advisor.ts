// The live advisor with -t N (design in segments/advisor/advisor-ring.ts):
// workers and the main thread attach an AdvisedStore feeding their own
// ring; the housekeeping thread owns the copies (a LiveAdvisor), drains
// the rings at each of its steps (at most WAIT_MS apart, 250 ms) and
// publishes the curve once a second, after the copies' expiry tick.

import { AdvisedStore } from '../../segments/advisor/advised-store.js';
import { RingDrain, RingSink, SharedReport, newAdvisorRings, publishCurve, type AdvisorRingsMemory } from '../../segments/advisor/advisor-ring.js';
import type { SegmentStore, SharedStoreHandle } from '../../segments/segment-store.js';
import { attachStore } from '../../segments/shared-store.js';
import { batchClock } from '../../segments/batch-clock.js';
import { LIVE_SAMPLER_SEED, LiveAdvisor, storeHitRatio } from './live-advisor.js';

const PUBLISH_MS = 1000;

/** Rings for `producers` threads (workers, then the main thread). */
export function newThreadedAdvisor(producers: number, rate: number): AdvisorRingsMemory {
  return newAdvisorRings(producers, rate, LIVE_SAMPLER_SEED);
}

/** Attach a thread's store: with the advisor, one feeding ring `ring`. */
export function attachAdvisedStore(handle: SharedStoreHandle, threadSlot: number, advisor: AdvisorRingsMemory | undefined, ring: number): SegmentStore {
  if (advisor === undefined) return attachStore(handle, { threadSlot });
  return new AdvisedStore(handle, { threadSlot }, new RingSink(advisor.rings[ring]!), new SharedReport(advisor), { rate: advisor.rate, seed: advisor.seed });
}

/** The housekeeper's side: the copies, fed from the rings. */
export class AdvisorDrainLoop {
  readonly live: LiveAdvisor;
  private readonly drain: RingDrain;
  private lastPublish = 0;

  /** `store`: this thread's view of the real store, whose hit ratio anchors the curve. */
  constructor(
    private readonly memory: AdvisorRingsMemory,
    handle: SharedStoreHandle,
    store: SegmentStore,
  ) {
    const o = handle.options;
    this.live = new LiveAdvisor({
      memoryBytes: o.memoryLimitBytes,
      segmentSize: o.segmentSize,
      rate: memory.rate,
      seed: memory.seed,
      evictionPolicy: o.evictionPolicy,
      mergeSegments: o.mergeSegments,
      clock: batchClock,
    });
    this.drain = new RingDrain(memory);
    this.live.measured = () => storeHitRatio(store.totals());
  }

  /** Drain every ring; once a second tick the copies' expiry and publish the curve. */
  step(): void {
    this.drain.drain(this.live);
    const now = Date.now();
    if (now - this.lastPublish >= PUBLISH_MS) {
      this.lastPublish = now;
      this.live.advisor.expireNow();
      publishCurve(this.memory, this.live, this.drain.dropped());
    }
  }
}
