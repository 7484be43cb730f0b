// The per-segment location fingerprint the warm restore checks a saved hash
// index with (segments/location-fingerprint.ts): equal multisets balance,
// and a missing, extra, duplicated or moved location does not.

import t from 'tap';
import { LocationFingerprint, mixLocation } from '../../segments/location-fingerprint.js';

const SEGMENT = 4096;

/** Add `locs` (per segment: in-segment offsets in 8-byte words) as a walk does, subtract `index` as the index pass does. */
function balance(locs: number[][], index: number[][], keys?: [number, number]): boolean {
  const fp = new LocationFingerprint(locs.length, SEGMENT, keys);
  locs.forEach((xs, seg) => {
    let s1 = 0;
    let s2 = 0;
    for (const x of xs) {
      s1 = (s1 + mixLocation(x, fp.key1)) | 0;
      s2 = (s2 + mixLocation(x, fp.key2)) | 0;
    }
    fp.addSegment(seg, xs.length, s1, s2);
  });
  index.forEach((xs, seg) => {
    let s1 = 0;
    let s2 = 0;
    for (const x of xs) {
      s1 = (s1 + mixLocation(x, fp.key1)) | 0;
      s2 = (s2 + mixLocation(x, fp.key2)) | 0;
    }
    fp.addSegment(seg, -xs.length, -s1, -s2);
  });
  return fp.balanced();
}

const walk = [
  [0, 10, 20, 30],
  [0, 7],
  [],
];

t.test('the same locations in any order balance', async (t) => {
  t.ok(balance(walk, [[30, 0, 20, 10], [7, 0], []]));
  t.ok(balance(walk, walk, [0, 0]));
});

t.test('a missing, extra, duplicated, moved or misplaced location does not', async (t) => {
  t.notOk(balance(walk, [[0, 10, 20], [0, 7], []]), 'missing');
  t.notOk(balance(walk, [[0, 10, 20, 30, 40], [0, 7], []]), 'extra');
  t.notOk(balance(walk, [[0, 10, 20, 20], [0, 7], []]), 'duplicated, count kept');
  t.notOk(balance(walk, [[0, 10, 20, 31], [0, 7], []]), 'moved by one word');
  t.notOk(balance(walk, [[0, 10, 20], [0, 7, 30], []]), 'in another segment');
  // Offsets swapped between the two sums' usual failure shapes: same count, same plain sum of offsets.
  t.notOk(balance(walk, [[0, 10, 25, 25], [0, 7], []]), 'same count and same sum of offsets');
});

t.test('keys are drawn at random unless given', async (t) => {
  const a = new LocationFingerprint(1, SEGMENT);
  const b = new LocationFingerprint(1, SEGMENT);
  t.not(`${a.key1},${a.key2}`, `${b.key1},${b.key2}`);
  const c = new LocationFingerprint(1, SEGMENT, [5, 6]);
  t.same([c.key1, c.key2], [5, 6]);
});

t.test('the mix is a bijection-like scrambler: distinct inputs give distinct outputs over a range', async (t) => {
  const seen = new Set<number>();
  for (let x = 0; x < 1 << 16; x++) seen.add(mixLocation(x, 0x1234567));
  t.equal(seen.size, 1 << 16);
});
