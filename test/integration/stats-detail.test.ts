// `stats detail on|off|dump` with real per-prefix counts, against our
// server and the real memcached 1.6.18 (line order aside: memcached lists
// prefixes in its hash order), -D, and the bound on distinct prefixes.
// With -t 4 every request below runs on its own connection, so on the next
// worker: on, traffic, dump, off and reset each land on a different one.

import t from 'tap';
import type { Test } from 'tap';
import { connect, readUntil } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { needs } from '../peers.js';
import { startTestServer } from './helpers/server.js';
import type { Settings } from '../../lib/cli/settings.js';
import { newPrefixStatsMemory, PrefixStats } from '../../lib/observability/prefix-stats.js';

const skipMemcached = needs('memcached-oracle').skip;

async function say(target: number | string, request: string, replyLines: number | 'END'): Promise<string> {
  const socket = await connect(target);
  try {
    const r = readUntil(socket, (b) =>
      replyLines === 'END' ? b.toString('latin1').endsWith('END\r\n') : (b.toString('latin1').match(/\r\n/g) ?? []).length >= replyLines,
    );
    socket.write(request);
    return (await r).reply.toString('latin1');
  } finally {
    socket.destroy();
  }
}

const dump = async (target: number | string): Promise<string[]> => {
  const socket = await connect(target);
  try {
    const r = readUntil(socket, (b) => b.toString('latin1').endsWith('END\r\n'));
    socket.write('stats detail dump\r\n');
    return (await r).reply.toString('latin1').split('\r\n').filter((l) => l !== '').sort();
  } finally {
    socket.destroy();
  }
};

async function checkDetail(t: Test, target: number | string, delimiter = ':'): Promise<void> {
  const d = delimiter;
  t.equal(await say(target, 'stats detail\r\n', 1), 'CLIENT_ERROR usage: stats detail on|off|dump\r\n');
  t.equal(await say(target, 'stats detail foo\r\n', 1), 'CLIENT_ERROR usage: stats detail on|off|dump\r\n');
  t.equal(await say(target, 'stats detail on\r\n', 1), 'OK\r\n');
  const traffic = `set a${d}1 0 0 1\r\nx\r\nget a${d}1 a${d}2 b${d}1 nodelim\r\ndelete a${d}1\r\ndelete c${d}9\r\nset ${d}e 0 0 1\r\nx\r\n`;
  t.equal(await say(target, traffic, 5), 'STORED\r\nVALUE a' + d + '1 0 1\r\nx\r\nEND\r\nDELETED\r\nNOT_FOUND\r\nSTORED\r\n');
  t.same(await dump(target), [
    'END',
    'PREFIX  get 0 hit 0 set 1 del 0',
    'PREFIX a get 2 hit 1 set 1 del 1',
    'PREFIX b get 1 hit 0 set 0 del 0',
    'PREFIX c get 0 hit 0 set 0 del 1',
  ]);
  t.equal(await say(target, `stats detail off\r\nget a${d}1\r\n`, 2), 'OK\r\nEND\r\n');
  t.same((await dump(target)).find((l) => l.startsWith('PREFIX a ')), 'PREFIX a get 2 hit 1 set 1 del 1', 'off stops counting');
  t.equal(await say(target, 'stats reset\r\n', 1), 'RESET\r\n');
  t.same(await dump(target), ['END'], 'stats reset clears the prefixes');
}

t.test('our server', async (t) => {
  const { port } = await startTestServer(t, { threads: 1 });
  const settings = await say(port, 'stats settings\r\n', 'END');
  t.match(settings, /STAT detail_enabled no\r\n/, 'off by default');
  await checkDetail(t, port);
});

t.test('-t 4: on/off apply to every worker and the dump sums them', async (t) => {
  const { port } = await startTestServer(t, { threads: 4 });
  await checkDetail(t, port);
});

t.test('memcached answers the same', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached();
  t.teardown(() => mc.stop());
  await checkDetail(t, mc.path);
});

t.test('-D sets the delimiter (and, as memcached, turns detail on)', async (t) => {
  const { port, server } = await startTestServer(t, { prefixDelimiter: '/', detailEnabled: true, threads: 1 } as Partial<Settings>);
  t.equal(server.context.settings.detailEnabled, true);
  await checkDetail(t, port, '/');
});

t.test('memcached -D / answers the same', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached(['-D', '/']);
  t.teardown(() => mc.stop());
  await checkDetail(t, mc.path, '/');
});

t.test('distinct prefixes are bounded', async (t) => {
  const stats = new PrefixStats(':'.charCodeAt(0), 3);
  for (const p of ['a', 'b', 'c', 'd', 'e']) stats.recordSet(Buffer.from(`${p}:k`));
  stats.recordSet(Buffer.from('a:again'));
  t.equal(stats.size, 3, 'no more than the limit');
  t.equal(stats.untracked, 2, 'new prefixes beyond it are counted as untracked');
  t.match(stats.dump(), /^PREFIX a get 0 hit 0 set 2 del 0\r\n/, 'known prefixes keep counting');
});

t.test('threads share one table: their counts add up, a reset clears every row', async (t) => {
  const memory = newPrefixStatsMemory(2, 100);
  const a = new PrefixStats(':'.charCodeAt(0), memory, 0);
  const b = new PrefixStats(':'.charCodeAt(0), memory, 1);
  a.recordSet(Buffer.from('p:1'));
  b.recordSet(Buffer.from('p:2'));
  b.recordGet(Buffer.from('q:1'), true);
  a.recordGet(Buffer.from('p:1'), false);
  t.equal(b.size, 2, 'one entry per prefix, whichever thread saw it first');
  const expected = 'PREFIX p get 1 hit 0 set 2 del 0\r\nPREFIX q get 1 hit 1 set 0 del 0\r\nEND';
  t.equal(a.dump(), expected);
  t.equal(b.dump(), expected, 'the same dump from either thread');
  a.clear();
  t.equal(b.dump(), 'END', 'reset: no thread keeps its counts');
  b.recordDelete(Buffer.from('q:1'));
  t.equal(a.dump(), 'PREFIX q get 0 hit 0 set 0 del 1\r\nEND', 'counting starts again from zero');
});
