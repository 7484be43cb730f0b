// Unsigned 64-bit decimal values for incr/decr, read the way memcached 1.6.18
// reads them (strtoull plus its safe_strtoull checks) so the same values are
// accepted and rejected: leading whitespace, an optional '+', trailing
// whitespace or anything after a whitespace; '-12' and values >= 2^64 are
// rejected. Results are stored as their exact decimal digits, no padding.

export const U64_MASK = (1n << 64n) - 1n;
const U63 = 1n << 63n;
/** Returned by parseU64 for a value that is not an unsigned 64-bit decimal. */
export const NOT_A_NUMBER = -1n;

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Parse bytes [start, end) as memcached does; NOT_A_NUMBER when it would refuse. */
export function parseU64(bytes: Uint8Array, start: number, end: number): bigint {
  // memcached refuses zero-length values before parsing.
  if (end <= start) return NOT_A_NUMBER;
  let i = start;
  while (i < end && isSpace(bytes[i]!)) i++;
  let negative = false;
  if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) {
    negative = bytes[i] === 0x2d;
    i++;
  }
  const digitsStart = i;
  // Accumulate in a Number while exact (15 digits), then in a BigInt.
  let small = 0;
  while (i < end && i - digitsStart < 15 && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) {
    small = small * 10 + (bytes[i]! - 0x30);
    i++;
  }
  let value = BigInt(small);
  while (i < end && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) {
    value = value * 10n + BigInt(bytes[i]! - 0x30);
    i++;
  }
  if (i === digitsStart) {
    // No digits: strtoull leaves its end pointer at the start of the value,
    // which memcached accepts (as 0) only when that byte is whitespace.
    return isSpace(bytes[start]!) ? 0n : NOT_A_NUMBER;
  }
  // The terminating byte must be whitespace or the end of the value (the
  // CRLF that follows data in memcached's item).
  if (i < end && !isSpace(bytes[i]!)) return NOT_A_NUMBER;
  if (value > U64_MASK) return NOT_A_NUMBER;
  if (negative) {
    value = (U64_MASK + 1n - value) & U64_MASK;
    if (value >= U63) return NOT_A_NUMBER;
  }
  return value;
}

/** incr wraps modulo 2^64; decr stops at 0. `delta` is taken modulo 2^64. */
export function applyDelta(value: bigint, incr: boolean, delta: bigint): bigint {
  const d = delta & U64_MASK;
  if (incr) return (value + d) & U64_MASK;
  return value > d ? value - d : 0n;
}

/** Decimal digits of a u64 as latin1 text (at most 20 bytes). */
export function formatU64(value: bigint): string {
  return (value & U64_MASK).toString(10);
}
