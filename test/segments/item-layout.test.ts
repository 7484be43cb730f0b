// Item record layout: sizes, padding, optional field positions.

import t from 'tap';
import {
  BIT_HAS_CAS,
  BIT_HAS_DEADLINE,
  BIT_HAS_FLAGS,
  HEADER_BYTES,
  MAX_HEADER_BYTES,
  fieldWord,
  keyOffset,
  makeWordA,
  optionalBytes,
  recordBytes,
  recordBytesAt,
} from '../../segments/item-layout.js';

t.test('record sizes are 8-byte aligned with the header counted', async (t) => {
  t.equal(recordBytes(14, 50, 0), 72, 'the benchmark item: 8 bytes of overhead');
  t.equal(recordBytes(1, 0, 0), 16);
  t.equal(recordBytes(1, 7, 0), 16);
  t.equal(recordBytes(1, 8, 0), 24);
  t.equal(recordBytes(14, 50, BIT_HAS_FLAGS), 80);
  t.equal(recordBytes(14, 50, BIT_HAS_FLAGS | BIT_HAS_DEADLINE), 80);
  t.equal(recordBytes(14, 50, BIT_HAS_FLAGS | BIT_HAS_DEADLINE | BIT_HAS_CAS), 88);
  t.equal(MAX_HEADER_BYTES, HEADER_BYTES + optionalBytes(BIT_HAS_FLAGS | BIT_HAS_DEADLINE | BIT_HAS_CAS));
  let misaligned = 0;
  for (let k = 1; k <= 250; k++) for (let v = 0; v < 100; v++) if (recordBytes(k, v, BIT_HAS_FLAGS) % 8 !== 0) misaligned++;
  t.equal(misaligned, 0);
});

t.test('word A packs key length, bits and the access second', async (t) => {
  const a = makeWordA(250, 0x75, 0x12345);
  t.equal(a & 0xff, 250, 'key length in bits 0-7');
  t.equal((a >>> 8) & 0xff, 0x75, 'item bits in bits 8-15');
  t.equal(a >>> 16, 0x2345, 'access second kept mod 65536');
  t.ok(a >= 0);
});

t.test('optional fields come in the order cas, flags, deadline', async (t) => {
  const all = makeWordA(3, BIT_HAS_CAS | BIT_HAS_FLAGS | BIT_HAS_DEADLINE, 0);
  t.equal(fieldWord(10, all, BIT_HAS_CAS), 12);
  t.equal(fieldWord(10, all, BIT_HAS_FLAGS), 14);
  t.equal(fieldWord(10, all, BIT_HAS_DEADLINE), 15);
  t.equal(keyOffset(40, all), 40 + 8 + 16);
  const deadlineOnly = makeWordA(3, BIT_HAS_DEADLINE, 0);
  t.equal(fieldWord(10, deadlineOnly, BIT_HAS_DEADLINE), 12);
  t.equal(keyOffset(0, deadlineOnly), 12);
  const flagsOnly = makeWordA(3, BIT_HAS_FLAGS, 0);
  t.equal(fieldWord(0, flagsOnly, BIT_HAS_FLAGS), 2);
  t.equal(keyOffset(0, makeWordA(3, 0, 0)), 8);
});

t.test('recordBytesAt reads the header words', async (t) => {
  const words = new Uint32Array(8);
  words[2] = makeWordA(14, BIT_HAS_FLAGS, 0);
  words[3] = 50;
  t.equal(recordBytesAt(words, 2), 80);
});
