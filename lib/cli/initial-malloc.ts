// T_MEMD_INITIAL_MALLOC: memcached's test-suite hook (its slabs_init reads
// it) that counts a number of bytes as already allocated before the first
// slab page, so a test can reach past 4 GiB of total_malloced without the
// memory (memcached's t/64bit.t). Here those bytes count against -m before
// the segment heap, which gets what is left (segment-heap.ts), and `stats
// slabs` total_malloced starts from them. This module only reads the value;
// lib/cli/cli-options.ts checks it against -m.
//
// What counts as a number is memcached's (strtoll, then nothing but
// whitespace or the end after the digits): "12" and " 12 x" are 12, "12x",
// "", "x" and values beyond 64 bits are not, and the variable is then
// ignored. A negative number is a number: memcached turns it into a huge
// unsigned size; here it is refused at start (parseInitialMalloc returns
// it, the caller refuses).

/** The variable's name, as memcached spells it. */
export const INITIAL_MALLOC_VARIABLE = 'T_MEMD_INITIAL_MALLOC';

/** memcached's reading of the variable: its integer value, or undefined when it is not a number there. */
export function parseInitialMalloc(text: string): number | undefined {
  const m = /^[\t\n\v\f\r ]*([+-]?)(\d+)(?:[\t\n\v\f\r ]|$)/.exec(text);
  if (m === null) return undefined;
  const magnitude = BigInt(m[2]!);
  const value = m[1] === '-' ? -magnitude : magnitude;
  // strtoll's ERANGE: outside a signed 64-bit integer.
  if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) return undefined;
  return Number(value);
}
