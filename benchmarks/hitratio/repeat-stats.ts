// Statistics of hitratio-repeats.ts: one case replayed live N times, each
// repeat against grow-a-cache and memcached (twice) at once, the same trace
// every time. Pure: takes the results file's lines, returns figures. The
// comparison is paired by repeat (the servers of one repeat share the
// machine's load), so the noise of a repeat's load cancels in the difference.

import type { WideLine } from './wide-run.js';

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1); NaN below two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Mean of a - b over pairs, its standard error and t (mean / SE). */
export interface PairedDifference {
  n: number;
  mean: number;
  sd: number;
  se: number;
  t: number;
}

export function pairedDifference(a: readonly number[], b: readonly number[]): PairedDifference {
  if (a.length !== b.length) throw new Error('paired samples of different lengths');
  const d = a.map((x, i) => x - b[i]!);
  const sd = sampleSd(d);
  const se = sd / Math.sqrt(d.length);
  const m = mean(d);
  return { n: d.length, mean: m, sd, se, t: m / se };
}

/** Median, least and greatest of a sample. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** One repeat: each server run's misses and the counters that explain expired misses. */
export interface RepeatRow {
  repeat: number;
  /** Misses of grow-a-cache, memcached run 1, memcached run 2 (NaN when that run is missing). */
  ours: number;
  mc1: number;
  mc2: number;
  /** Hits served after the exact deadline, same order. */
  pastDeadline: [number, number, number];
  /** Expired misses answered before the earliest exact deadline, same order. */
  expiredEarly: [number, number, number];
  /** Capacity misses, same order. */
  capacity: [number, number, number];
  /** Achieved requests/s, same order. */
  rates: [number, number, number];
}

export interface RepeatSummary {
  rows: RepeatRow[];
  /** ours - memcached run 1, per repeat. */
  oursVsMc: PairedDifference;
  /** memcached run 2 - run 1, per repeat (the A/A). */
  aa: PairedDifference;
  /** ours / memcached run 1 and memcached run 2 / run 1, over repeats. */
  ratio: Spread;
  aaRatio: Spread;
  /** Standard deviation of memcached run 1's misses across repeats (same trace, so this is the servers' and timing's noise). */
  mcSd: number;
  gets: number;
  wrong: number;
}

const misses = (l: WideLine | undefined): number => (l === undefined ? NaN : l.result.gets - l.result.hits);

/** Group the lines of one case by repeat and compare; only repeats with all three runs count. */
export function summarizeRepeats(lines: readonly WideLine[]): RepeatSummary {
  const byRepeat = new Map<number, WideLine[]>();
  for (const l of lines) {
    const k = l.repeat ?? 0;
    byRepeat.set(k, [...(byRepeat.get(k) ?? []), l]);
  }
  const rows: RepeatRow[] = [];
  let gets = 0;
  let wrong = 0;
  for (const [repeat, ls] of [...byRepeat].sort((a, b) => a[0] - b[0])) {
    const ours = ls.find((l) => l.server === 'grow-a-cache');
    const mc1 = ls.find((l) => l.server === 'memcached' && l.run === 1);
    const mc2 = ls.find((l) => l.server === 'memcached' && l.run === 2);
    if (!ours || !mc1 || !mc2) continue;
    const three = [ours, mc1, mc2];
    gets = ours.result.gets;
    for (const l of three) wrong += l.result.wrongValues + l.result.expiredServed;
    rows.push({
      repeat,
      ours: misses(ours),
      mc1: misses(mc1),
      mc2: misses(mc2),
      pastDeadline: three.map((l) => l.result.hitsPastDeadline ?? NaN) as [number, number, number],
      expiredEarly: three.map((l) => l.result.expiredBeforeDeadline ?? NaN) as [number, number, number],
      capacity: three.map((l) => l.result.capacity) as [number, number, number],
      rates: three.map((l) => l.result.achievedRate) as [number, number, number],
    });
  }
  return {
    rows,
    oursVsMc: pairedDifference(
      rows.map((r) => r.ours),
      rows.map((r) => r.mc1),
    ),
    aa: pairedDifference(
      rows.map((r) => r.mc2),
      rows.map((r) => r.mc1),
    ),
    ratio: spread(rows.map((r) => r.ours / r.mc1)),
    aaRatio: spread(rows.map((r) => r.mc2 / r.mc1)),
    mcSd: sampleSd(rows.map((r) => r.mc1)),
    gets,
    wrong,
  };
}
