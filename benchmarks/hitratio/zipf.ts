// Zipf popularity over ranks 0..n-1 (rank r drawn with probability
// proportional to 1/(r+1)^alpha): the CDF is computed once, each draw is a
// binary search for a uniform number. alpha 0 is uniform.

export class ZipfSampler {
  /** cdf[r] = P(rank <= r); cdf[n-1] = 1. */
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly alpha: number,
  ) {
    if (!(n >= 1) || !Number.isInteger(n)) throw new Error('Zipf needs n >= 1');
    if (!(alpha >= 0)) throw new Error('Zipf needs alpha >= 0');
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r++) {
      sum += alpha === 0 ? 1 : Math.pow(r + 1, -alpha);
      this.cdf[r] = sum;
    }
    for (let r = 0; r < n; r++) this.cdf[r]! /= sum;
    this.cdf[n - 1] = 1;
  }

  /** Probability of rank r. */
  probability(r: number): number {
    return r === 0 ? this.cdf[0]! : this.cdf[r]! - this.cdf[r - 1]!;
  }

  /** The rank for a uniform u in [0, 1): the first r with cdf[r] > u. */
  rank(u: number): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
