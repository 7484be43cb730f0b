// direct-reads: accepted plain sockets (TCP and Unix) read into the thread's
// shared buffer with a callback per read; 'end' still arrives; TLS sockets
// and sockets without a handle are declined and left untouched.

import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDirect } from '../../lib/server/direct-reads.js';

interface Received {
  text: string;
  buffers: Set<ArrayBufferLike>;
  ended: Promise<void>;
}

/** Serve one connection through readDirect; what it read, once the client ends. */
async function serveOne(listen: net.ListenOptions, send: (socket: net.Socket) => void): Promise<{ applied: boolean; received: Received; dataListeners: number }> {
  const received: Received = { text: '', buffers: new Set(), ended: Promise.resolve() };
  let applied = false;
  let dataListeners = -1;
  const server = net.createServer({ allowHalfOpen: true });
  const accepted = new Promise<void>((resolve) => {
    server.on('connection', (socket) => {
      applied = readDirect(socket, (chunk) => {
        received.buffers.add(chunk.buffer);
        received.text += chunk.toString('latin1');
      });
      socket.resume();
      dataListeners = socket.listenerCount('data');
      received.ended = new Promise((done) => socket.on('end', () => {
        socket.end();
        done();
      }));
      resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(listen, resolve));
  const client = 'path' in listen ? net.connect(listen.path as string) : net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.on('connect', resolve));
  send(client);
  client.end();
  await accepted;
  await received.ended;
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { applied, received, dataListeners };
}

t.test('a TCP socket reads straight into the shared buffer, then ends', async (t) => {
  const big = 'x'.repeat(200_000);
  const { applied, received, dataListeners } = await serveOne({ port: 0, host: '127.0.0.1' }, (c) => {
    c.write('get a\r\n');
    c.write(big);
  });
  t.equal(applied, true, 'applies to an accepted TCP socket');
  t.equal(dataListeners, 0, 'no data listener needed');
  t.equal(received.text, 'get a\r\n' + big, 'every byte arrives, in order, over several reads');
  t.equal(received.buffers.size, 1, 'all reads land in the same memory');
});

t.test('two connections share the one buffer', async (t) => {
  const first = await serveOne({ port: 0, host: '127.0.0.1' }, (c) => c.write('one'));
  const second = await serveOne({ port: 0, host: '127.0.0.1' }, (c) => c.write('two'));
  t.equal(first.received.text, 'one');
  t.equal(second.received.text, 'two');
  t.same([...first.received.buffers], [...second.received.buffers], 'same ArrayBuffer');
});

t.test('a Unix socket reads directly too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gac-direct-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { applied, received } = await serveOne({ path: join(dir, 's') }, (c) => c.write('version\r\n'));
  t.equal(applied, true);
  t.equal(received.text, 'version\r\n');
});

t.test('declines what it cannot take over', async (t) => {
  const unconnected = new net.Socket();
  t.equal(readDirect(unconnected, () => t.fail('no reads')), false, 'no handle yet');
  const wrapped = new tls.TLSSocket(new net.Socket());
  t.equal(readDirect(wrapped, () => t.fail('no reads')), false, 'a TLS socket keeps the stream path');
  wrapped.destroy();
  unconnected.destroy();
});
