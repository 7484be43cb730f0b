// The sizing advisor's model (miniature simulation, Waldspurger et al.,
// ATC'17): a key sampler and one miniature copy of the store per candidate
// memory size. Every request for a sampled key runs through every copy;
// each copy's hits / gets is the hit ratio a store of its size would have
// had on the whole stream.
//
// Look-aside, as a client does it: a get that misses is followed by the
// client's set of the value it fetched elsewhere. `get(..., fill)` says what
// the caller knows: fill >= 0 is the value length (offline traces, or a
// live get the real store hit), written into a copy that missed, as the
// client would have; fill = -1 means the real store missed too, and the
// client's own set follows and fills every copy. When the real store
// missed but a copy hit, that client's set would not have happened in the
// copy's world: a small per-copy table remembers the key and the copy
// skips that one set (so a bigger copy is not refreshed by writes that only
// the smaller real store caused).
//
// Hit ratios are SHARDS-adjusted (Waldspurger et al., FAST'15, §4.3): with
// skewed popularity the sample can miss or catch a few very hot keys, and
// its share of gets then differs from rate x all gets. The difference is
// counted as hits at every size (hot keys hit at any size): hit ratio =
// (hits + d) / (rate x gets), d = rate x gets - sampled gets. Measured in
// benchmarks/advisor-accuracy.ts: without it, cluster52 at rate 1/100 read
// 45% against 73% measured.
//
// Anchoring (live only): the sample's level can sit a point or so off the
// whole stream's at every size alike (which keys the sample caught), while
// its shape holds. A live server measures the real hit ratio at its own
// size, so curve(allGets, anchor) shifts every point by (measured - the
// copy of that size). Offline there is nothing to anchor to.
//
// Memory: the copies' stores (MiniatureCopy.memoryBytes), about rate x the
// sum of the candidate sizes / the record scale (4 below rate 1), plus a
// hash index per copy.
//
// Not here: where requests come from (the live hook, the trace reader) or
// how the curve is printed.

import { KeySampler } from './key-sampler.js';
import { MiniatureCopy } from './miniature-copy.js';
import type { Clock, EvictionPolicy } from '../types.js';
import { MERGE_SEGMENTS } from '../merge-eviction.js';

/** Fewer items than this in a copy make its point noise (flagged, not hidden). */
export const MIN_ITEMS_PER_COPY = 2000;
/** Entries of the per-copy "real store missed, copy hit" table (direct mapped by hash). */
const SKIP_SLOTS = 1024;

export interface AdvisorOptions {
  /** Candidate memory sizes in bytes (full size). */
  sizes: number[];
  /** The full-size store's segment size in bytes. */
  segmentSize: number;
  /** Share of keys sampled, (0, 1]. */
  rate: number;
  /** Sampler seed. */
  seed?: number;
  evictionPolicy?: EvictionPolicy;
  mergeSegments?: number;
  clock: Clock;
  /** Copy records take 1/recordScale of the real bytes (miniature-copy.ts); default recordScaleFor(rate, segmentSize). */
  recordScale?: number;
}

export interface CurvePoint {
  /** Full-size memory this point stands for. */
  memoryBytes: number;
  gets: number;
  hits: number;
  /** Sampled hits / gets, SHARDS-adjusted (see above); NaN before any sampled get. */
  hitRatio: number;
  /** Items the copy holds now. */
  items: number;
  /** Bytes the copy itself takes. */
  copyBytes: number;
  /** Sampled writes too large for a scaled segment. */
  oversize: number;
  /** Fewer than MIN_ITEMS_PER_COPY items: the point is noise. */
  lowSample: boolean;
}

/** Candidate sizes from 1/4x to 4x of `base` in half-octave steps (9 points, `base` among them). */
export function sizesAround(base: number, halfOctaves = 4): number[] {
  const out: number[] = [];
  for (let k = -halfOctaves; k <= halfOctaves; k++) out.push(Math.round(base * 2 ** (k / 2)));
  return out;
}

export class SizingAdvisor {
  readonly sampler: KeySampler;
  readonly copies: MiniatureCopy[];
  /** Requests offered and how many were for sampled keys. */
  requests = 0;
  sampledRequests = 0;
  /**
   * Gets of every key, sampled or not, for the adjustment. Offline callers
   * count with countGet(); the live server sets it from the store's counters.
   */
  allGets = 0;
  private readonly skip: Uint32Array[];

  constructor(readonly options: AdvisorOptions) {
    this.sampler = new KeySampler(options.rate, options.seed ?? 0x9e3779b9);
    const sizes = [...new Set(options.sizes)].sort((a, b) => a - b);
    this.copies = sizes.map(
      (memoryBytes) =>
        new MiniatureCopy({
          memoryBytes,
          segmentSize: options.segmentSize,
          rate: options.rate,
          evictionPolicy: options.evictionPolicy ?? 'merge',
          mergeSegments: options.mergeSegments ?? MERGE_SEGMENTS,
          clock: options.clock,
          ...(options.recordScale !== undefined ? { recordScale: options.recordScale } : {}),
        }),
    );
    this.skip = this.copies.map(() => new Uint32Array(SKIP_SLOTS));
  }

  /** Is this key hash in the sample? Counts the request. */
  offer(hash: number): boolean {
    this.requests++;
    if (!this.sampler.sampled(hash)) return false;
    this.sampledRequests++;
    return true;
  }

  /** Count a get of any key (sampled or not). */
  countGet(): void {
    this.allGets++;
  }

  /**
   * A sampled get. `fill`: value length to write into a copy that misses
   * (the real store hit, or a trace), or -1 when the real store missed (the
   * client's set follows). `exptime` for the fill, memcached semantics.
   */
  get(hash: number, keyLength: number, fill: number, exptime: number): void {
    const slot = hash & (SKIP_SLOTS - 1);
    const key = hash === 0 ? 1 : hash;
    for (let i = 0; i < this.copies.length; i++) {
      const copy = this.copies[i]!;
      const hit = copy.get(hash);
      if (hit) {
        if (fill < 0) this.skip[i]![slot] = key;
      } else if (fill >= 0) {
        copy.set(hash, keyLength, fill, exptime);
      }
    }
  }

  /** A sampled write (set, add, cas, ...), skipped by copies that hit the get this set answers. */
  set(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    const slot = hash & (SKIP_SLOTS - 1);
    const key = hash === 0 ? 1 : hash;
    for (let i = 0; i < this.copies.length; i++) {
      const skip = this.skip[i]!;
      if (skip[slot] === key) {
        skip[slot] = 0;
        continue;
      }
      this.copies[i]!.set(hash, keyLength, valueLength, exptime);
    }
  }

  /** A sampled delete. */
  delete(hash: number): void {
    const slot = hash & (SKIP_SLOTS - 1);
    for (let i = 0; i < this.copies.length; i++) {
      this.skip[i]![slot] = 0;
      this.copies[i]!.delete(hash);
    }
  }

  /** A sampled touch of an item the real store holds: copies holding it take the new exptime. */
  touch(hash: number, exptime: number): void {
    for (let i = 0; i < this.copies.length; i++) this.copies[i]!.touch(hash, exptime);
  }

  /**
   * A sampled incr/decr the real store applied to an item it held: copies
   * holding the key rewrite it when the new value is longer (the real store
   * rewrites a number in place when it is not); the others missed it.
   */
  arith(hash: number, keyLength: number, valueLength: number, exptime: number): void {
    for (let i = 0; i < this.copies.length; i++) this.copies[i]!.arith(hash, keyLength, valueLength, exptime);
  }

  /** The copies' once-a-second expiry tick. */
  expireNow(): void {
    for (const copy of this.copies) copy.expireNow();
  }

  /**
   * The curve, smallest size first. `allGets` (default: the count from
   * countGet) is the gets of all keys for the SHARDS adjustment; 0 turns
   * the adjustment off (plain sampled hits / sampled gets).
   */
  curve(allGets = this.allGets, anchor?: { memoryBytes: number; hitRatio: number }): CurvePoint[] {
    const points = this.rawCurve(allGets);
    const offset = anchorOffset(points, anchor);
    if (offset === 0) return points;
    for (const p of points) p.hitRatio = Math.min(1, Math.max(0, p.hitRatio + offset));
    return points;
  }

  private rawCurve(allGets: number): CurvePoint[] {
    const rate = this.options.rate;
    return this.copies.map((c) => {
      const items = c.items();
      const expected = rate * allGets;
      const adjusted = allGets > 0 && expected > 0 && c.gets > 0;
      const ratio = adjusted ? (c.hits + expected - c.gets) / expected : c.gets > 0 ? c.hits / c.gets : NaN;
      return {
        memoryBytes: c.shape.memoryBytes,
        gets: c.gets,
        hits: c.hits,
        hitRatio: Math.min(1, Math.max(0, ratio)),
        items,
        copyBytes: c.memoryBytes(),
        oversize: c.oversize,
        lowSample: items < MIN_ITEMS_PER_COPY,
      };
    });
  }

  /** Bytes all copies take. */
  memoryBytes(): number {
    let total = 0;
    for (const c of this.copies) total += c.memoryBytes();
    return total;
  }

  /** Forget every copy's contents and counts. */
  reset(): void {
    for (const c of this.copies) c.reset();
    for (const s of this.skip) s.fill(0);
    this.requests = 0;
    this.sampledRequests = 0;
    this.allGets = 0;
  }

  /** Copy segment size (for reporting). */
  copySegmentSize(): number {
    return this.copies[0]!.segmentSize;
  }
}

/** measured - predicted at the anchor's size; 0 without an anchor, a copy of that size or a ratio on either side. */
export function anchorOffset(points: CurvePoint[], anchor: { memoryBytes: number; hitRatio: number } | undefined): number {
  if (anchor === undefined || Number.isNaN(anchor.hitRatio)) return 0;
  const at = points.find((p) => p.memoryBytes === anchor.memoryBytes);
  if (at === undefined || Number.isNaN(at.hitRatio)) return 0;
  return anchor.hitRatio - at.hitRatio;
}

/**
 * The recommendation: the smallest size whose hit ratio is within `slack`
 * (default 0.01) of the best on the curve, and the gain of each doubling.
 */
export function recommend(curve: CurvePoint[], slack = 0.01): { size: CurvePoint | undefined; best: number; doublings: { from: number; to: number; gain: number }[] } {
  const valid = curve.filter((p) => !Number.isNaN(p.hitRatio));
  const best = valid.reduce((m, p) => Math.max(m, p.hitRatio), -Infinity);
  const size = valid.find((p) => p.hitRatio >= best - slack);
  const doublings: { from: number; to: number; gain: number }[] = [];
  for (const p of valid) {
    const q = valid.find((x) => Math.abs(x.memoryBytes / p.memoryBytes - 2) < 0.01);
    if (q !== undefined) doublings.push({ from: p.memoryBytes, to: q.memoryBytes, gain: q.hitRatio - p.hitRatio });
  }
  return { size, best, doublings };
}
