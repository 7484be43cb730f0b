// `watch evictions`: one `type=eviction` line per evicted item, in
// memcached 1.6.18's format (key, fetch, ttl, la, clsid, size), counted the
// same as `stats` evictions; memcached's own lines checked for the same
// shape when it is installed (its clsid is a slab class, ours 1). One
// worker thread, as watch.test.ts.

import t from 'tap';
import { exchange } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { needs } from '../peers.js';
import { startTestServer } from './helpers/server.js';
import { startWatcher, waitFor } from './helpers/watcher.js';
import { watchBus, WATCH } from '../../lib/observability/watch-bus.js';

const skipMemcached = needs('memcached-oracle').skip;
const VALUE = 'v'.repeat(100_000);
const LINE = /^ts=\d+\.\d+ gid=\d+ type=eviction key=(ev\d+) fetch=(yes|no) ttl=(-1|\d+) la=\d+ clsid=(\d+) size=100000$/;

async function evictions(target: number | string): Promise<number> {
  const text = (await exchange(target, 'stats\r\n')).reply.toString('latin1');
  return Number(/STAT evictions (\d+)\r\n/.exec(text)?.[1]);
}

/** Store ev0 (read once, with a TTL) then ev1.. until two items are evicted; the watcher's eviction lines. */
async function evictSome(target: number | string): Promise<{ lines: string[]; counted: number }> {
  const w = await startWatcher(target, 'evictions');
  t.equal(w.text(), 'OK\r\n');
  await exchange(target, `set ev0 0 1000 ${VALUE.length}\r\n${VALUE}\r\nget ev0\r\n`);
  for (let i = 1; i < 300 && (await evictions(target)) < 2; i++) await exchange(target, `set ev${i} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`);
  const counted = await evictions(target);
  await waitFor(() => (w.text().match(/type=eviction/g) ?? []).length >= counted);
  w.socket.destroy();
  return { lines: w.text().slice(4).split('\n').filter((l) => l !== ''), counted };
}

t.test('our server logs each eviction', async (t) => {
  const { port } = await startTestServer(t, { threads: 1, maxBytes: 4 * 1024 * 1024, itemSizeMax: 512 * 1024, evictionPolicy: 'fifo' });
  const { lines, counted } = await evictSome(port);
  t.ok(counted > 0, `${counted} evictions`);
  t.equal(lines.length, counted, 'one line per eviction stats counts');
  for (const line of lines) t.match(line, LINE);
  const first = LINE.exec(lines[0] ?? '');
  t.same(first?.slice(1, 4), ['ev0', 'yes', first?.[3]], 'the oldest item goes first, fetched');
  t.ok(Number(first?.[3]) > 900 && Number(first?.[3]) <= 1000, 'ttl: seconds left');
  t.match(lines[1] ?? '', / fetch=no ttl=-1 /, 'never read, never expires');
  await waitFor(() => (watchBus.flags & WATCH.EVICTIONS) === 0);
  // With no watcher left, the next eviction unhooks the listener and logs nothing.
  await exchange(port, `set later 0 0 ${VALUE.length}\r\n${VALUE}\r\n`.repeat(20));
  t.equal(watchBus.watcherCount, 0);
});

t.test('memcached logs evictions in the same format', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached(['-m', '2', '-o', 'no_lru_maintainer,no_lru_crawler']);
  t.teardown(() => mc.stop());
  const { lines, counted } = await evictSome(mc.path);
  t.ok(counted > 0);
  t.equal(lines.length, counted);
  for (const line of lines) t.match(line, LINE);
});
