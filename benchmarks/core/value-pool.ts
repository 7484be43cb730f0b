// Deterministic, checkable values without storing them: every value is a
// slice of one seeded pool of printable random bytes, at an offset hashed
// from (id, version). The writer and the checker compute the same slice, so
// a hit can be compared byte for byte; a value of another key or version
// lands at another offset and differs (two offsets collide with a
// probability of about one in two million).

import { SplitMix64, hash32 } from './splitmix64.js';

export const POOL_BYTES = 2 * 1024 * 1024;
/** Largest value the pool serves; values are capped below it. */
export const MAX_POOLED_VALUE = 512 * 1024;

export class ValuePool {
  private readonly pool: Buffer;

  constructor(readonly seed: number) {
    this.pool = Buffer.allocUnsafe(POOL_BYTES);
    const rng = new SplitMix64(seed);
    for (let i = 0; i < POOL_BYTES; i += 4) {
      const r = rng.nextU32();
      // 94 printable characters, '!' to '~'.
      this.pool[i] = 33 + (r % 94);
      this.pool[i + 1] = 33 + ((r >>> 8) % 94);
      this.pool[i + 2] = 33 + ((r >>> 16) % 94);
      this.pool[i + 3] = 33 + ((r >>> 24) % 94);
    }
  }

  private offset(id: number, version: number, size: number): number {
    if (size > MAX_POOLED_VALUE) throw new Error(`value of ${size} bytes exceeds the pool limit`);
    return hash32(this.seed ^ version, id) % (POOL_BYTES - size + 1);
  }

  /** The value of `id` at `version`, `size` bytes (a view; do not modify). */
  value(id: number, version: number, size: number): Buffer {
    const off = this.offset(id, version, size);
    return this.pool.subarray(off, off + size);
  }

  /** Whether `data` is exactly the value of `id` at `version`. */
  matches(data: Buffer, id: number, version: number, size: number): boolean {
    if (data.length !== size) return false;
    const off = this.offset(id, version, size);
    return this.pool.compare(data, 0, size, off, off + size) === 0;
  }
}
