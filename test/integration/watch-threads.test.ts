// watch and stats detail in a -t 4 server: one watcher sees the traffic of
// every worker (connections are handed to the workers in turn) and the
// evictions the housekeeping thread makes; a watcher that does not read
// gets skipped=N while the server's memory stays bounded; `stats detail
// dump` sums the counts of every worker; the watcher counters in `stats`
// are the whole server's.

import t from 'tap';
import type net from 'node:net';
import { connect, exchange, readUntil } from './helpers/exchange.js';
import { startTestServer } from './helpers/server.js';
import { startWatcher, waitFor } from './helpers/watcher.js';

const CLIENTS = 8;

/** One -t 4 server for the tests that need no settings of their own (starting four workers is slow on a loaded machine). */
let shared: Promise<number> | undefined;
function sharedServer(): Promise<number> {
  shared ??= startTestServer(t, { threads: 4 }).then((s) => s.port);
  return shared;
}

/** `stats` as a name -> value map. */
async function stats(port: number, group = ''): Promise<Map<string, string>> {
  const text = (await exchange(port, group === '' ? 'stats\r\n' : `stats ${group}\r\n`)).reply.toString('latin1');
  return new Map([...text.matchAll(/^STAT (\S+) (.*)\r$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Run `request` on CLIENTS connections at once (so spread over every worker); each reply ends with `end`. */
async function onEveryWorker(port: number, request: (i: number) => string, end: string): Promise<void> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < CLIENTS; i++) sockets.push(await connect(port));
  await Promise.all(
    sockets.map((s, i) => {
      const done = readUntil(s, (b) => b.toString('latin1').endsWith(end));
      s.write(request(i));
      return done;
    }),
  );
  for (const s of sockets) s.destroy();
}

t.test('a watcher sees gets and sets from connections on every worker', async (t) => {
  const port = await sharedServer();
  const w = await startWatcher(port, 'fetchers mutations');
  t.teardown(() => w.socket.destroy());
  t.equal(w.text(), 'OK\r\n');
  const s = await stats(port);
  t.equal(s.get('log_watchers'), '1', 'stats on another worker counts the watcher');
  await onEveryWorker(port, (i) => `set tk${i} 0 0 2\r\nv${i % 10}\r\nget tk${i}\r\n`, 'END\r\n');
  await waitFor(() => (w.text().match(/type=item_get key=tk\d+ status=found/g) ?? []).length >= CLIENTS, `${CLIENTS} item_get lines`, w.text);
  const lines = w.text().slice(4).split('\n');
  for (let i = 0; i < CLIENTS; i++) {
    t.ok(
      lines.some((l) => new RegExp(`^ts=\\d+\\.\\d+ gid=\\d+ type=item_store key=tk${i} status=stored cmd=set ttl=0 clsid=1 cfd=\\d+ size=2$`).test(l)),
      `set tk${i}`,
    );
    t.ok(
      lines.some((l) => new RegExp(`^ts=\\d+\\.\\d+ gid=\\d+ type=item_get key=tk${i} status=found clsid=1 cfd=\\d+ size=2$`).test(l)),
      `get tk${i}`,
    );
  }
  const cfds = new Set(lines.flatMap((l) => /type=item_store .* cfd=(\d+)/.exec(l)?.[1] ?? []));
  t.equal(cfds.size, CLIENTS, 'one connection id per client');
  const gids = lines.flatMap((l) => /gid=(\d+)/.exec(l)?.[1] ?? []).map(Number);
  t.equal(new Set(gids).size, gids.length, 'gids are unique across threads');
  const after = await stats(port);
  t.ok(Number(after.get('log_watcher_sent')) >= 2 * CLIENTS, 'log_watcher_sent counts the lines');
  t.ok(Number(after.get('log_worker_written')) >= 2 * CLIENTS, 'log_worker_written counts them as well');
  t.equal(after.get('log_worker_dropped'), '0');
});

t.test('a watcher sees the evictions the housekeeper makes', async (t) => {
  const VALUE = 'v'.repeat(100_000);
  const { port } = await startTestServer(t, { threads: 4, maxBytes: 4 * 1024 * 1024, itemSizeMax: 512 * 1024, evictionPolicy: 'fifo' });
  const w = await startWatcher(port, 'evictions');
  t.teardown(() => w.socket.destroy());
  for (let i = 0; i < 300 && Number((await stats(port)).get('evictions')) < 4; i++) {
    await exchange(port, `set ev${i} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`);
  }
  const after = await stats(port);
  const counted = Number(after.get('evictions'));
  t.ok(counted >= 4, `${counted} evictions`);
  // Evictions come from the housekeeper's merges, or inline from a worker when it falls behind.
  t.comment(`inline merges (by workers): ${(await stats(port, 'segcache')).get('segcache_inline_merges')}`);
  await waitFor(() => (w.text().match(/type=eviction/g) ?? []).length >= counted, `${counted} eviction lines`, w.text);
  const lines = w.text().slice(4).split('\n').filter((l) => l !== '');
  t.equal(lines.length, counted, 'one line per eviction stats counts');
  for (const l of lines) t.match(l, /^ts=\d+\.\d+ gid=\d+ type=eviction key=ev\d+ fetch=no ttl=-1 la=\d+ clsid=1 size=100000$/);
});

t.test('a watcher that does not read gets skipped=N; memory stays bounded', async (t) => {
  const port = await sharedServer();
  const start = await stats(port);
  const w = await startWatcher(port, 'fetchers');
  t.teardown(() => w.socket.destroy());
  w.socket.pause();
  // Long keys, many lookups on every worker: far more lines than the
  // watcher's buffer and the sockets' buffers hold.
  const keys = (i: number): string => Array.from({ length: 8 }, (_, k) => `${'x'.repeat(200)}${i}-${k}`).join(' ');
  const request = (i: number): string => Array.from({ length: 400 }, () => `get ${keys(i)}\r\n`).join('');
  for (let round = 0; round < 6 && Number((await stats(port)).get('log_watcher_skipped')) === Number(start.get('log_watcher_skipped')); round++) {
    await onEveryWorker(port, request, 'END\r\n'.repeat(400));
  }
  const s = await stats(port);
  t.ok(Number(s.get('log_watcher_skipped')) > Number(start.get('log_watcher_skipped')), `lines skipped for the slow watcher (${s.get('log_watcher_skipped')})`);
  w.socket.resume();
  // The watcher's buffer empties only once the server has written it out to
  // the resumed socket; a lookup logged before that is skipped as well, so
  // look up a new key until one line fits.
  for (let attempt = 0; !/key=after-resume-\d+ /.test(w.text()); attempt++) {
    if (attempt === 1200) throw new Error(`no lookup after the resume reached the watcher; had: ${w.text().slice(-2000)}`);
    await exchange(port, `get after-resume-${attempt}\r\n`);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.match(w.text(), /\nskipped=\d+\nts=/, 'the count precedes the next line that fits');
  // Bounded: every line a thread wrote was either queued for the watcher
  // (within its 256 KiB) or dropped and counted, none held beyond that.
  const end = await stats(port);
  const delta = (name: string): number => Number(end.get(name)) - Number(start.get(name));
  t.equal(delta('log_watcher_sent') + delta('log_watcher_skipped'), delta('log_worker_written'), 'sent + skipped = written');
});

t.test('stats detail dump sums the counts of every worker', async (t) => {
  const port = await sharedServer();
  t.equal((await exchange(port, 'stats detail on\r\n')).reply.toString(), 'OK\r\n');
  await onEveryWorker(port, (i) => `set p:${i} 0 0 1\r\nx\r\nget p:${i} p:none\r\ndelete q:${i}\r\n`, 'NOT_FOUND\r\n');
  const dump = (await exchange(port, 'stats detail dump\r\n')).reply.toString();
  t.equal(dump, `PREFIX p get ${2 * CLIENTS} hit ${CLIENTS} set ${CLIENTS} del 0\r\nPREFIX q get 0 hit 0 set 0 del ${CLIENTS}\r\nEND\r\n`);
  t.match((await exchange(port, 'stats settings\r\n')).reply.toString(), /STAT detail_enabled yes\r\n/, 'stats settings on another worker');
});
