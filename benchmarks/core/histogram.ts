// Latency histogram cheap enough to record every request of a load run:
// log-linear buckets (16 per power of two, so about 6% relative error) over
// integer microseconds, one Float64Array increment per sample. Histograms
// from several connections or processes merge by adding counts.

const SUB_BITS = 4;
const SUB_COUNT = 1 << SUB_BITS; // buckets per power of two
const MAX_EXPONENT = 40; // ~12 days in microseconds; beyond is clamped
const BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB_COUNT;

/** Bucket index of a non-negative integer value. Values below 16 have exact buckets. */
export function bucketOf(value: number): number {
  const v = value < 0 ? 0 : Math.floor(value);
  if (v < SUB_COUNT) return v;
  const exponent = Math.min(Math.floor(Math.log2(v)), MAX_EXPONENT);
  // The 4 bits after the leading one pick the sub-bucket.
  const sub = Math.floor(v / 2 ** (exponent - SUB_BITS)) - SUB_COUNT;
  return (exponent - SUB_BITS + 1) * SUB_COUNT + Math.min(sub, SUB_COUNT - 1);
}

/** Smallest value that falls in bucket `index`. */
export function bucketLow(index: number): number {
  if (index < SUB_COUNT) return index;
  const exponent = Math.floor(index / SUB_COUNT) + SUB_BITS - 1;
  const sub = index % SUB_COUNT;
  return (SUB_COUNT + sub) * 2 ** (exponent - SUB_BITS);
}

/** Largest value that falls in bucket `index`. */
export function bucketHigh(index: number): number {
  return bucketLow(index + 1) - 1;
}

export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  max = 0;

  /** Record one sample in microseconds. */
  record(micros: number): void {
    this.counts[bucketOf(micros)]!++;
    this.total++;
    if (micros > this.max) this.max = micros;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * The value at quantile q (0..1): the upper edge of the bucket holding the
   * q-th sample, so a percentile is never reported lower than it was.
   * NaN when empty.
   */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketHigh(i), this.max);
    }
    return this.max;
  }

  /** Sparse [bucket, count] pairs, for sending across processes as JSON. */
  toSparse(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) out.push([i, this.counts[i]!]);
    return out;
  }

  static fromSparse(pairs: Array<[number, number]>, max: number): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [i, c] of pairs) {
      h.counts[i] = c;
      h.total += c;
    }
    h.max = max;
    return h;
  }
}
