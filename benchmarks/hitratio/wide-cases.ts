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

import { calibrateRun, type RunSize } from './calibrate.js';
import type { TtlPolicy } from './key-attributes.js';
import type { ClusterProfile } from './profiles.js';

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
