// The seeded request stream of a cluster profile: each request is an
// operation drawn from the profile's mix and a key id, either a Zipf-ranked
// id in [0, keySpace) or a fresh id >= keySpace used exactly once (one-hit
// wonders). Same seed, same profile, same key space: same stream.

import { SplitMix64 } from '../core/splitmix64.js';
import type { ClusterProfile, TraceOp } from './profiles.js';
import type { ZipfSampler } from './zipf.js';

export interface TraceRequest {
  op: TraceOp;
  keyId: number;
  /** True for a one-hit wonder (never requested again). */
  fresh: boolean;
}

/**
 * Share of requests that go to a fresh key. The profile gives the share of
 * *objects* seen once and the mean requests per object; requests to
 * once-seen objects are then about oneHitWonderRatio / meanFrequency of all.
 */
export function freshKeyProbability(profile: ClusterProfile): number {
  return Math.min(0.95, profile.oneHitWonderRatio);
}

export class RequestStream {
  private readonly rng: SplitMix64;
  private readonly opCdf: number[];
  private readonly opNames: TraceOp[];
  private readonly freshProb: number;
  private nextFresh: number;

  constructor(
    readonly profile: ClusterProfile,
    readonly zipf: ZipfSampler,
    seed: number,
  ) {
    this.rng = new SplitMix64(seed);
    const total = profile.ops.reduce((s, [, share]) => s + share, 0);
    let acc = 0;
    this.opCdf = profile.ops.map(([, share]) => (acc += share / total));
    this.opNames = profile.ops.map(([op]) => op);
    this.freshProb = freshKeyProbability(profile);
    this.nextFresh = zipf.n;
  }

  get keySpace(): number {
    return this.zipf.n;
  }

  next(): TraceRequest {
    const u = this.rng.nextFloat();
    let op = this.opNames[this.opNames.length - 1]!;
    for (let i = 0; i < this.opCdf.length; i++) {
      if (u < this.opCdf[i]!) {
        op = this.opNames[i]!;
        break;
      }
    }
    if (this.rng.nextFloat() < this.freshProb) return { op, keyId: this.nextFresh++, fresh: true };
    return { op, keyId: this.zipf.rank(this.rng.nextFloat()), fresh: false };
  }
}
