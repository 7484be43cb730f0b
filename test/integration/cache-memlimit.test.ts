// cache_memlimit over the wire: memcached's replies byte for byte (checked
// against the real memcached 1.6.18 when installed), limit_maxbytes and
// `stats settings` maxbytes following the new limit, growth and shrinking
// seen by every worker thread (-t 4), and -m 1 TiB served from a lazily
// reserved heap.

import t from 'tap';
import { exchange } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { startTestServer } from './helpers/server.js';
import { needs } from '../peers.js';

const MIB = 1024 * 1024;
const skipMemcached = needs('memcached-oracle').skip;

/** Replies to each command sent alone, in order. */
const COMMANDS = [
  'cache_memlimit 7\r\n',
  'cache_memlimit 8\r\n',
  'cache_memlimit 0\r\n',
  'cache_memlimit -1\r\n',
  'cache_memlimit abc\r\n',
  'cache_memlimit 12x\r\n',
  'cache_memlimit 1000000001\r\n',
  'cache_memlimit\r\n',
  'cache_memlimit 1 2 3\r\n',
  'cache_memlimit 20 noreply\r\n',
  'cache_memlimit 5 noreply\r\n',
  'cache_memlimit 24\r\n',
];

async function replies(target: number | string): Promise<string[]> {
  const out: string[] = [];
  for (const command of COMMANDS) out.push((await exchange(target, command)).reply.toString('latin1'));
  return out;
}

async function stat(target: number | string, group: string, name: string): Promise<string | undefined> {
  const text = (await exchange(target, `stats${group === '' ? '' : ' ' + group}\r\n`)).reply.toString('latin1');
  return new RegExp(`STAT ${name} (\\S+)\\r\\n`).exec(text)?.[1];
}

const EXPECTED = [
  'MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n',
  'OK\r\n',
  'MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n',
  'ERROR\r\n',
  'ERROR\r\n',
  'ERROR\r\n',
  'MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n',
  'ERROR\r\n',
  'ERROR\r\n',
  '',
  '',
  'OK\r\n',
];

t.test('our replies, and the limit they set', async (t) => {
  const { port } = await startTestServer(t, { maxBytes: 16 * MIB });
  t.same(await replies(port), EXPECTED);
  t.equal(await stat(port, '', 'limit_maxbytes'), String(24 * MIB), 'limit_maxbytes follows');
  t.equal(await stat(port, 'settings', 'maxbytes'), String(24 * MIB), 'stats settings maxbytes too');
  const segmentSize = Number(await stat(port, 'segcache', 'segcache_segment_size'));
  t.equal(await stat(port, 'segcache', 'segcache_segments_total'), String(Math.floor((24 * MIB) / segmentSize)), 'the segments that fit in 24 MiB');
  t.equal((await exchange(port, 'cache_memlimit 1000\r\n')).reply.toString('latin1'), 'MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n', 'beyond the reserve (8x -m)');
  t.equal(await stat(port, '', 'limit_maxbytes'), String(24 * MIB), 'a refused limit changes nothing');
});

t.test('memcached 1.6.18 answers the same', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached(['-m', '16']);
  t.teardown(() => mc.stop());
  t.same(await replies(mc.path), EXPECTED);
  t.equal(await stat(mc.path, '', 'limit_maxbytes'), String(24 * MIB));
  t.equal(await stat(mc.path, 'settings', 'maxbytes'), String(24 * MIB));
});

t.test('-t 4: every worker sees the grown and the shrunk heap', async (t) => {
  // Items up to 512 KiB: segments of exactly 1 MiB.
  const { port } = await startTestServer(t, { maxBytes: 8 * MIB, threads: 4, itemSizeMax: 512 * 1024 });
  const value = 'x'.repeat(100_000);
  const setMany = async (prefix: string, n: number): Promise<void> => {
    // Four connections at a time: the server spreads them over its workers.
    for (let i = 0; i < n; i += 4) {
      await Promise.all(
        [0, 1, 2, 3].map((j) => exchange(port, `set ${prefix}${i + j} 0 0 ${value.length}\r\n${value}\r\n`)),
      );
    }
  };
  await setMany('a', 120);
  const evicted = Number(await stat(port, '', 'evictions'));
  t.ok(evicted > 0, `an 8 MiB heap evicts 12 MB of values (${evicted})`);
  t.equal((await exchange(port, 'cache_memlimit 32\r\n')).reply.toString('latin1'), 'OK\r\n');
  await setMany('b', 200);
  t.equal(Number(await stat(port, '', 'evictions')), evicted, 'no eviction while 20 MB fit in the grown heap');
  for (let i = 0; i < 4; i++) t.equal(await stat(port, '', 'limit_maxbytes'), String(32 * MIB), `connection ${i}: limit_maxbytes 32 MiB`);
  const got = (await exchange(port, 'get b0 b199\r\n')).reply.toString('latin1');
  t.equal((got.match(/^VALUE /gm) ?? []).length, 2, 'items written by every worker read back');

  t.equal((await exchange(port, 'cache_memlimit 8\r\n')).reply.toString('latin1'), 'OK\r\n');
  t.equal(await stat(port, 'segcache', 'segcache_segments_total'), '8', 'shrunk to 8 segments');
  t.ok(Number(await stat(port, '', 'bytes')) <= 8 * MIB, 'live bytes within 8 MiB');
  await setMany('c', 100);
  t.equal(await stat(port, 'segcache', 'segcache_segments_total'), '8', 'and it stays there under writes from every worker');
  t.ok(Number(await stat(port, 'segcache', 'segcache_segments_used')) <= 8);
  t.ok(Number(await stat(port, '', 'bytes')) <= 8 * MIB);
});

t.test('-m 1048576 (1 TiB): starts, stores, reads, reports the limit', async (t) => {
  const { port } = await startTestServer(t, { maxBytes: 2 ** 40, threads: 2 });
  t.equal(await stat(port, '', 'limit_maxbytes'), String(2 ** 40));
  t.equal(await stat(port, 'segcache', 'segcache_segment_size'), String(16 * MIB));
  const sets = Array.from({ length: 50 }, (_, i) => `set k${i} ${i} 0 ${String(i).length}\r\n${i}\r\n`).join('');
  t.equal((await exchange(port, sets)).reply.toString('latin1'), 'STORED\r\n'.repeat(50));
  t.equal((await exchange(port, 'get k7 k49\r\n')).reply.toString('latin1'), 'VALUE k7 7 1\r\n7\r\nVALUE k49 49 2\r\n49\r\nEND\r\n');
  t.equal((await exchange(port, 'cache_memlimit 1000000\r\n')).reply.toString('latin1'), 'OK\r\n', 'and shrinks');
  t.equal(await stat(port, '', 'limit_maxbytes'), String(1_000_000 * MIB));
});
