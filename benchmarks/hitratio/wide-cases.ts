// The cases of the widened hit-ratio evaluation (issue 17): every profile at
// two memory limits, the working set about 2x and about 8x -m. A request
// budget keeps a live replay to seconds: -m is the working set the budget
// touches / multiple, in whole MB within MIN..MAX_MEMORY_MB (8 segments of
// our store and 8 slab pages of memcached at the least; 64 MB at most, so
// big-item profiles stay small), then the stream stops as soon as its
// working set reaches multiple x -m (at least MIN_REQUESTS). The Zipf key
// space is 2 x multiple x -m in items of the profile's mean size, so the
// stream has a tail to reach. Profiles so skewed that the budget cannot
// touch 1.5x MIN_MEMORY_MB never evict: they are listed, not replayed.
//
// Scale (issue 17, session 5): at -m 8-13 memcached does not keep its -m
// (one 1 MiB slab page per class in use, 2.6-3.8x -m), while production
// caches run at hundreds of MiB. scaleCase() multiplies a case's -m and Zipf
// key space by a whole factor and runs the stream until the working set
// reaches the same multiple of the new -m, so WSS/-m is kept; scaleFactor()
// gives either one factor for every case (--scale) or the least factor
// that lifts a case's -m to a floor (--floor-mb). sizedWideCases() keeps the
// sizing in a file between runs (sizing replays every stream dry).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { calibrateRun, type RunSize } from './calibrate.js';
import type { TtlPolicy } from './key-attributes.js';
import { profileByName, type ClusterProfile } from './profiles.js';

export const MIN_MEMORY_MB = 8;
export const MAX_MEMORY_MB = 64;
export const MIN_REQUESTS = 60_000;
/** Below this working set / MIN_MEMORY_MB a profile cannot be made to evict within the budget. */
export const LEAST_MULTIPLE = 1.5;
export const WIDE_MULTIPLES = [2, 8] as const;
const MIB = 1048576;
const MAX_KEY_SPACE = 4_000_000;
const MIN_KEY_SPACE = 20_000;

export interface WideCase {
  profile: ClusterProfile;
  /** The multiple asked for (2 or 8). */
  target: number;
  memoryMb: number;
  /** Working set / -m reached (below target when MIN_MEMORY_MB binds). */
  multiple: number;
  size: RunSize;
  /** Factor -m and the key space were multiplied by (1: the case as sized within the budget). */
  scale?: number;
}

/** Case id as printed and stored: "cluster52@2x". */
export function caseId(profile: string, target: number): string {
  return `${profile}@${target}x`;
}

function keySpaceFor(profile: ClusterProfile, memoryMb: number, target: number): number {
  const n = Math.round((2 * target * memoryMb * MIB) / (profile.keySize + profile.valueSize));
  return Math.min(MAX_KEY_SPACE, Math.max(MIN_KEY_SPACE, n));
}

/**
 * Size one case within `budget` requests; undefined when the profile's
 * working set within the budget stays under LEAST_MULTIPLE x MIN_MEMORY_MB.
 */
export function wideCase(profile: ClusterProfile, target: number, budget: number, seed: number, ttl: TtlPolicy): WideCase | undefined {
  let memoryMb = MAX_MEMORY_MB;
  let keySpace = 0;
  let size: RunSize | undefined;
  for (let round = 0; round < 5; round++) {
    const nextKeySpace = keySpaceFor(profile, memoryMb, target);
    if (nextKeySpace === keySpace) break;
    keySpace = nextKeySpace;
    size = calibrateRun(profile, { memoryBytes: memoryMb * MIB, targetMultiple: Infinity, minRequests: budget, maxRequests: budget, seed, ttl }, keySpace);
    const next = Math.min(MAX_MEMORY_MB, Math.max(MIN_MEMORY_MB, Math.round(size.workingSetBytes / target / MIB)));
    if (next === memoryMb) break;
    memoryMb = next;
  }
  if (size!.workingSetBytes < LEAST_MULTIPLE * MIN_MEMORY_MB * MIB) return undefined;
  // Stop once the working set reaches the target (the budget may overshoot it when -m is capped).
  size = calibrateRun(profile, { memoryBytes: memoryMb * MIB, targetMultiple: target, minRequests: Math.min(budget, MIN_REQUESTS), maxRequests: budget, seed, ttl }, keySpace);
  return { profile, target, memoryMb, multiple: size.workingSetBytes / (memoryMb * MIB), size };
}

/** Every case of `profiles`, a case dropped when the 8x one came out at the same -m as the 2x one. */
export function wideCases(profiles: readonly ClusterProfile[], budget: number, seed: number, ttl: TtlPolicy): { cases: WideCase[]; tooSkewed: string[] } {
  const cases: WideCase[] = [];
  const tooSkewed: string[] = [];
  for (const profile of profiles) {
    let previous: WideCase | undefined;
    for (const target of WIDE_MULTIPLES) {
      const c = wideCase(profile, target, budget, seed, ttl);
      if (c === undefined) {
        if (!tooSkewed.includes(profile.name)) tooSkewed.push(profile.name);
        break;
      }
      if (previous !== undefined && previous.memoryMb === c.memoryMb && previous.size.requests === c.size.requests) continue;
      cases.push(c);
      previous = c;
    }
  }
  return { cases, tooSkewed };
}

/** How a run scales its cases: one factor for all, then (floorMb > 0) whatever more lifts -m to floorMb. */
export interface CaseScale {
  scale: number;
  floorMb: number;
}

/** The whole factor for a case of `memoryMb` under `how`: scale x the least k with memoryMb x scale x k >= floorMb. */
export function scaleFactor(memoryMb: number, how: CaseScale): number {
  const base = Math.max(1, Math.floor(how.scale));
  return base * Math.max(1, Math.ceil(how.floorMb / (memoryMb * base)));
}

/**
 * The case at `factor` times its -m and key space, the stream run until its
 * working set reaches the multiple the unscaled case reached (WSS/-m kept).
 */
export function scaleCase(c: WideCase, factor: number, seed: number, ttl: TtlPolicy): WideCase {
  if (factor === 1) return { ...c, scale: 1 };
  const memoryMb = c.memoryMb * factor;
  const keySpace = c.size.keySpace * factor;
  const size = calibrateRun(
    c.profile,
    { memoryBytes: memoryMb * MIB, targetMultiple: c.multiple, minRequests: 0, maxRequests: c.size.requests * factor * 4, seed, ttl },
    keySpace,
  );
  return { profile: c.profile, target: c.target, memoryMb, multiple: size.workingSetBytes / (memoryMb * MIB), size, scale: factor };
}

/**
 * wideCases scaled by `how`, kept in `file` (when given) between runs (every
 * case sized; `only`, case ids, picks from them).
 */
export function sizedWideCases(
  profiles: readonly ClusterProfile[],
  budget: number,
  seed: number,
  ttl: TtlPolicy,
  how: CaseScale = { scale: 1, floorMb: 0 },
  file?: string,
  only?: readonly string[],
): { cases: WideCase[]; tooSkewed: string[] } {
  const pick = (all: WideCase[]): WideCase[] => (only === undefined ? all : all.filter((c) => only.includes(caseId(c.profile.name, c.target))));
  const key = `${budget}/${seed}/${profiles.map((p) => p.name).join(',')}/x${how.scale}/floor${how.floorMb}`;
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { key: string; cases: Array<Omit<WideCase, 'profile'> & { profile: string }>; tooSkewed: string[] };
    if (saved.key === key) return { cases: pick(saved.cases.map((c) => ({ ...c, profile: profileByName(c.profile) }))), tooSkewed: saved.tooSkewed };
  }
  const base = wideCases(profiles, budget, seed, ttl);
  // Sizing every case costs the dry runs of the ones not picked; only worth it when a file keeps them.
  const cases = (file ? base.cases : pick(base.cases)).map((c) => scaleCase(c, scaleFactor(c.memoryMb, how), seed, ttl));
  if (file) writeFileSync(file, JSON.stringify({ key, cases: cases.map((c) => ({ ...c, profile: c.profile.name })), tooSkewed: base.tooSkewed }));
  return { cases: pick(cases), tooSkewed: base.tooSkewed };
}
