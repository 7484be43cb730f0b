// Numeric tokens of the text and meta protocols, read straight from bytes
// with the results memcached 1.6 gets from its C helpers (util.c
// safe_strtol / safe_strtoul / safe_strtoull on a 64-bit Linux build).
//
// Those helpers call strtol/strtoul, so they accept more than plain digits
// and clients rely on none of it, but byte-for-byte replies need the same
// answers:
//   - leading whitespace (tab, VT, FF, CR) and one '+' or '-' sign;
//   - the digits may be followed by a whitespace byte and anything after it
//     (`1\tjunk` is 1), but not by other bytes (`1x` fails);
//   - 32-bit results are the 64-bit value truncated, so flags `4294967296`
//     store 0 and an exptime of `2147483648` is negative;
//   - unsigned parsers refuse a '-' only when the result would be >= 2^63
//     (`-0` is 0, `-1` fails).
// Plain short digit strings (every real client) take a fast path with no
// allocation; long tokens fall back to BigInt.

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;
const TWO_POW_63 = 1n << 63n;
const TWO_POW_64 = 1n << 64n;

// Result of the last scan(); module state avoids an object per call.
let scanNegative = false;
/** Magnitude when the token had at most 15 digits (exact as a double). */
let scanMagnitude = 0;
/** Magnitude as BigInt when the token had more than 15 digits, else null. */
let scanBig: bigint | null = null;

function isCSpace(b: number): boolean {
  // isspace() in the C locale: space, \t, \n, \v, \f, \r.
  return b === 32 || (b >= 9 && b <= 13);
}

/** strtol-style scan of buf[start, end); false when memcached would refuse. */
function scan(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && isCSpace(buf[i]!)) i++;
  scanNegative = false;
  if (i < end) {
    const sign = buf[i];
    if (sign === 45) {
      scanNegative = true;
      i++;
    } else if (sign === 43) {
      i++;
    }
  }
  const digitsStart = i;
  let magnitude = 0;
  while (i < end) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    magnitude = magnitude * 10 + d;
    i++;
  }
  if (i === digitsStart) return false;
  if (i < end && !isCSpace(buf[i]!)) return false;
  if (i - digitsStart > 15) {
    scanBig = BigInt(buf.toString('latin1', digitsStart, i));
    scanMagnitude = NaN;
  } else {
    scanBig = null;
    scanMagnitude = magnitude;
  }
  return true;
}

function hasMinus(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 45) return true;
  return false;
}

/** strtoull's result for a big magnitude, or null on ERANGE. */
function unsignedBig(magnitude: bigint): bigint | null {
  if (magnitude > UINT64_MAX) return null;
  return scanNegative ? (TWO_POW_64 - magnitude) % TWO_POW_64 : magnitude;
}

/**
 * memcached `safe_strtol`: a signed 64-bit parse truncated to int32.
 * Returns NaN when memcached refuses the token.
 *
 * @example parseInt32Token(Buffer.from('-1'), 0, 2) === -1
 */
export function parseInt32Token(buf: Buffer, start: number, end: number): number {
  if (!scan(buf, start, end)) return NaN;
  if (scanBig === null) return (scanNegative ? -scanMagnitude : scanMagnitude) | 0;
  const value = scanNegative ? -scanBig : scanBig;
  if (value > INT64_MAX || value < INT64_MIN) return NaN;
  return Number(BigInt.asIntN(32, value));
}

/**
 * memcached `safe_strtoul`: an unsigned 64-bit parse truncated to uint32.
 * Returns NaN when memcached refuses the token.
 */
export function parseUint32Token(buf: Buffer, start: number, end: number): number {
  if (!scan(buf, start, end)) return NaN;
  if (scanBig === null) {
    // A negative short number wraps to >= 2^63 and the token has a '-'.
    if (scanNegative && scanMagnitude !== 0) return NaN;
    return scanMagnitude >>> 0;
  }
  const value = unsignedBig(scanBig);
  if (value === null) return NaN;
  if (value >= TWO_POW_63 && hasMinus(buf, start, end)) return NaN;
  return Number(value & 0xffffffffn);
}

/**
 * memcached `safe_strtoull`: an unsigned 64-bit number, or null when
 * memcached refuses the token.
 */
export function parseUint64Token(buf: Buffer, start: number, end: number): bigint | null {
  if (!scan(buf, start, end)) return null;
  if (scanBig === null) {
    if (scanNegative && scanMagnitude !== 0) return null;
    return BigInt(scanMagnitude);
  }
  const value = unsignedBig(scanBig);
  if (value === null) return null;
  if (value >= TWO_POW_63 && hasMinus(buf, start, end)) return null;
  return value;
}

/**
 * Like parseUint64Token but as a JS number (CAS values): exact below 2^53,
 * rounded above, which only matters for CAS values this server never hands out.
 * Returns NaN when memcached refuses the token.
 */
export function parseUint64TokenAsNumber(buf: Buffer, start: number, end: number): number {
  if (!scan(buf, start, end)) return NaN;
  if (scanBig === null) {
    if (scanNegative && scanMagnitude !== 0) return NaN;
    return scanMagnitude;
  }
  const value = unsignedBig(scanBig);
  if (value === null) return NaN;
  if (value >= TWO_POW_63 && hasMinus(buf, start, end)) return NaN;
  return Number(value);
}
