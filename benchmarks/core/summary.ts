// Small statistics over repeated measurements: medians and spreads across
// rounds, geometric means across profiles, ratios that survive zeros.

/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/**
 * Relative spread of the finite values: (max - min) / |median|, the figure
 * quoted next to a median ("±" half of it would hide the worst round).
 * 0 for a single value, NaN when none or the median is 0.
 */
export function spread(values: readonly number[]): number {
  const xs = values.filter(Number.isFinite);
  if (xs.length === 0) return NaN;
  const m = median(xs);
  if (m === 0) return NaN;
  return (Math.max(...xs) - Math.min(...xs)) / Math.abs(m);
}

/** Geometric mean of positive finite values; NaN when any is not. */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let logSum = 0;
  for (const v of values) {
    if (!(v > 0) || !Number.isFinite(v)) return NaN;
    logSum += Math.log(v);
  }
  return Math.exp(logSum / values.length);
}

/** ours / theirs; NaN when either side is missing or theirs is 0. */
export function ratio(ours: number, theirs: number): number {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return NaN;
  return ours / theirs;
}
