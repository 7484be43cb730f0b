// Key hashing for the hash index: a 32-bit murmur3-style mix over the key
// bytes, keyed by a per-process random seed so clients cannot craft keys that
// all land in one bucket. The low bits pick the bucket; the slot keeps a
// 16-bit tag mixed from the whole hash so most false candidates are rejected
// without touching the segment heap.
//
// Pure functions over byte ranges: no allocation, usable from any thread.

import { randomBytes } from 'node:crypto';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Hash bytes [start, end) of `bytes` with `seed`; returns an unsigned 32-bit number. */
export function hashBytes(bytes: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed | 0;
  const length = end - start;
  const blockEnd = start + (length & ~3);
  let i = start;
  for (; i < blockEnd; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest !== 0) {
    let tail = bytes[i]!;
    if (rest > 1) tail |= bytes[i + 1]! << 8;
    if (rest > 2) tail |= bytes[i + 2]! << 16;
    tail = Math.imul(tail, C1);
    tail = (tail << 15) | (tail >>> 17);
    h ^= Math.imul(tail, C2);
  }
  return finalMix(h ^ length) >>> 0;
}

/** Avalanche all 32 bits (murmur3's finaliser constants); a bijection on 32-bit values. */
export function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * The 16-bit slot tag of a hash. Mixed again so that keys sharing the low
 * (bucket) bits still differ in their tags.
 */
export function tagOf(hash: number): number {
  return finalMix(hash ^ 0x9e3779b9) >>> 16;
}

/** A random 32-bit seed from the OS CSPRNG (Math.random's state can be inferred). */
export function randomSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}
