// `stats items` and `stats slabs` per memcached slab class, through the
// server: the same workload on us and on the real memcached 1.6.18 (LRU
// maintainer off, as our general stats reads) gives the same names in the
// same order and the same counts where both have the figure; memcached-tool's
// display shows the per-class table; with worker threads every thread's
// counts are summed.

import t from 'tap';
import { connect, exchange, readUntil } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { needs, peerCommand, MEMCACHED_TOOL_SCRIPT } from '../peers.js';
import { startTestServer } from './helpers/server.js';
import { run } from '../observability/helpers.js';

async function statPairs(target: number | string, group: string): Promise<Array<[string, string]>> {
  const text = (await exchange(target, group === '' ? 'stats\r\n' : `stats ${group}\r\n`)).reply.toString('latin1');
  return [...text.matchAll(/^STAT (\S+) (.*)\r$/gm)].map((m) => [m[1]!, m[2]!]);
}

/** Items of three classes, then one of each command that counts per class. */
const WORKLOAD = [
  ...Array.from({ length: 5 }, (_, i) => `set small${i} 0 0 2\r\nab\r\n`),
  ...Array.from({ length: 3 }, (_, i) => `set mid${i} 5 0 500\r\n${'m'.repeat(500)}\r\n`),
  `set big 0 0 3000\r\n${'b'.repeat(3000)}\r\n`,
  'set n 0 0 2\r\n10\r\n',
  'get small0 small1 mid0 big nope\r\n',
  'incr n 5\r\n',
  'decr n 1\r\n',
  'gets n\r\n',
  'cas n 0 0 2 999999\r\n11\r\n',
  'touch mid1 100\r\n',
  'delete small4\r\n',
  'delete mid2\r\n',
].join('');

/** Same command stream for both; the cas unique of `n` is read first so one cas hits. */
async function drive(target: number | string): Promise<void> {
  await exchange(target, WORKLOAD);
  const gets = (await exchange(target, 'gets n\r\n')).reply.toString('latin1');
  const unique = /^VALUE n 0 2 (\d+)/.exec(gets)![1];
  await exchange(target, `cas n 0 0 2 ${unique}\r\n12\r\n`);
}

/** The figures both servers have in the same sense. */
const SAME_VALUES = /:(number|evicted|evicted_nonzero|outofmemory|tailrepairs|reclaimed|expired_unfetched|evicted_unfetched|crawler_reclaimed|lrutail_reflocked|chunk_size|used_chunks|free_chunks_end|get_hits|cmd_set|delete_hits|incr_hits|decr_hits|cas_hits|cas_badval|touch_hits)$/;

t.test('stats items and slabs: memcached names, order and counts', needs('memcached-oracle'), async (t) => {
  const mc = await startMemcached(['-o', 'no_lru_maintainer']);
  t.teardown(() => mc.stop());
  const { port } = await startTestServer(t);
  await drive(mc.path);
  await drive(port);
  for (const group of ['items', 'slabs']) {
    const theirs = await statPairs(mc.path, group);
    const ours = await statPairs(port, group);
    t.ok(theirs.length > 30, `memcached lists ${theirs.length} ${group} lines`);
    t.same(
      ours.map(([n]) => n),
      theirs.map(([n]) => n),
      `stats ${group}: the same names in the same order`,
    );
    const pick = (pairs: Array<[string, string]>): Array<[string, string]> => pairs.filter(([n]) => SAME_VALUES.test(n));
    t.same(pick(ours), pick(theirs), `stats ${group}: the same counts`);
  }
  // stats reset zeroes the per-class events on both; the gauges stay.
  for (const target of [mc.path, port]) await exchange(target, 'stats reset\r\n');
  const after = new Map(await statPairs(port, 'slabs'));
  t.same([after.get('1:get_hits'), after.get('1:used_chunks')], ['0', '5']);
  t.same(
    (await statPairs(port, 'slabs')).filter(([n]) => SAME_VALUES.test(n)),
    (await statPairs(mc.path, 'slabs')).filter(([n]) => SAME_VALUES.test(n)),
    'the same after stats reset',
  );
});

t.test("memcached-tool display: the per-class table, as memcached's", needs('memcached-tool', 'memcached-oracle'), async (t) => {
  const mc = await startMemcached(['-o', 'no_lru_maintainer']);
  t.teardown(() => mc.stop());
  const { port } = await startTestServer(t);
  await drive(mc.path);
  await drive(port);
  const table = async (server: string): Promise<string[][]> => {
    const res = await run(peerCommand('memcached-tool'), [MEMCACHED_TOOL_SCRIPT, server, 'display']);
    t.equal(res.code, 0, res.stderr);
    t.match(res.stdout, /^\s+#\s+Item_Size\s+Max_age\s+Pages\s+Count\s+Full\?\s+Evicted\s+Evict_Time\s+OOM\n/);
    return res.stdout.trim().split('\n').slice(1).map((r) => r.trim().split(/\s+/));
  };
  const ours = await table(`127.0.0.1:${port}`);
  const theirs = await table(mc.path);
  // Class, chunk size, count, evicted and OOM are the same figures; pages
  // (our segments holding the class) and Full? are ours.
  const same = (rows: string[][]): string[][] => rows.map((r) => [r[0]!, r[1]!, r[4]!, r[6]!, r[8]!]);
  t.same(same(ours), same(theirs));
  // 5 small items and `n` less one deleted; 3 with flags less one deleted; one 3000-byte value.
  t.same(same(ours), [
    ['1', '96B', '5', '0', '0'],
    ['9', '600B', '2', '0', '0'],
    ['17', '3.5K', '1', '0', '0'],
  ]);
  for (const r of ours) t.ok(Number(r[3]) >= 1, `class ${r[0]}: its records are in ${r[3]} segment(s)`);
  const stats = await run(peerCommand('memcached-tool'), [MEMCACHED_TOOL_SCRIPT, `127.0.0.1:${port}`, 'stats']);
  t.equal(stats.code, 0, stats.stderr);
  t.match(stats.stdout, /^\s+curr_items\s+8$/m);
});

t.test('-t 2: every thread counts in its class, stats sums them', async (t) => {
  const { port } = await startTestServer(t, { threads: 2 });
  // Each exchange opens its own connection: they land on both workers.
  for (let i = 0; i < 8; i++) await exchange(port, `set k${i} 0 0 1\r\nx\r\nget k${i}\r\nget k${i}\r\n`);
  const items = new Map(await statPairs(port, 'items'));
  const slabs = new Map(await statPairs(port, 'slabs'));
  const general = new Map(await statPairs(port, ''));
  t.equal(items.get('items:1:number'), '8');
  t.equal(slabs.get('1:cmd_set'), '8');
  t.equal(slabs.get('1:get_hits'), '16');
  t.equal(general.get('get_hits'), '16');
});

t.test('lru_crawler metadump: cls= is the class stats items counts, and ids select classes', needs('memcached-oracle'), async (t) => {
  const mc = await startMemcached(['-o', 'no_lru_maintainer']);
  t.teardown(() => mc.stop());
  const { port } = await startTestServer(t);
  await drive(mc.path);
  await drive(port);
  const dump = async (target: number | string, ids: string): Promise<string[]> => {
    // Alone on its connection: memcached refuses commands pipelined with a metadump.
    const socket = await connect(target);
    const done = readUntil(socket, (got) => got.toString('latin1').endsWith('END\r\n'));
    socket.write(`lru_crawler metadump ${ids}\r\n`);
    const text = (await done).reply.toString('latin1');
    socket.destroy();
    return [...text.matchAll(/^key=(\S+) .* cls=(\d+) /gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  };
  const all = await dump(port, 'all');
  t.same(all, await dump(mc.path, 'all'), 'every key in the class memcached puts it in');
  t.equal(all.length, 8);
  t.same(await dump(port, '9,17'), ['big 17', 'mid0 9', 'mid1 9']);
  t.same(await dump(port, '9,17'), await dump(mc.path, '9,17'));
  t.same(await dump(port, '2'), []);
});
