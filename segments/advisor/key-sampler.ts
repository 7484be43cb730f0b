// Spatial sampling for the sizing advisor (SHARDS, Waldspurger et al.):
// a key is in the sample when a seeded remix of its 32-bit hash falls below
// rate x 2^32, so every request for a sampled key is seen and every request
// for any other key is not. Deterministic for (seed, hash): the same trace
// with the same seed samples the same keys. The remix decorrelates the
// sample from the hash index's bucket bits (the live server passes the
// index's own hash so the key is not hashed twice).
//
// Not here: which requests to feed, or what the copies do with them.

/** Fewest keys in 2^32 a rate may sample (rates below 2^-24 are rejected). */
const MIN_RATE = 2 ** -24;

/** murmur3's finaliser, keyed: avalanche `hash ^ seed`. */
export function remix(hash: number, seed: number): number {
  let h = (hash ^ seed) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class KeySampler {
  /** Keys with remix(hash) below this are sampled. */
  readonly threshold: number;

  /** `rate` in (0, 1]: the share of keys sampled. */
  constructor(
    readonly rate: number,
    readonly seed: number,
  ) {
    if (!(rate >= MIN_RATE && rate <= 1)) throw new RangeError(`sample rate ${rate} is not in [2^-24, 1]`);
    this.threshold = rate * 4294967296;
  }

  /** Is the key with this hash in the sample? */
  sampled(hash: number): boolean {
    return remix(hash, this.seed) < this.threshold;
  }
}
