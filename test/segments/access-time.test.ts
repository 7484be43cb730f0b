// Last-access times over days and years of uptime with an injected clock:
// 16 bits per record, counted in the segment's access unit since its create
// time (segment-heap.ts), so they never wrap. Precision: at most one unit,
// and a unit is at most 1/32768 of the segment's age.

import t from 'tap';
import { audit, b, makeStore } from './helpers.js';
import { MergeEvictor } from '../../segments/merge-eviction.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

t.test('an item idle for longer than 2^16 seconds shows its real idle time', async (t) => {
  const { store, clock } = makeStore();
  store.store('set', b('m'), b('v'), 0, 0, 0);
  clock.advance(25 * HOUR);
  t.equal(store.itemLastAccess(store.peek(b('m'))), 25 * HOUR, 'exact: stamped when its segment was opened');
  clock.advance(2 * YEAR);
  t.equal(store.itemLastAccess(store.peek(b('m'))), 2 * YEAR + 25 * HOUR);
});

t.test('reads over three years keep idle times right, within the precision bound', async (t) => {
  const { store, clock } = makeStore();
  const start = clock.seconds;
  store.store('set', b('never-read'), b('1'), 0, 0, 0);
  store.store('set', b('read'), b('2'), 0, 0, 0);
  for (let day = 0; day < 3 * 365; day += 7) {
    clock.advance(7 * DAY - 13);
    const ref = store.get(b('read'));
    const age = clock.seconds - start;
    const justRead = store.itemLastAccess(ref);
    t.ok(justRead <= age / 32768, `read on day ${day + 7}: ${justRead}`);
    clock.advance(13);
    const idle = store.itemLastAccess(store.peek(b('read')));
    t.ok(idle >= 13 && idle <= 13 + age / 32768, `13 s after a read on day ${day + 7}: ${idle}`);
  }
  clock.advance(10 * DAY);
  const idle = store.itemLastAccess(store.peek(b('read')));
  const age = clock.seconds - start;
  t.ok(idle >= 10 * DAY + 13 && idle <= 10 * DAY + 13 + age / 32768, `10 days idle: ${idle}`);
  const neverRead = store.itemLastAccess(store.peek(b('never-read')));
  t.ok(neverRead >= age && neverRead <= age + age / 32768, `an item never read: idle since its write (${neverRead})`);
  t.same(audit(store), []);
});

t.test('items moved by a merge keep their access times', async (t) => {
  const SEGMENT = 4096;
  const PER_SEGMENT = Math.floor(SEGMENT / 112);
  const { store, clock } = makeStore({ memoryLimitBytes: 16 * SEGMENT, segmentSize: SEGMENT, evictionPolicy: 'merge' });
  const key = (i: number) => b(`k${String(i).padStart(3, '0')}`);
  const written: number[] = [];
  const lastRead = new Map<number, number>();
  // Four segments, each opened 30 hours after the previous; some items read later.
  for (let i = 0; i < 4 * PER_SEGMENT; i++) {
    if (i > 0 && i % PER_SEGMENT === 0) clock.advance(30 * HOUR);
    store.store('set', key(i), Buffer.alloc(100, 0x41), 0, 0, 0);
    written[i] = clock.seconds;
  }
  for (let i = 0; i < 3 * PER_SEGMENT; i += 5) {
    clock.advance(HOUR);
    store.get(key(i));
    lastRead.set(i, clock.seconds);
  }
  // Two thirds of the run deleted: the merge compacts without evicting.
  for (let i = 0; i < 3 * PER_SEGMENT; i++) if (i % 3 !== 0) store.delete(key(i), 0);
  clock.advance(100 * DAY);
  const before = store.counters.evictions;
  t.ok(new MergeEvictor().evict(store.itemSpace, clock.seconds));
  t.equal(store.counters.evictions, before, 'nothing evicted');
  const age = clock.seconds - written[0]!;
  let checked = 0;
  for (let i = 0; i < 3 * PER_SEGMENT; i += 3) {
    const ref = store.peek(key(i));
    t.ok(ref >= 0);
    const truth = clock.seconds - (lastRead.get(i) ?? written[i]!);
    const idle = store.itemLastAccess(ref);
    t.ok(idle >= truth && idle <= truth + age / 32768, `item ${i}: idle ${idle}, truly ${truth}`);
    checked++;
  }
  t.equal(checked, PER_SEGMENT);
  t.same(audit(store), []);
});
