// `store_too_large` counts values refused as over -I, as memcached counts
// them (t/stats.t): text sets (noreply too) and meta ms, refused before the
// value is read; not binary sets (memcached's binary protocol does not
// count them). Checked against the real memcached 1.6.18 where installed.

import t from 'tap';
import type { Test } from 'tap';
import { connect, readUntil } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { needs } from '../peers.js';
import { startTestServer } from './helpers/server.js';

const skip = needs('memcached-oracle').skip;

async function call(target: number | string, request: string): Promise<string> {
  const socket = await connect(target);
  try {
    const r = readUntil(socket, (b) => b.toString('latin1').endsWith('END\r\n'));
    socket.write(Buffer.from(request + 'stats\r\n', 'latin1'));
    return (await r).reply.toString('latin1');
  } finally {
    socket.destroy();
  }
}

function stat(reply: string, name: string): number {
  const m = new RegExp(`STAT ${name} (\\d+)\\r\\n`).exec(reply);
  return m ? Number(m[1]) : NaN;
}

/** Both servers run with -I 1024. */
async function check(t: Test, target: number | string): Promise<void> {
  const big = 'B'.repeat(2048);
  const first = await call(target, `set too_large 0 0 2048\r\n${big}\r\n`);
  t.match(first, /^SERVER_ERROR object too large for cache\r\n/, 'refused');
  t.equal(stat(first, 'store_too_large'), 1, 'text set counted');
  const more = await call(target, `set too_large 0 0 2048 noreply\r\n${big}\r\nms too_large 2048\r\n${big}\r\n`);
  t.match(more, /^SERVER_ERROR object too large for cache\r\nSTAT /, 'noreply set silent, ms refused');
  t.equal(stat(more, 'store_too_large'), 3, 'noreply set and ms counted');
}

t.test('our server counts values over -I', async (t) => {
  const { port } = await startTestServer(t, { itemSizeMax: 1024 });
  await check(t, port);
});

t.test('memcached counts them the same', { skip }, async (t) => {
  const mc = await startMemcached(['-I', '1024', '-o', 'slab_chunk_max=1024']);
  t.teardown(() => mc.stop());
  await check(t, mc.path);
});
