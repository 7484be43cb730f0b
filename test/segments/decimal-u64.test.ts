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
  t.equal(parse(' '), 0n, 'no digits but a leading space: strtoull leaves 0');
});

t.test('refused values', async (t) => {
  for (const s of ['', '-12', '-1', '18446744073709551616', '99999999999999999999', '12a', 'a12', '+', '-', 'x', '1.5', '+-1', '\0']) {
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
