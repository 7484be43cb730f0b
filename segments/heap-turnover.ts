// How long the heap takes to turn over under eviction: the seconds merges
// take to free as many segments as the heap has, measured over windows of
// at least WINDOW_SECONDS and smoothed. Merge eviction ages read counters by
// it (an item unread for several turnovers is no longer popular); the time
// scale then follows the load instead of a fixed number of seconds.

/** Shortest window a rate is measured over (the store's clock ticks in seconds). */
const WINDOW_SECONDS = 10;
/** Weight of the newest window in the smoothed rate. */
const NEWEST_WEIGHT = 0.5;

export class HeapTurnover {
  private windowStart = -1;
  private freedInWindow = 0;
  /** Smoothed seconds per freed segment; 0 until a first window closes. */
  private secondsPerSegment = 0;

  /** Record `freed` segments freed at second `nowS`. */
  freed(nowS: number, freed: number): void {
    if (this.windowStart < 0) this.windowStart = nowS;
    this.freedInWindow += freed;
    const elapsed = nowS - this.windowStart;
    if (elapsed < WINDOW_SECONDS || this.freedInWindow === 0) return;
    const rate = elapsed / this.freedInWindow;
    this.secondsPerSegment = this.secondsPerSegment === 0 ? rate : this.secondsPerSegment + NEWEST_WEIGHT * (rate - this.secondsPerSegment);
    this.windowStart = nowS;
    this.freedInWindow = 0;
  }

  /** Seconds for a heap of `segmentCount` segments to turn over; Infinity until measured. */
  seconds(segmentCount: number): number {
    return this.secondsPerSegment === 0 ? Infinity : this.secondsPerSegment * segmentCount;
  }
}
