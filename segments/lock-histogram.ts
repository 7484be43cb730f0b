// Durations of the store lock's serial events, for the serial-fraction
// benchmark (benchmarks/shared-store-bench.ts --histogram): waits for the
// lock, exclusive holds, and void optimistic read attempts, each counted in
// a power-of-two bucket of nanoseconds with its summed time, and split at
// LONG_EVENT_NS. On a machine with more runnable threads than cores a thread
// descheduled while it holds or waits turns a sub-microsecond event into
// milliseconds; the split says how much of the serial share such long
// events make. Only a store built with measureLock records (StoreTuning):
// a server never does. Per thread, plain numbers, no shared memory.

/** The longest span nsBetween reports (ns, about 1.07 s): the largest Smi, so no span needs a heap box. */
const MAX_SPAN_NS = 0x3fffffff;

/**
 * Nanoseconds between two performance.now() readings, as a small integer.
 * Not process.hrtime.bigint(): each call allocates a BigInt, and the minor
 * GCs those allocations brought on began inside the very holds and waits
 * they timed, stretching some to hundreds of µs (RESULTS.md, session 15).
 * Readings stay plain doubles in locals and fields; a span is a Smi.
 */
export function nsBetween(fromMs: number, toMs: number): number {
  const ns = Math.round((toMs - fromMs) * 1e6);
  return ns > MAX_SPAN_NS ? MAX_SPAN_NS : ns > 0 ? ns | 0 : 0;
}

/** nsBetween(fromMs, now). */
export function nsSince(fromMs: number): number {
  return nsBetween(fromMs, performance.now());
}

/** Events this long or longer (ns) count as long: several times any hold measured undisturbed. */
export const LONG_EVENT_NS = 8000;
/** Buckets: bucket b holds events of [2^(b-1), 2^b) ns, bucket 0 those under 1 ns; the last one everything above. */
export const HISTOGRAM_BUCKETS = 40;

export type SerialEvent = 'wait' | 'held' | 'lost';
export const SERIAL_EVENTS: readonly SerialEvent[] = ['wait', 'held', 'lost'];

/** One kind of event's figures (plain arrays, so it can be posted between threads and summed). */
export interface EventFigures {
  /** Events per power-of-two bucket (see HISTOGRAM_BUCKETS). */
  counts: number[];
  shortCount: number;
  shortNs: number;
  longCount: number;
  longNs: number;
}

export type HistogramFigures = Record<SerialEvent, EventFigures>;

function emptyFigures(): EventFigures {
  return { counts: new Array<number>(HISTOGRAM_BUCKETS).fill(0), shortCount: 0, shortNs: 0, longCount: 0, longNs: 0 };
}

export class LockHistogram {
  readonly figures: HistogramFigures = { wait: emptyFigures(), held: emptyFigures(), lost: emptyFigures() };

  add(kind: SerialEvent, ns: number): void {
    const f = this.figures[kind];
    const bucket = ns < 1 ? 0 : Math.min(HISTOGRAM_BUCKETS - 1, 32 - Math.clz32(Math.min(ns, 0xffffffff)));
    f.counts[bucket]!++;
    if (ns >= LONG_EVENT_NS) {
      f.longCount++;
      f.longNs += ns;
    } else {
      f.shortCount++;
      f.shortNs += ns;
    }
  }
}

/** The sum of several threads' figures. */
export function sumHistograms(all: readonly HistogramFigures[]): HistogramFigures {
  const out = new LockHistogram().figures;
  for (const h of all) {
    for (const kind of SERIAL_EVENTS) {
      const from = h[kind];
      const to = out[kind];
      for (let b = 0; b < HISTOGRAM_BUCKETS; b++) to.counts[b]! += from.counts[b]!;
      to.shortCount += from.shortCount;
      to.shortNs += from.shortNs;
      to.longCount += from.longCount;
      to.longNs += from.longNs;
    }
  }
  return out;
}

/** The bucket below which `q` (0..1) of the events of `f` lie, as its upper bound in ns. */
export function quantileNs(f: EventFigures, q: number): number {
  const total = f.shortCount + f.longCount;
  let seen = 0;
  for (let b = 0; b < HISTOGRAM_BUCKETS; b++) {
    seen += f.counts[b]!;
    if (seen >= q * total && seen > 0) return 2 ** b;
  }
  return Infinity;
}
