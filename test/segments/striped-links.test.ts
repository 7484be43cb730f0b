// Striped links (segment-store.ts, "Striped links"): a plain set's link
// bumps only the sequence word of the index stripe it writes, so it voids
// the optimistic reads of keys with a bucket in that stripe and no others.
// A reader notes the stripes of both of its key's buckets (the key may live
// in either, and another key's insert may land in either); a link that is
// not confined to one bucket (an expired version to reclaim) voids every
// read. Writers overlap a read on purpose: a second store on the same
// shared memory, called between the reader's lookup and its validation.

import t from 'tap';
import { attachStore, createSharedStore } from '../../segments/shared-store.js';
import { LINK_STRIPES, type SegmentStore } from '../../segments/segment-store.js';
import { hashBytes } from '../../segments/key-hash.js';
import { altHash } from '../../segments/index-layout.js';
import type { Clock } from '../../segments/types.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const SEED = 5;

/** A key's two bucket stripes: its hash's and its second bucket's (as the index places it). */
function stripesOf(key: string): [number, number] {
  const k = b(key);
  const hash = hashBytes(k, 0, k.length, SEED);
  return [hash & (LINK_STRIPES - 1), altHash(hash) & (LINK_STRIPES - 1)];
}

/** The first key `prefix` + n whose stripes satisfy `fits`. */
function keyWhere(prefix: string, fits: (first: number, second: number) => boolean): string {
  for (let n = 0; ; n++) {
    const key = `${prefix}${n}`;
    const [first, second] = stripesOf(key);
    if (fits(first, second)) return key;
  }
}

interface Pair {
  reader: SegmentStore;
  writer: SegmentStore;
  /** A third thread's store (its sets leave the writer's own segment alone). */
  third: SegmentStore;
  clock: { ms: number } & Clock;
}

/** Two stores (thread slots 0 and 1) over one shared store, the writer already owning a segment (its first plain set claims one). */
function pair(stripedLinks = true): Pair {
  const clock = { ms: 1_700_000_000_000, nowMs(): number { return this.ms; } };
  const handle = createSharedStore({ memoryLimitBytes: 4 << 20, itemSizeMax: 64 * 1024, segmentSize: 64 * 1024, hashSeed: SEED }, { maxThreads: 3, optimisticReads: true, stripedLinks });
  const reader = attachStore(handle, { threadSlot: 0, clock });
  const writer = attachStore(handle, { threadSlot: 1, clock });
  writer.store('set', b('claim'), b('x'), 0, 0, 0);
  return { reader, writer, third: attachStore(handle, { threadSlot: 2, clock }), clock };
}

/** Begin an attempt, look `key` up, run `between`, and say whether the attempt stands. */
function readAround(reader: SegmentStore, key: string, between: () => void): boolean {
  reader.beginReadAttempt(0);
  reader.get(b(key));
  between();
  return reader.endReadAttempt();
}

t.test('a link into one of the key\'s stripes voids the read; a link into another stripe does not', async (t) => {
  const { reader, writer } = pair();
  const key = 'reader-key';
  const [first, second] = stripesOf(key);
  writer.store('set', b(key), b('v1'), 0, 0, 0);
  const linked = writer.stripedLinks;
  t.equal(readAround(reader, key, () => writer.store('set', b(key), b('v2'), 0, 0, 0)), false, 'the same key relinked: void');
  t.equal(writer.stripedLinks, linked + 1, 'that set linked by stripe');
  const elsewhere = keyWhere('other-', (f, s) => f !== first && f !== second && s !== first && s !== second);
  t.equal(readAround(reader, key, () => writer.store('set', b(elsewhere), b('w'), 0, 0, 0)), true, 'a new key in other stripes: the read stands');
  t.equal(writer.stripedLinks, linked + 2, 'that set linked by stripe too');
  reader.beginReadAttempt(0);
  const ref = reader.get(b(key));
  const value = reader.itemValue(ref).toString('latin1');
  t.equal(reader.endReadAttempt(), true);
  t.equal(value, 'v2');
});

t.test('a new key inserted into the reader key\'s second bucket stripe voids the read (readers note both stripes)', async (t) => {
  // Without the second stripe noted, this read stands though the insert may
  // have written the very bucket the lookup walked second.
  const key = keyWhere('reader-', (f, s) => f !== s);
  const [first, second] = stripesOf(key);
  const intruder = keyWhere('intruder-', (f, s) => f === second && s !== first);
  for (const whole of [false, true]) {
    const { reader, writer } = pair(!whole);
    writer.store('set', b(key), b('v1'), 0, 0, 0);
    const linked = writer.stripedLinks;
    t.equal(readAround(reader, key, () => writer.store('set', b(intruder), b('w'), 0, 0, 0)), false, `void (${whole ? 'whole-store links' : 'striped links'})`);
    t.equal(writer.stripedLinks, whole ? 0 : linked + 1, whole ? 'no set linked by stripe' : 'the insert linked by stripe');
  }
});

t.test('a link that is not confined to one bucket (an expired version reclaimed) voids every read', async (t) => {
  const { reader, writer, third, clock } = pair();
  const key = 'reader-key';
  const [first, second] = stripesOf(key);
  writer.store('set', b(key), b('v1'), 0, 0, 0);
  const doomed = keyWhere('doomed-', (f, s) => f !== first && f !== second && s !== first && s !== second);
  third.store('set', b(doomed), b('short-lived'), 0, 2, 0);
  clock.ms += 5_000;
  const linked = writer.stripedLinks;
  const owned = writer.ownedSets;
  t.equal(readAround(reader, key, () => writer.store('set', b(doomed), b('again'), 0, 0, 0)), false, 'void though no stripe of the key was written');
  t.equal(writer.ownedSets, owned + 1, 'the set went through the own segment');
  t.equal(writer.stripedLinks, linked, 'but did not link by stripe');
  t.equal(writer.counters.expiredReclaimed, 1, 'the expired version was reclaimed by the link');
});

t.test('with stripedLinks off every link voids every read (the measured alternative)', async (t) => {
  const { reader, writer } = pair(false);
  const key = 'reader-key';
  const [first, second] = stripesOf(key);
  writer.store('set', b(key), b('v1'), 0, 0, 0);
  const elsewhere = keyWhere('other-', (f, s) => f !== first && f !== second && s !== first && s !== second);
  t.equal(readAround(reader, key, () => writer.store('set', b(elsewhere), b('w'), 0, 0, 0)), false, 'void');
  t.equal(writer.stripedLinks, 0);
});
