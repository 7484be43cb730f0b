// The general `stats` has exactly memcached 1.6.18's names, in its order
// (t/stats.t counts them: 83 with its options), our own fields are in
// `stats segcache`, and read_buf_count / read_buf_bytes follow the input
// buffers connections really hold. Names checked against the real memcached
// where installed.

import t from 'tap';
import { connect, exchange, readUntil } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { needs } from '../peers.js';
import { startTestServer } from './helpers/server.js';

const skip = needs('memcached-oracle').skip;

async function statPairs(target: number | string, group = ''): Promise<Array<[string, string]>> {
  const text = (await exchange(target, group === '' ? 'stats\r\n' : `stats ${group}\r\n`)).reply.toString('latin1');
  return [...text.matchAll(/^STAT (\S+) (.*)\r$/gm)].map((m) => [m[1]!, m[2]!]);
}

/** t/stats.t's options: -I 1024 -o slab_chunk_max=1024,no_lru_crawler,no_lru_maintainer. */
async function ours(t: Parameters<typeof startTestServer>[0]): Promise<number> {
  const { port } = await startTestServer(t, { itemSizeMax: 1024, lruCrawler: false });
  return port;
}

t.test('general stats: no names of ours, memcached-only counters present', async (t) => {
  const port = await ours(t);
  const names = (await statPairs(port)).map(([n]) => n);
  t.equal(names.length, 83, 'memcached 1.6.18 has 83 with these options');
  t.equal(new Set(names).size, names.length, 'no name twice');
  t.notOk(
    names.some((n) => n.startsWith('segcache_') || n.endsWith('_requests') || n.startsWith('restart_')),
    'our own fields are not in the general stats',
  );
  const own = new Map(await statPairs(port, 'segcache'));
  for (const n of ['segcache_inline_merges', 'segcache_segments_total', 'text_requests', 'request_faults', 'restart_warm']) t.ok(own.has(n), `stats segcache has ${n}`);
  t.equal(own.get('text_requests'), '2', 'the general stats request and this one');
});

t.test('read_buf_count and read_buf_bytes count the input buffers held', async (t) => {
  const port = await ours(t);
  const read = async (): Promise<[number, number]> => {
    const m = new Map(await statPairs(port));
    return [Number(m.get('read_buf_count')), Number(m.get('read_buf_bytes'))];
  };
  const [count0, bytes0] = await read();
  // A request cut in the middle is held in an input buffer until the rest comes.
  const socket = await connect(port);
  socket.write('set partial 0 0 10\r\n12345');
  let held = await read();
  for (let i = 0; i < 50 && held[0] === count0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    held = await read();
  }
  t.equal(held[0], count0 + 1, 'one more buffer while the value is incomplete');
  t.ok(held[1] >= bytes0 + 16 * 1024, `its bytes counted (${held[1] - bytes0})`);
  const done = readUntil(socket, (b) => b.toString('latin1').endsWith('STORED\r\n'));
  socket.write('67890\r\n');
  await done;
  socket.destroy();
  let after = await read();
  for (let i = 0; i < 50 && after[0] !== count0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    after = await read();
  }
  t.same(after, [count0, bytes0], 'given back when the connection closes');
});

t.test('the same names, in the same order, as memcached 1.6.18', { skip }, async (t) => {
  const mc = await startMemcached(['-I', '1024', '-o', 'slab_chunk_max=1024,no_lru_crawler,no_lru_maintainer']);
  t.teardown(() => mc.stop());
  const theirs = (await statPairs(mc.path)).map(([n]) => n);
  const port = await ours(t);
  t.same((await statPairs(port)).map(([n]) => n), theirs);
  // t/stats.t: one small item, then `stats cachedump 1 100` lists it.
  const dump = async (target: number | string): Promise<string> => {
    await exchange(target, 'set foo 0 0 6\r\nfooval\r\n');
    return (await exchange(target, 'stats cachedump 1 100\r\n')).reply.toString('latin1');
  };
  const mine = await dump(port);
  t.equal(mine, await dump(mc.path));
  t.equal(mine, 'ITEM foo [6 b; 0 s]\r\nEND\r\n');
  t.equal((await exchange(mc.path, 'stats segcache\r\n')).reply.toString('latin1'), 'ERROR\r\n', 'memcached has no such group');
});
