// Sizes a profile's run so that the keys it requests add up to a working
// set of about `targetMultiple` x the memory limit (both caches must
// evict): a key space from the profile's mean item size, then the number of
// requests at which the seeded stream, run dry without a server, reaches
// the target.

import { KeyAttributes, type TtlPolicy } from './key-attributes.js';
import type { ClusterProfile } from './profiles.js';
import { RequestStream } from './request-stream.js';
import { ZipfSampler } from './zipf.js';

export interface RunSize {
  keySpace: number;
  requests: number;
  distinctKeys: number;
  /** Key + value bytes of the distinct keys requested in `requests`. */
  workingSetBytes: number;
}

export interface CalibrateOptions {
  memoryBytes: number;
  /** Working set / memory wanted (the issue asks for 2-4x). */
  targetMultiple: number;
  minRequests: number;
  maxRequests: number;
  seed: number;
  ttl: TtlPolicy;
}

/** Key ids for the Zipf part: enough for 8x the memory in items of the profile's mean size. */
export function defaultKeySpace(profile: ClusterProfile, memoryBytes: number): number {
  const n = Math.round((8 * memoryBytes) / (profile.keySize + profile.valueSize));
  return Math.min(4_000_000, Math.max(50_000, n));
}

/**
 * Requests needed to reach the target working set, at least minRequests;
 * maxRequests (with the working set reached there) when the stream cannot
 * get there sooner.
 */
export function calibrateRun(profile: ClusterProfile, options: CalibrateOptions, keySpace = defaultKeySpace(profile, options.memoryBytes)): RunSize {
  const attrs = new KeyAttributes(profile, options.seed, options.ttl);
  const stream = new RequestStream(profile, new ZipfSampler(keySpace, profile.zipfAlpha), options.seed);
  const target = options.targetMultiple * options.memoryBytes;
  const seen = new Uint8Array(keySpace);
  let distinctKeys = 0;
  let bytes = 0;
  let requests = 0;
  while (requests < options.maxRequests && (requests < options.minRequests || bytes < target)) {
    const { keyId, fresh } = stream.next();
    requests++;
    if (!fresh) {
      if (seen[keyId] === 1) continue;
      seen[keyId] = 1;
    }
    distinctKeys++;
    bytes += attrs.key(keyId).length + attrs.valueSize(keyId);
  }
  return { keySpace, requests, distinctKeys, workingSetBytes: bytes };
}
