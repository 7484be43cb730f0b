// The store's memcached-named reclaim counters: expired_unfetched,
// evicted_unfetched, crawler_reclaimed and crawler_items_checked count what
// really happened (a manual clock drives expiry).

import t from 'tap';
import { SegmentStore } from '../../segments/segment-store.js';

function makeStore(clock: { nowMs(): number }, memory = 4 * 1024 * 1024): SegmentStore {
  return new SegmentStore({ memoryLimitBytes: memory, itemSizeMax: 16 * 1024, segmentSize: 64 * 1024, clock });
}

t.test('expired items found by a read: unfetched ones are counted', async (t) => {
  let now = 1_700_000_000_000;
  const store = makeStore({ nowMs: () => now });
  store.store('set', Buffer.from('never-read'), Buffer.from('x'), 0, 10, 0);
  store.store('set', Buffer.from('read'), Buffer.from('x'), 0, 10, 0);
  t.ok(store.get(Buffer.from('read')) >= 0);
  now += 11_000;
  t.equal(store.get(Buffer.from('never-read')), -1);
  t.equal(store.get(Buffer.from('read')), -1);
  t.equal(store.counters.expiredReclaimed, 2);
  t.equal(store.counters.expiredUnfetched, 1, 'only the one never read');
});

t.test('the sweep is the crawler: crawler_reclaimed and crawler_items_checked', async (t) => {
  let now = 1_700_000_000_000;
  const store = makeStore({ nowMs: () => now });
  for (let i = 0; i < 100; i++) store.store('set', Buffer.from(`s${i}`), Buffer.alloc(50), 0, 5, 0);
  for (let i = 0; i < 10; i++) store.get(Buffer.from(`s${i}`));
  now += 6_000;
  store.expireNow();
  t.equal(store.counters.crawlerReclaimed, 100);
  t.equal(store.counters.crawlerItemsChecked, 100);
  t.equal(store.counters.expiredUnfetched, 90);
  t.equal(store.counters.items, 0);
});

t.test('evictions of items never read count as evicted_unfetched', async (t) => {
  const store = makeStore({ nowMs: () => 1_700_000_000_000 }, 1024 * 1024);
  const value = Buffer.alloc(1000);
  for (let i = 0; i < 5000; i++) store.store('set', Buffer.from(`e${i}`), value, 0, 0, 0);
  t.ok(store.counters.evictions > 0, `evicted ${store.counters.evictions}`);
  t.equal(store.counters.evictedUnfetched, store.counters.evictions, 'nothing was read');
  // Read the survivors, then push more in: evicted read items are not unfetched.
  const before = store.counters.evictedUnfetched;
  for (let i = 0; i < 5000; i++) store.get(Buffer.from(`e${i}`));
  for (let i = 5000; i < 10000; i++) store.store('set', Buffer.from(`e${i}`), value, 0, 0, 0);
  t.ok(store.counters.evictedUnfetched - before < store.counters.evictions - before, 'read items are evicted without counting as unfetched');
});
