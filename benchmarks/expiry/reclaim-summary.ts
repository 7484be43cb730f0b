// Turns a time series of what a server holds (sampled from `stats` while
// and after items expire) into figures for how fast expired data is given
// back: measured against the floor it should reach once every TTL item has
// expired (the no-TTL items it still holds).

export interface UsageSample {
  /** Seconds since the write phase began. */
  t: number;
  /** What the server holds by the chosen measure (items, bytes, segment bytes). */
  used: number;
}

export interface ReclaimSummary {
  /** Held at the end of the writes (last sample at or before it). */
  usedAtEnd: number;
  /** What should be held once all TTL items are gone. */
  floor: number;
  /** First sample after the writes with at most 5% of the excess (usedAtEnd - floor) left; NaN if none. */
  reclaimedAt: number;
  /** reclaimedAt - lastDeadline, at least 0; NaN when not reclaimed in the window. */
  lagSec: number;
  /** Share of the excess still held at the last sample (0 = all given back). */
  leftAtEnd: number;
}

/** Share of the excess that may remain when we call it reclaimed. */
const LEFT_SHARE = 0.05;

export function summarizeReclaim(samples: readonly UsageSample[], endOfWrites: number, lastDeadline: number, floor: number): ReclaimSummary {
  const valid = samples.filter((s) => Number.isFinite(s.used));
  const before = valid.filter((s) => s.t <= endOfWrites);
  const after = valid.filter((s) => s.t > endOfWrites);
  if (before.length === 0 || after.length === 0 || !Number.isFinite(floor)) {
    return { usedAtEnd: NaN, floor, reclaimedAt: NaN, lagSec: NaN, leftAtEnd: NaN };
  }
  const usedAtEnd = before[before.length - 1]!.used;
  const excess = usedAtEnd - floor;
  const last = after[after.length - 1]!.used;
  // Nothing beyond the floor at the end of the writes: expired data was already gone.
  if (!(excess > 0)) return { usedAtEnd, floor, reclaimedAt: endOfWrites, lagSec: 0, leftAtEnd: 0 };
  const hit = after.find((s) => s.used - floor <= LEFT_SHARE * excess);
  const reclaimedAt = hit ? hit.t : NaN;
  return { usedAtEnd, floor, reclaimedAt, lagSec: Math.max(0, reclaimedAt - lastDeadline), leftAtEnd: Math.max(0, (last - floor) / excess) };
}
