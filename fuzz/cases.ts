// Fuzz cases: one byte stream per (seed, case number), reproducible. A case
// is a pipeline of valid requests, usually mutated; some are pure random
// bytes or a splice of the two protocol families.

import { Rng } from './rng.js';
import { validStream } from './corpus.js';
import type { CorpusOptions, Protocol } from './corpus.js';
import { mutate } from './mutate.js';

export interface FuzzCase {
  /** Case number within the seed's sequence (for replay). */
  index: number;
  /** Family the case was built from ('meta' cases are text connections too). */
  protocol: Protocol;
  /** How it was made: 'valid', 'mutated', 'random' or 'mixed'. */
  origin: 'valid' | 'mutated' | 'random' | 'mixed';
  bytes: Buffer;
}

/** A generator for case `index` of `seed`, independent of every other case. */
export function caseRng(seed: number, index: number): Rng {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  return new Rng(h >>> 0);
}

export function generateCase(seed: number, index: number, opts: CorpusOptions): FuzzCase {
  const rng = caseRng(seed, index);
  const protocol: Protocol = rng.pick(['text', 'meta', 'binary', 'binary']);
  const r = rng.next();
  if (r < 0.15) return { index, protocol, origin: 'valid', bytes: validStream(rng, protocol, opts) };
  if (r < 0.85) {
    const base = validStream(rng, protocol, opts);
    const other = validStream(rng, protocol, opts, 3);
    return { index, protocol, origin: 'mutated', bytes: mutate(rng, base, other, 5) };
  }
  if (r < 0.93) {
    const lead = protocol === 'binary' ? Buffer.from([0x80]) : Buffer.alloc(0);
    return { index, protocol, origin: 'random', bytes: Buffer.concat([lead, rng.bytes(rng.size(2048))]) };
  }
  const otherFamily: Protocol = protocol === 'binary' ? 'text' : 'binary';
  const mixed = Buffer.concat([validStream(rng, protocol, opts, 3), validStream(rng, otherFamily, opts, 3)]);
  return { index, protocol, origin: 'mixed', bytes: rng.chance(0.5) ? mutate(rng, mixed, mixed, 2) : mixed };
}
