// The general `stats` names we share with memcached 1.6.18 come in its
// order, including the reclaim, crawler and watcher fields; checked against
// the real memcached where installed.

import t from 'tap';
import { connect, readUntil } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { needs } from '../peers.js';
import { startTestServer } from './helpers/server.js';

const skip = needs('memcached-oracle').skip;

async function statNames(target: number | string): Promise<string[]> {
  const socket = await connect(target);
  try {
    const r = readUntil(socket, (b) => b.toString().endsWith('END\r\n'));
    socket.write('stats\r\n');
    return (await r).reply
      .toString()
      .split('\r\n')
      .filter((l) => l.startsWith('STAT '))
      .map((l) => l.split(' ')[1]!);
  } finally {
    socket.destroy();
  }
}

const NEW_FIELDS = [
  'lru_crawler_running',
  'lru_crawler_starts',
  'log_watcher_skipped',
  'log_watcher_sent',
  'log_watchers',
  'expired_unfetched',
  'evicted_unfetched',
  'reclaimed',
  'crawler_reclaimed',
  'crawler_items_checked',
  // t/stats.t wants it 0 on a fresh server; we never stop accepting.
  'time_in_listen_disabled_us',
];

t.test('our stats carry the fields', async (t) => {
  const { port } = await startTestServer(t);
  const ours = await statNames(port);
  for (const f of NEW_FIELDS) t.ok(ours.includes(f), f);
});

t.test('shared names are in memcached order', { skip }, async (t) => {
  const { port } = await startTestServer(t);
  const mc = await startMemcached();
  t.teardown(() => mc.stop());
  const theirs = await statNames(mc.path);
  const ours = await statNames(port);
  for (const f of NEW_FIELDS) t.ok(theirs.includes(f), `memcached has ${f}`);
  const shared = ours.filter((n) => theirs.includes(n));
  const theirOrder = theirs.filter((n) => shared.includes(n));
  t.same(shared, theirOrder);
});
