// Segcache's per-item read frequency, kept in 7 bits of each hash slot's
// meta word: a read counts at most once per second per item (a per-bucket
// 16-bit second clears the bucket chain's "counted" bits when it changes),
// +1 up to 16, then +1 with probability 1/counter, capped at 127. Pure slot
// arithmetic over a table's views; finding the slot is hash-index.ts's job,
// using the counts (merge eviction's ranking) is merge-eviction.ts's.
// countRead is for holders of the store lock (shared: racing readers lose
// at most a count); countReadSeen for optimistic readers, who may race a
// writer and so change a word only by compareExchange.

import { COUNTED, FREQ_MASK, FREQ_SHIFT, NO_BUCKET, RNG, WORDS_PER_BUCKET } from './index-layout.js';
import type { SlotTable } from './slot-table.js';

const FREQ_MAX = 127;
const FREQ_EXACT = 16;

/** The frequency field of a meta word. */
export function frequencyOf(meta: number): number {
  return (meta >>> FREQ_SHIFT) & FREQ_MASK;
}

/** `meta` with its frequency set to `freq` (0..127) and "counted" cleared. */
export function withFrequency(meta: number, freq: number): number {
  return ((meta & 0xffff0000) | ((freq & FREQ_MASK) << FREQ_SHIFT)) >>> 0;
}

/** xorshift32 in [0, 1) over the index's shared RNG word: the 1/counter coin. */
export function coin(control: Int32Array): number {
  let x = control[RNG]!;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  control[RNG] = x;
  return (x >>> 0) / 0x100000000;
}

/** Count a read of meta word `slot` in the chain of primary bucket `bucket` of `t`, at second `nowS`. */
export function countRead(t: SlotTable, bucket: number, slot: number, nowS: number, control: Int32Array): void {
  const words = t.words;
  const second = nowS & 0xffff;
  if (t.second[bucket] !== second) {
    t.second[bucket] = second;
    let b = bucket;
    do {
      const base = b * WORDS_PER_BUCKET;
      for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) words[i] = words[i]! & ~COUNTED;
      b = t.next[b]!;
    } while (b !== NO_BUCKET);
  }
  const meta = words[slot]!;
  if (meta & COUNTED) return;
  let freq = frequencyOf(meta);
  if (freq < FREQ_MAX && (freq < FREQ_EXACT || coin(control) * freq < 1)) freq++;
  words[slot] = ((meta & 0xffff00ff) | COUNTED | (freq << FREQ_SHIFT)) >>> 0;
}

/** Everything in a meta word but the frequency and counted bits: tag and location high bits. */
const IDENTITY = ~(COUNTED | (FREQ_MASK << FREQ_SHIFT));

/**
 * countRead for an optimistic reader whose read validated but which holds
 * no lock, so a writer may be rewriting these words now: every change is a
 * compareExchange from the value just loaded that only clears "counted" or
 * sets counted and frequency, so a writer's word is never overwritten and
 * tag and location bits never change; the slot is counted only if it still
 * holds `seen`'s tag and location bits. The chain walk is bounded (links
 * may be mid-rewrite).
 */
export function countReadSeen(t: SlotTable, bucket: number, slot: number, nowS: number, control: Int32Array, seen: number): void {
  const words = t.words;
  const second = nowS & 0xffff;
  if (t.second[bucket] !== second) {
    t.second[bucket] = second;
    const next = t.next;
    let b = bucket;
    for (let hops = next.length; hops >= 0 && b >= 0 && b < next.length; hops--) {
      const base = b * WORDS_PER_BUCKET;
      for (let i = base; i < base + WORDS_PER_BUCKET; i += 2) {
        const w = words[i]!;
        if (w & COUNTED) Atomics.compareExchange(words, i, w, (w & ~COUNTED) >>> 0);
      }
      b = next[b]!;
      if (b === NO_BUCKET) break;
    }
  }
  const meta = words[slot]!;
  if ((meta & IDENTITY) !== (seen & IDENTITY) || meta & COUNTED) return;
  let freq = frequencyOf(meta);
  if (freq < FREQ_MAX && (freq < FREQ_EXACT || coin(control) * freq < 1)) freq++;
  Atomics.compareExchange(words, slot, meta, ((meta & 0xffff00ff) | COUNTED | (freq << FREQ_SHIFT)) >>> 0);
}
