// SplitMix64 (Steele, Lea, Flood 2014): the seeded generator behind every
// benchmark stream, so both servers see identical requests run after run.
//
// The 64-bit state is kept as two unsigned 32-bit halves and multiplied with
// 16-bit partial products: BigInt arithmetic would be ~50x slower, and the
// hit-ratio replay draws several numbers per request.

const GOLDEN_HI = 0x9e3779b9;
const GOLDEN_LO = 0x7f4a7c15;
const MUL1_HI = 0xbf58476d;
const MUL1_LO = 0x1ce4e5b9;
const MUL2_HI = 0x94d049bb;
const MUL2_LO = 0x133111eb;

/** Result halves of the last 64-bit operation (module scratch, avoids allocation). */
let outHi = 0;
let outLo = 0;

/** (aHi:aLo) * (bHi:bLo) mod 2^64 into outHi/outLo. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  // High 32 bits of the full aLo*bLo product, from exact 16-bit partials.
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carryHi = p11 + Math.floor(p01 / 65536) + Math.floor(p10 / 65536) + Math.floor(mid / 65536);
  outLo = Math.imul(aLo, bLo) >>> 0;
  outHi = (carryHi + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

/** Mix one 64-bit value with the SplitMix64 finalizer into outHi/outLo. */
function finalize(hi: number, lo: number): void {
  // z ^= z >>> 30; z *= MUL1
  let l = (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0;
  let h = (hi ^ (hi >>> 30)) >>> 0;
  mul64(h, l, MUL1_HI, MUL1_LO);
  // z ^= z >>> 27; z *= MUL2
  l = (outLo ^ ((outLo >>> 27) | (outHi << 5))) >>> 0;
  h = (outHi ^ (outHi >>> 27)) >>> 0;
  mul64(h, l, MUL2_HI, MUL2_LO);
  // z ^= z >>> 31
  outLo = (outLo ^ ((outLo >>> 31) | (outHi << 1))) >>> 0;
  outHi = (outHi ^ (outHi >>> 31)) >>> 0;
}

export class SplitMix64 {
  private hi: number;
  private lo: number;

  /** `seed` is a non-negative integer up to 2^53; equal seeds give equal streams. */
  constructor(seed: number) {
    this.hi = 0;
    this.lo = 0;
    this.reseed(seed);
  }

  reseed(seed: number): void {
    this.hi = Math.floor(seed / 0x100000000) >>> 0;
    this.lo = seed >>> 0;
  }

  /** Next 64-bit output as [hi, lo] unsigned halves (allocates; for tests and rare use). */
  nextPair(): [number, number] {
    this.step();
    return [outHi, outLo];
  }

  /** Next output's high 32 bits as an unsigned integer. */
  nextU32(): number {
    this.step();
    return outHi;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    this.step();
    return ((outHi >>> 5) * 67108864 + (outLo >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n) for n up to 2^32. */
  nextBelow(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  private step(): void {
    const lo = this.lo + GOLDEN_LO;
    this.lo = lo >>> 0;
    this.hi = (this.hi + GOLDEN_HI + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    finalize(this.hi, this.lo);
  }
}

/**
 * A stable 32-bit hash of (seed, id): the same pair always gives the same
 * number. Per-key attributes (size, TTL) come from it, so nothing per key
 * has to be stored.
 */
export function hash32(seed: number, id: number): number {
  const hi = (Math.floor(seed / 0x100000000) ^ Math.floor(id / 0x100000000)) >>> 0;
  const lo = (seed ^ id) >>> 0;
  // Offset by the golden ratio first so (0, 0) does not hash to 0.
  const l = lo + GOLDEN_LO;
  finalize((hi + GOLDEN_HI + (l > 0xffffffff ? 1 : 0)) >>> 0, l >>> 0);
  return outHi;
}

/** hash32 mapped to a double in [0, 1). */
export function hashUnit(seed: number, id: number): number {
  return hash32(seed, id) / 4294967296;
}
