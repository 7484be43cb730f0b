// incr/decr values read as memcached 1.6.18 reads them.

import t from 'tap';
import { NOT_A_NUMBER, U64_MASK, applyDelta, formatU64, parseU64 } from '../../segments/decimal-u64.js';

const parse = (s: string) => {
  const buf = Buffer.from(s, 'latin1');
  return parseU64(buf, 0, buf.length);
};

t.test('accepted values', async (t) => {
  t.equal(parse('0'), 0n);
  t.equal(parse('12'), 12n);
  t.equal(parse(' 12'), 12n, 'leading space');
  t.equal(parse('\t12'), 12n);
  t.equal(parse('12 '), 12n, 'trailing space');
  t.equal(parse('12\r\n'), 12n);
  t.equal(parse('+12'), 12n);
  t.equal(parse('12 junk'), 12n, 'anything after whitespace is ignored');
  t.equal(parse('007'), 7n);
  t.equal(parse('18446744073709551615'), U64_MASK);
  t.equal(parse('000000000000000000000000018446744073709551615'), U64_MASK, 'leading zeros beyond 20 digits');
  t.equal(parse('-0'), 0n);
  t.equal(parse('5\0'), 5n, 'a NUL ends the C string strtoull reads');
  t.equal(parse('5\0junk'), 5n);
  t.equal(parse('-18446744073709551615'), 1n, 'strtoull negates modulo 2^64; below 2^63 memcached keeps it');
  t.equal(parse('9223372036854775808\0-'), 1n << 63n, "a '-' after the NUL is not seen");
  t.equal(parse(' '.repeat(1000) + '7'), 7n, 'any amount of leading whitespace');
});

t.test('refused values', async (t) => {
  for (const s of [' ', '  ', '\t', '\r\n', '111111111111111111111', '9223372036854775808 x-', '-9223372036854775808', '', '-12', '-1', '18446744073709551616', '99999999999999999999', '12a', 'a12', '+', '-', 'x', '1.5', '+-1', '\0']) {
    t.equal(parse(s), NOT_A_NUMBER, JSON.stringify(s));
  }
});

t.test('a range inside a larger buffer', async (t) => {
  const buf = Buffer.from('xx42yy', 'latin1');
  t.equal(parseU64(buf, 2, 4), 42n);
  t.equal(parseU64(buf, 2, 5), NOT_A_NUMBER);
});

t.test('incr wraps, decr floors', async (t) => {
  t.equal(applyDelta(U64_MASK, true, 1n), 0n);
  t.equal(applyDelta(U64_MASK, true, U64_MASK), U64_MASK - 1n);
  t.equal(applyDelta(5n, false, 10n), 0n);
  t.equal(applyDelta(5n, false, 5n), 0n);
  t.equal(applyDelta(10n, false, 3n), 7n);
  t.equal(applyDelta(1n, true, 1n << 64n), 1n, 'delta taken mod 2^64');
});

t.test('formatting', async (t) => {
  t.equal(formatU64(0n), '0');
  t.equal(formatU64(U64_MASK), '18446744073709551615');
});

t.test('work is bounded: a long value reads at most 21 digits', async (t) => {
  // Count the bytes the parser reads through a proxy over the value.
  const countReads = (text: string) => {
    const buf = Buffer.from(text, 'latin1');
    const read = new Set<string>();
    const counted = new Proxy(buf, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) read.add(prop);
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const value = parseU64(counted, 0, buf.length);
    return { value, reads: read.size };
  };
  const long = countReads('1'.repeat(500_000));
  t.equal(long.value, NOT_A_NUMBER, '500,000 digits are out of range');
  t.ok(long.reads <= 21, `read ${long.reads} distinct bytes of 500,000`);
  const max = countReads('18446744073709551615');
  t.equal(max.value, U64_MASK);
  t.equal(max.reads, 20, 'reads each digit of the largest u64');
});
