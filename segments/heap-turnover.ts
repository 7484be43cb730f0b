// How long the heap takes to turn over under eviction: the seconds merges
// take to free as many segments as the heap has, measured over windows of
// at least WINDOW_SECONDS and smoothed. Merge eviction ages read counters by
// it (an item unread for several turnovers is no longer popular); the time
// scale then follows the load instead of a fixed number of seconds.

/** Shortest window a rate is measured over (the store's clock ticks in seconds). */
const WINDOW_SECONDS = 10;
/** Weight of the newest window in the smoothed rate. */
const NEWEST_WEIGHT = 0.5;

/** Float64 cells of the shared state. */
const WINDOW_START = 0;
const FREED_IN_WINDOW = 1;
/** Smoothed seconds per freed segment; 0 until a first window closes. */
const SECONDS_PER_SEGMENT = 2;

/** Shared state for a new HeapTurnover (every thread's evictor measures the same heap). */
export function newTurnoverMemory(): SharedArrayBuffer {
  const memory = new SharedArrayBuffer(3 * 8);
  new Float64Array(memory)[WINDOW_START] = -1;
  return memory;
}

/** Callers serialize (the store lock). */
export class HeapTurnover {
  private readonly cells: Float64Array;

  constructor(memory: SharedArrayBuffer = newTurnoverMemory()) {
    this.cells = new Float64Array(memory);
  }

  /** Record `freed` segments freed at second `nowS`. */
  freed(nowS: number, freed: number): void {
    const c = this.cells;
    if (c[WINDOW_START]! < 0) c[WINDOW_START] = nowS;
    const inWindow = c[FREED_IN_WINDOW]! + freed;
    c[FREED_IN_WINDOW] = inWindow;
    const elapsed = nowS - c[WINDOW_START]!;
    if (elapsed < WINDOW_SECONDS || inWindow === 0) return;
    const rate = elapsed / inWindow;
    const before = c[SECONDS_PER_SEGMENT]!;
    c[SECONDS_PER_SEGMENT] = before === 0 ? rate : before + NEWEST_WEIGHT * (rate - before);
    c[WINDOW_START] = nowS;
    c[FREED_IN_WINDOW] = 0;
  }

  /** Seconds for a heap of `segmentCount` segments to turn over; Infinity until measured. */
  seconds(segmentCount: number): number {
    const perSegment = this.cells[SECONDS_PER_SEGMENT]!;
    return perSegment === 0 ? Infinity : perSegment * segmentCount;
  }
}
