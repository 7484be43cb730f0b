// T_MEMD_INITIAL_MALLOC (memcached's test-suite hook, lib/cli/initial-malloc.ts)
// through the real command line, side by side with memcached 1.6.18 where
// installed: the bytes count as malloced before any item and against -m, so
// `-m 4098` with 2^32 + 32 of them leaves room for one 1 MiB page (memcached)
// or segment (ours). The same commands then get the same replies: two 400 KiB
// items stored, the next refused under -M, cache_memlimit making room for
// one more. total_malloced starts at the preallocation in both and grows by
// what the items take: a whole 1 MiB page in memcached, the written 4 KiB
// pages here. Our worker threads (-t 2) all report the same figures.

import t from 'tap';
import type { Test } from 'tap';
import { exchange } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { runBin, serveBin } from '../hardening/helpers/bin.js';
import { needs } from '../peers.js';

const MIB = 1024 * 1024;
const INITIAL = 2 ** 32 + 32;
const ENV = { T_MEMD_INITIAL_MALLOC: String(INITIAL) };
const ARGS = ['-m', '4098', '-M'];
const VALUE = 'a'.repeat(400 * 1024);
const OUT_OF_MEMORY = 'SERVER_ERROR out of memory storing object\r\n';
const skipMemcached = needs('memcached-oracle').skip;

async function stat(target: number | string, group: string, name: string): Promise<string | undefined> {
  const text = (await exchange(target, `stats${group === '' ? '' : ' ' + group}\r\n`)).reply.toString('latin1');
  return new RegExp(`STAT ${name} (\\S+)\\r\\n`).exec(text)?.[1];
}

const set = async (target: number | string, key: string): Promise<string> =>
  (await exchange(target, `set ${key} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`)).reply.toString('latin1');

/** The checks both servers must pass; returns total_malloced after two items. */
async function sameReplies(t: Test, target: number | string): Promise<number> {
  t.equal(await stat(target, '', 'limit_maxbytes'), String(4098 * MIB), 'limit_maxbytes is -m, preallocation included');
  t.equal(await stat(target, '', 'pointer_size'), '64');
  t.equal(await stat(target, 'slabs', 'total_malloced'), String(INITIAL), 'total_malloced starts at the preallocation');
  t.equal(await stat(target, 'slabs', 'active_slabs'), '0');
  t.same([await set(target, 'big1'), await set(target, 'big2')], ['STORED\r\n', 'STORED\r\n'], 'two 400 KiB items fit what -m leaves');
  t.same([await set(target, 'big3'), await set(target, 'big4')], [OUT_OF_MEMORY, OUT_OF_MEMORY], '-M: no room for a third');
  t.equal(await stat(target, 'slabs', 'active_slabs'), '1');
  const malloced = Number(await stat(target, 'slabs', 'total_malloced'));
  t.ok(malloced >= INITIAL + 2 * VALUE.length && malloced <= INITIAL + MIB, `grown by the two items' memory, at most one 1 MiB page (${malloced - INITIAL})`);
  // 4100 MiB leaves 2 MiB - 32 bytes beside the preallocation: one more page or segment.
  t.equal((await exchange(target, 'cache_memlimit 4100\r\n')).reply.toString('latin1'), 'OK\r\n');
  t.equal(await set(target, 'big3'), 'STORED\r\n', 'room for one more once the limit grows');
  t.equal(await stat(target, '', 'limit_maxbytes'), String(4100 * MIB));
  const got = (await exchange(target, 'get big1 big2 big3\r\n')).reply.toString('latin1');
  t.equal((got.match(/^VALUE /gm) ?? []).length, 3, 'the three items read back');
  return malloced;
}

t.test('ours: the preallocation counts first, against -m', async (t) => {
  const server = await serveBin([...ARGS, '-t', '2', '-U', '0'], { env: { ...process.env, ...ENV } });
  t.teardown(() => server.kill());
  const malloced = await sameReplies(t, server.port);
  t.equal((malloced - INITIAL) % 4096, 0, 'ours: the items\' written memory in whole 4 KiB pages');
  t.ok(malloced - INITIAL < MIB, 'ours: less than a whole segment');
  const seen = await Promise.all([0, 1, 2, 3].map(() => stat(server.port, 'slabs', 'total_malloced')));
  t.ok(seen.every((v) => v === seen[0]), `every connection (worker) reports the same figure (${seen.join(', ')})`);
});

t.test('memcached 1.6.18 gives the same replies', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached(ARGS, ENV);
  t.teardown(() => mc.stop());
  const malloced = await sameReplies(t, mc.path);
  t.equal(malloced, INITIAL + MIB, 'memcached: one whole 1 MiB page');
});

t.test('refused at start when too big, ignored when not a number (as memcached reads it)', async (t) => {
  const tooBig = runBin(ARGS, { T_MEMD_INITIAL_MALLOC: String(4098 * MIB - MIB + 8) });
  t.equal(tooBig.status, 64);
  t.match(tooBig.stderr, /T_MEMD_INITIAL_MALLOC=\d+ leaves less than one segment \(1048576 bytes\) of -m 4098/);
  const negative = runBin(ARGS, { T_MEMD_INITIAL_MALLOC: '-1' });
  t.equal(negative.status, 64);
  t.match(negative.stderr, /is negative/);
  const server = await serveBin([...ARGS, '-U', '0'], { env: { ...process.env, T_MEMD_INITIAL_MALLOC: '12x' } });
  t.teardown(() => server.kill());
  t.equal(await stat(server.port, 'slabs', 'total_malloced'), '0', '"12x" is not a number: no preallocation');
  t.equal(await stat(server.port, 'segcache', 'segcache_segments_total'), '4098', 'the whole -m for the heap');
});
