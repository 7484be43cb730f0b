// Key hashing: deterministic per seed, seed-dependent, spreads sequential
// keys evenly over buckets, honours byte ranges.

import t from 'tap';
import { hashBytes, randomSeed, tagOf } from '../../segments/key-hash.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

t.test('same bytes and seed, same hash; another seed, another hash', async (t) => {
  const key = bytes('key:0000000001');
  t.equal(hashBytes(key, 0, key.length, 1), hashBytes(Buffer.from(key), 0, key.length, 1));
  t.not(hashBytes(key, 0, key.length, 1), hashBytes(key, 0, key.length, 2));
  const h = hashBytes(key, 0, key.length, 1);
  t.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32);
});

t.test('hashes only the given range', async (t) => {
  const framed = bytes('xxkey:1yy');
  t.equal(hashBytes(framed, 2, 7, 9), hashBytes(bytes('key:1'), 0, 5, 9));
});

t.test('every tail length (0..3 extra bytes) changes the hash', async (t) => {
  const seen = new Set<number>();
  for (const s of ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg']) seen.add(hashBytes(bytes(s), 0, s.length, 3));
  t.equal(seen.size, 8);
  t.not(hashBytes(bytes('a\0'), 0, 2, 3), hashBytes(bytes('a'), 0, 1, 3), 'a trailing zero byte counts');
});

t.test('sequential keys spread evenly over 1024 buckets', async (t) => {
  const buckets = new Array<number>(1024).fill(0);
  const n = 1024 * 64;
  for (let i = 0; i < n; i++) {
    const key = bytes(`key:${String(i).padStart(10, '0')}`);
    buckets[hashBytes(key, 0, key.length, 12345) & 1023]!++;
  }
  // Binomial(65536, 1/1024): mean 64, sd 8; 7 sd either side is generous.
  t.ok(Math.min(...buckets) > 64 - 56, `min ${Math.min(...buckets)}`);
  t.ok(Math.max(...buckets) < 64 + 56, `max ${Math.max(...buckets)}`);
});

t.test('tags are 16 bits and differ for keys sharing a bucket', async (t) => {
  const tags = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const tag = tagOf(i * 1024); // same low 10 bits
    t.ok(tag >= 0 && tag < 65536);
    tags.add(tag);
  }
  t.ok(tags.size > 980, `${tags.size} distinct tags`);
});

t.test('random seeds differ', async (t) => {
  const seeds = new Set([randomSeed(), randomSeed(), randomSeed(), randomSeed()]);
  t.ok(seeds.size >= 3);
});
