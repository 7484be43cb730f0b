// Per-key attributes of a synthetic workload, stable for the whole run:
// key bytes, value size and TTL are functions of (seed, key id), so no
// table per key is kept and both servers see the same sizes.

import { hashUnit } from '../core/splitmix64.js';
import { MAX_POOLED_VALUE } from '../core/value-pool.js';
import type { ClusterProfile } from './profiles.js';

/** Spread of log(value size); a long tail with mean/median = e^(sigma^2/2). */
const VALUE_SIGMA = 1.0;
const MAX_KEY = 250;

/** Salts so each attribute uses an independent hash of the key id. */
const SALT_KEY = 0x4b;
const SALT_VALUE_A = 0x56a;
const SALT_VALUE_B = 0x56b;
const SALT_TTL = 0x77;

export interface TtlPolicy {
  /** Trace TTLs are divided by this (time compression). */
  compression: number;
  /** No compressed TTL goes below this many seconds. */
  minSec: number;
}

export class KeyAttributes {
  private readonly ttlCdf: number[];
  private readonly ttlValues: number[];
  private readonly maxValue: number;
  private readonly mu: number;

  constructor(
    readonly profile: ClusterProfile,
    private readonly seed: number,
    ttl: TtlPolicy,
  ) {
    const total = profile.ttls.reduce((s, [, share]) => s + share, 0);
    let acc = 0;
    this.ttlCdf = profile.ttls.map(([, share]) => (acc += share / total));
    this.ttlValues = profile.ttls.map(([sec]) => (sec <= 0 ? 0 : Math.max(ttl.minSec, Math.round(sec / ttl.compression))));
    this.maxValue = Math.min(32 * profile.valueSize, 256 * 1024, MAX_POOLED_VALUE);
    // Log-normal with the profile's mean before capping.
    this.mu = Math.log(profile.valueSize) - (VALUE_SIGMA * VALUE_SIGMA) / 2;
  }

  private h(salt: number, id: number): number {
    return hashUnit((this.seed ^ Math.imul(salt, 0x9e3779b1)) >>> 0, id);
  }

  /** Key text: base-36 id, '_' and '-' padding to a size near the profile mean (unique per id). */
  key(id: number): string {
    const core = id.toString(36) + '_';
    const target = Math.round(this.profile.keySize * (0.75 + 0.5 * this.h(SALT_KEY, id)));
    const size = Math.min(MAX_KEY, Math.max(core.length, target));
    return core.length >= size ? core : core + '-'.repeat(size - core.length);
  }

  /** Value size in bytes: log-normal around the profile mean, 1 .. cap. */
  valueSize(id: number): number {
    // Box-Muller from two hashed uniforms.
    const u1 = Math.max(this.h(SALT_VALUE_A, id), 1e-12);
    const u2 = this.h(SALT_VALUE_B, id);
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    const size = Math.round(Math.exp(this.mu + VALUE_SIGMA * normal));
    return Math.min(this.maxValue, Math.max(1, size));
  }

  /** Compressed TTL in seconds (0 = never expires). */
  ttlSec(id: number): number {
    const u = this.h(SALT_TTL, id);
    for (let i = 0; i < this.ttlCdf.length; i++) if (u < this.ttlCdf[i]!) return this.ttlValues[i]!;
    return this.ttlValues[this.ttlValues.length - 1]!;
  }
}
