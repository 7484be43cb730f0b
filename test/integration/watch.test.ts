// `watch`: the same log lines as memcached 1.6.18 for the same traffic
// (timestamps, gids and fds aside), -W, bad arguments, the bus going quiet
// when the last watcher leaves, and a slow watcher's bounded buffer.
// Mostly one worker thread (threads: 1); the -t 4 case checks that the same
// lines reach a watcher served by another worker (watch-threads.test.ts has
// the rest of -t N).

import t from 'tap';
import type { Test } from 'tap';
import { connect, readUntil } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { needs } from '../peers.js';
import { startTestServer } from './helpers/server.js';
import { startWatcher, waitFor } from './helpers/watcher.js';
import type { Settings } from '../../lib/cli/settings.js';
import { watchBus, WatchBus, WATCH } from '../../lib/observability/watch-bus.js';
import { WatchStream } from '../../lib/observability/watch-stream.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';

const skipMemcached = needs('memcached-oracle').skip;

const TRAFFIC = 'set wa 1 0 2\r\nhi\r\nget wa wb\r\nadd wa 0 100 1\r\nx\r\nset wt 0 100 1\r\nx\r\ngets wa\r\nmn\r\n';

/** The watch lines for TRAFFIC, with ts, gid and cfd masked. */
async function watchedLines(t: Test, target: number | string): Promise<string[]> {
  const w = await startWatcher(target, 'fetchers mutations');
  t.teardown(() => w.socket.destroy());
  t.equal(w.text().slice(0, 4), 'OK\r\n', 'watch answers OK');
  const client = await connect(target);
  const done = readUntil(client, (b) => b.toString('latin1').endsWith('MN\r\n'));
  client.write(TRAFFIC);
  await done;
  client.destroy();
  // gets wa is the last event: its line ends the capture.
  await waitFor(() => (w.text().match(/type=item_get key=wa status=found/g) ?? []).length >= 3);
  return w
    .text()
    .slice(4)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^ts=\d+\.\d+ gid=\d+ /, 'ts=T gid=G ').replace(/cfd=\d+/, 'cfd=F'));
}

const EXPECTED = [
  'ts=T gid=G type=item_get key=wa status=not_found clsid=0 cfd=F size=0',
  'ts=T gid=G type=item_store key=wa status=stored cmd=set ttl=0 clsid=1 cfd=F size=2',
  'ts=T gid=G type=item_get key=wa status=found clsid=1 cfd=F size=2',
  'ts=T gid=G type=item_get key=wb status=not_found clsid=0 cfd=F size=0',
  'ts=T gid=G type=item_get key=wa status=found clsid=1 cfd=F size=2',
  'ts=T gid=G type=item_store key=wa status=not_stored cmd=add ttl=100 clsid=1 cfd=F size=1',
  'ts=T gid=G type=item_get key=wt status=not_found clsid=0 cfd=F size=0',
  'ts=T gid=G type=item_store key=wt status=stored cmd=set ttl=100 clsid=1 cfd=F size=1',
  'ts=T gid=G type=item_get key=wa status=found clsid=1 cfd=F size=2',
];

t.test('our server logs fetchers and mutations as memcached', async (t) => {
  const { port } = await startTestServer(t, { threads: 1 });
  t.equal(watchBus.flags, 0, 'nobody watches: the bus is off');
  t.same(await watchedLines(t, port), EXPECTED);
});

t.test('-t 4: a watcher sees the lines of traffic another worker serves', async (t) => {
  // Each connection goes to the next worker: the watcher and the client are on two.
  const { port } = await startTestServer(t, { threads: 4 });
  t.same(await watchedLines(t, port), EXPECTED);
});

t.test('memcached logs the same lines', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached();
  t.teardown(() => mc.stop());
  t.same(await watchedLines(t, mc.path), EXPECTED);
});

async function checkRefusals(t: Test, target: number | string, watchEnabled: boolean): Promise<void> {
  const one = async (request: string): Promise<string> => {
    const socket = await connect(target);
    try {
      const r = readUntil(socket, (b) => b.toString().includes('\r\n'));
      socket.write(request);
      return (await r).reply.toString('latin1');
    } finally {
      socket.destroy();
    }
  };
  if (!watchEnabled) {
    t.equal(await one('watch\r\n'), 'CLIENT_ERROR watch commands not allowed\r\n', '-W');
    return;
  }
  t.equal(await one('watch bogus\r\n'), 'ERROR\r\n', 'unknown type');
  t.equal(await one('version\r\nwatch\r\n'), (await one('version\r\n')) + 'ERROR cannot pipeline other commands before watch\r\n');
}

t.test('refusals', async (t) => {
  const { port } = await startTestServer(t, { threads: 1 });
  await checkRefusals(t, port, true);
  const off = await startTestServer(t, { watchEnabled: false, threads: 1 } as Partial<Settings>);
  await checkRefusals(t, off.port, false);
});

t.test('memcached refuses the same way', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached();
  t.teardown(() => mc.stop());
  await checkRefusals(t, mc.path, true);
  const off = await startMemcached(['-W']);
  t.teardown(() => off.stop());
  await checkRefusals(t, off.path, false);
});

t.test('connevents, and the bus goes quiet when the watcher leaves', async (t) => {
  const { port } = await startTestServer(t, { threads: 1 });
  const w = await startWatcher(port, 'connevents');
  t.equal(watchBus.flags, WATCH.CONNEVENTS);
  const client = await connect(port);
  const local = client.localPort;
  const bye = readUntil(client, () => false);
  client.end('quit\r\n');
  await bye;
  await waitFor(() => w.text().includes('conn_close'));
  t.match(w.text(), new RegExp(`^OK\\r\\nts=\\d+\\.\\d+ gid=\\d+ type=conn_new rip=127\\.0\\.0\\.1 rport=${local} transport=tcp cfd=\\d+\\n`));
  t.match(w.text(), new RegExp(`ts=\\d+\\.\\d+ gid=\\d+ type=conn_close rip=127\\.0\\.0\\.1 rport=${local} transport=tcp reason=normal cfd=\\d+\\n$`));
  w.socket.destroy();
  await waitFor(() => watchBus.flags === 0);
  t.equal(watchBus.watcherCount, 0, 'the watcher unsubscribed on close');
});

t.test('a slow watcher gets skipped=N and a bounded buffer', async (t) => {
  const bus = new WatchBus();
  const stream = new WatchStream(bus, WATCH.FETCHERS, 1024);
  let wakes = 0;
  stream.attach(() => wakes++);
  t.ok(bus.subscribe(stream));
  const body = 'type=item_get key=' + 'k'.repeat(80);
  for (let i = 0; i < 100; i++) bus.publish(WATCH.FETCHERS, body);
  bus.publish(WATCH.MUTATIONS, 'type=item_store not watched');
  t.ok(bus.skipped > 80, `most lines were skipped (${bus.skipped})`);
  t.ok(wakes > 0, 'the connection was woken');
  const out = new ReplyWriter();
  stream.pump(out);
  const first = out.take();
  const text = (Array.isArray(first) ? Buffer.concat(first) : first!).toString();
  t.ok(text.length <= 1024, 'never more than the buffer');
  t.notMatch(text, /item_store/, 'types not asked for are not sent');
  // After the buffer drained, the next line is preceded by the count.
  const skipped = bus.skipped;
  bus.publish(WATCH.FETCHERS, 'type=item_get key=after');
  stream.pump(out);
  const second = out.take();
  const next = (Array.isArray(second) ? Buffer.concat(second) : second!).toString();
  t.match(next, new RegExp(`^skipped=${skipped}\\nts=\\d+\\.\\d+ gid=\\d+ type=item_get key=after\\n$`));
  stream.end();
  t.equal(bus.flags, 0);
});
