// watch and stats detail for meta and binary requests: memcached 1.6.18
// logs their lookups and stores with the same item_get / item_store lines
// as text commands, and `stats detail` counts binary get/set/delete but not
// meta commands. Both checked against the real memcached when installed
// (timestamps, gids and fds masked). One worker thread, as watch.test.ts.

import t from 'tap';
import type { Test } from 'tap';
import { connect, readUntil } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { needs } from '../peers.js';
import { startTestServer } from './helpers/server.js';
import { startWatcher, waitFor } from './helpers/watcher.js';
import { packet, storeExtras } from '../binary/packets.js';

const skipMemcached = needs('memcached-oracle').skip;

const META = 'ms mw 2 T0\r\nhi\r\nmg mw v\r\nmg mz v\r\nms mw 1 ME\r\nx\r\nmd mz\r\nmn\r\n';
const BINARY = Buffer.concat([
  packet({ opcode: 0x01, key: 'bw:1', extras: storeExtras(3, 0), value: 'abc' }), // set
  packet({ opcode: 0x00, key: 'bw:1' }), // get
  packet({ opcode: 0x00, key: 'bw:2' }), // get miss
  packet({ opcode: 0x04, key: 'bw:1' }), // delete
  packet({ opcode: 0x0a }), // noop: the end marker
]);

async function send(target: number | string, bytes: string | Buffer, done: (b: Buffer) => boolean): Promise<string> {
  const client = await connect(target);
  try {
    const r = readUntil(client, done);
    client.write(bytes);
    return (await r).reply.toString('latin1');
  } finally {
    client.destroy();
  }
}

const mask = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l !== '' && l !== 'OK\r')
    .map((l) => l.replace(/^ts=\d+\.\d+ gid=\d+ /, 'ts=T gid=G ').replace(/cfd=\d+/, 'cfd=F'));

/** Watch lines for the meta traffic, then for the binary traffic; then the detail dump. */
async function observe(t: Test, target: number | string): Promise<{ meta: string[]; binary: string[]; detail: string[] }> {
  const w = await startWatcher(target, 'fetchers mutations');
  t.teardown(() => w.socket.destroy());
  await send(target, META, (b) => b.toString('latin1').endsWith('MN\r\n'));
  await waitFor(() => (w.text().match(/type=item_/g) ?? []).length >= 7);
  const meta = mask(w.text());
  const seen = w.text().length;
  t.equal(await send(target, 'stats detail on\r\n', (b) => b.toString('latin1').endsWith('\r\n')), 'OK\r\n');
  // noop answers last: its 24-byte header ends the replies.
  await send(target, BINARY, (b) => b.length >= 24 && b[b.length - 24] === 0x81 && b[b.length - 23] === 0x0a);
  await waitFor(() => (w.text().slice(seen).match(/type=item_/g) ?? []).length >= 5);
  const binary = mask(w.text().slice(seen));
  await send(target, 'mg bw:1 v\r\nms bw:3 1\r\nx\r\nmd bw:3\r\nmn\r\n', (b) => b.toString('latin1').endsWith('MN\r\n'));
  const dump = await send(target, 'stats detail dump\r\n', (b) => b.toString('latin1').endsWith('END\r\n'));
  return { meta, binary, detail: dump.split('\r\n').filter((l) => l !== '') };
}

const EXPECTED_DETAIL = ['PREFIX bw get 2 hit 1 set 1 del 1', 'END'];

t.test('our server logs meta and binary traffic and counts binary detail', async (t) => {
  const { port } = await startTestServer(t, { threads: 1 });
  const seen = await observe(t, port);
  t.same(seen.meta, [
    'ts=T gid=G type=item_get key=mw status=not_found clsid=0 cfd=F size=0',
    'ts=T gid=G type=item_store key=mw status=stored cmd=set ttl=0 clsid=1 cfd=F size=2',
    'ts=T gid=G type=item_get key=mw status=found clsid=1 cfd=F size=2',
    'ts=T gid=G type=item_get key=mz status=not_found clsid=0 cfd=F size=0',
    'ts=T gid=G type=item_get key=mw status=found clsid=1 cfd=F size=2',
    'ts=T gid=G type=item_store key=mw status=not_stored cmd=add ttl=0 clsid=1 cfd=F size=1',
    'ts=T gid=G type=item_get key=mz status=not_found clsid=0 cfd=F size=0',
  ]);
  t.same(seen.binary, [
    'ts=T gid=G type=item_get key=bw%3A1 status=not_found clsid=0 cfd=F size=0',
    'ts=T gid=G type=item_store key=bw%3A1 status=stored cmd=set ttl=0 clsid=1 cfd=F size=3',
    'ts=T gid=G type=item_get key=bw%3A1 status=found clsid=1 cfd=F size=3',
    'ts=T gid=G type=item_get key=bw%3A2 status=not_found clsid=0 cfd=F size=0',
    'ts=T gid=G type=item_get key=bw%3A1 status=found clsid=1 cfd=F size=3',
  ], 'delete logs its lookup');
  t.same(seen.detail, EXPECTED_DETAIL, 'binary get/set/delete counted, meta not (as memcached)');
});

t.test('memcached 1.6.18 logs and counts the same', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached();
  t.teardown(() => mc.stop());
  const theirs = await observe(t, mc.path);
  const { port } = await startTestServer(t, { threads: 1 });
  const ours = await observe(t, port);
  t.same(ours.meta, theirs.meta, 'meta lines');
  t.same(ours.binary, theirs.binary, 'binary lines');
  t.same(theirs.detail, EXPECTED_DETAIL);
});

t.test('a connection closed for bad input logs conn_close reason=error (watcher.t)', async (t) => {
  const { port } = await startTestServer(t, { threads: 1 });
  const w = await startWatcher(port, 'connevents');
  t.teardown(() => w.socket.destroy());
  const client = await connect(port);
  const closed = readUntil(client, () => false);
  client.write('GET / HTTP/1.1\r\n');
  await closed;
  await waitFor(() => w.text().includes('conn_close'));
  t.match(w.text(), /type=conn_close rip=127\.0\.0\.1 rport=\d+ transport=tcp reason=error cfd=\d+\n/);
});
