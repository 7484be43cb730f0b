// Fixed-width benchmark keys (`key:000…0123`, zero-padded to the requested
// size) and deterministic values, precomputed once so building a request is
// a memory copy.

/** Key `index` padded to exactly `size` bytes: `key:` then zero-padded decimal. */
export function formatKey(index: number, size: number): string {
  const digits = String(index);
  if (size < 4 + digits.length) throw new Error(`key size ${size} too small for index ${index}`);
  return 'key:' + digits.padStart(size - 4, '0');
}

/** All keys 0..count-1 back to back in one buffer; key i is at i * size. */
export function keyTable(count: number, size: number): Buffer {
  const table = Buffer.allocUnsafe(count * size);
  for (let i = 0; i < count; i++) table.write(formatKey(i, size), i * size, 'latin1');
  return table;
}

/** A printable value of `size` bytes (contents do not matter for throughput). */
export function fillerValue(size: number): Buffer {
  const v = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) v[i] = 97 + (i % 26);
  return v;
}
