// How merge eviction ranks items and picks the survivors of a merge.
//
// An item's rank is its read frequency per byte relative to its segment's
// mean item size, on a log scale (eighth-octave steps), so a 2 KiB item
// must be read about 8x as often as a 256-byte one to rank alike; rank 0 is
// "not read". A byte histogram over ranks then gives the cut that keeps the
// highest ranks that fit the room a merge may keep (less the gap packing
// leaves at the end of each segment). Items of the cut rank are split by
// age: the oldest go first (the merge scans oldest first), so among equals
// the ones written last get their chance to be read.
//
// Frequencies carry over when an item moves (Segcache resets them, which
// makes an item read a few times survive one merge and then compete with
// items never read); to forget items that were popular once, a counter is
// halved when the item has not been read for longer than `horizon` seconds.

/** Distinct ranks: 0 (never read) and 1..RANKS-1. */
export const RANKS = 256;
/** Rank of an item read once, of its segment's mean size. */
const RANK_OF_ONE = 128;
const STEPS_PER_OCTAVE = 8;

/** Rank of an item with frequency `freq` and `size` bytes in a segment whose live items average `meanSize`. */
export function rankOf(freq: number, size: number, meanSize: number): number {
  if (freq <= 0) return 0;
  const r = Math.floor(STEPS_PER_OCTAVE * Math.log2((freq * meanSize) / size)) + RANK_OF_ONE;
  return r < 1 ? 1 : r >= RANKS ? RANKS - 1 : r;
}

/** The frequency an item keeps: halved once it has gone unread for more than `horizon` seconds. */
export function agedFrequency(freq: number, idleSeconds: number, horizon: number): number {
  return idleSeconds > horizon ? freq >>> 1 : freq;
}

/** Bytes per rank for one merge, and the cut that fits a given room. */
export class RankHistogram {
  private readonly bytes = new Float64Array(RANKS);
  private total = 0;
  private squares = 0;
  /** Set by cut(): ranks above are kept, ranks below dropped. */
  cutRank = 0;
  /** Set by cut(): bytes of rank cutRank to drop, first scanned first. */
  cutDropBytes = 0;

  clear(): void {
    this.bytes.fill(0);
    this.total = 0;
    this.squares = 0;
  }

  /** Bytes of ranks above `rank`. */
  bytesAbove(rank: number): number {
    let sum = 0;
    for (let r = rank + 1; r < RANKS; r++) sum += this.bytes[r]!;
    return sum;
  }

  add(rank: number, size: number): void {
    this.bytes[rank]! += size;
    this.total += size;
    this.squares += size * size;
  }

  /**
   * Bytes a packed segment is expected to leave unused at its end: the
   * share of the item that did not fit, E[size^2] / (2 E[size]) for the
   * sizes added (items do not split across segments).
   */
  packingGap(): number {
    return this.total > 0 ? this.squares / (2 * this.total) : 0;
  }

  /** Choose the cut so that at most `room` bytes are kept, highest ranks first. */
  cut(room: number): void {
    let left = room;
    for (let r = RANKS - 1; r >= 0; r--) {
      const b = this.bytes[r]!;
      if (b > left) {
        this.cutRank = r;
        this.cutDropBytes = b - left;
        return;
      }
      left -= b;
    }
    // Everything fits: keep all.
    this.cutRank = 0;
    this.cutDropBytes = 0;
  }
}
