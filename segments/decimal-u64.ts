// Unsigned 64-bit decimal values for incr/decr, read the way memcached 1.6.18
// reads them (strtoull plus its safe_strtoull checks) so the same values are
// accepted and rejected: leading whitespace, an optional sign, leading zeros,
// then digits ended by whitespace, a NUL or the end of the value; '-12',
// values >= 2^64 and values with no digits are rejected. Results are stored as
// their exact decimal digits, no padding.
//
// The work is bounded: whitespace, sign and leading zeros are skipped in one
// pass, and a 21st significant digit already means "out of range" (strtoull's
// ERANGE), so at most 21 digits are read and at most 20 go into arithmetic.
// Not here: the incr/decr delta argument (protocol/ parses the command line).

export const U64_MASK = (1n << 64n) - 1n;
const U63 = 1n << 63n;
/** Returned by parseU64 for a value that is not an unsigned 64-bit decimal. */
export const NOT_A_NUMBER = -1n;
/** Significant digits of the largest u64, 18446744073709551615. */
const U64_MAX_DIGITS = 20;

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
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
  while (i < end && bytes[i] === 0x30) i++;
  const significantStart = i;
  // Accumulate in a Number while exact (15 digits), then in a BigInt.
  let small = 0;
  while (i < end && i - significantStart < 15 && isDigit(bytes[i]!)) {
    small = small * 10 + (bytes[i]! - 0x30);
    i++;
  }
  let value = BigInt(small);
  while (i < end && isDigit(bytes[i]!)) {
    // strtoull reports ERANGE whatever follows, so stop reading here.
    if (i - significantStart === U64_MAX_DIGITS) return NOT_A_NUMBER;
    value = value * 10n + BigInt(bytes[i]! - 0x30);
    i++;
  }
  // No digits: safe_strtoull refuses (its end pointer did not move). A value
  // of only whitespace makes memcached's strtoull read past the item; we
  // refuse it too.
  if (i === digitsStart) return NOT_A_NUMBER;
  // The terminating byte must be whitespace, a NUL (strtoull's C string ends
  // there) or the end of the value (the CRLF that follows data in memcached).
  if (i < end && !isSpace(bytes[i]!) && bytes[i] !== 0) return NOT_A_NUMBER;
  if (value > U64_MASK) return NOT_A_NUMBER;
  if (negative) value = (U64_MASK + 1n - value) & U64_MASK;
  // memcached refuses a result >= 2^63 when the C string holds a '-' anywhere
  // before its NUL (strchr over the whole value, not only the sign).
  if (value >= U63 && hasMinusBeforeNul(bytes, start, end)) return NOT_A_NUMBER;
  return value;
}

function hasMinusBeforeNul(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end && bytes[i] !== 0; i++) if (bytes[i] === 0x2d) return true;
  return false;
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
