// DirectWriter: writes that bypass the Writable keep its accounting. Bytes
// the kernel has not taken are counted in `queued` until a client that was
// not reading reads them, then onDrained runs once they are all out; every
// byte arrives in order; a write to a socket the peer reset destroys it.

import t from 'tap';
import net from 'node:net';
import type { Test } from 'tap';
import { DirectWriter } from '../../lib/server/direct-writes.js';

async function pair(t: Test): Promise<{ server: net.Socket; client: net.Socket }> {
  const listener = net.createServer({ allowHalfOpen: true });
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  await new Promise<void>((resolve) => (client.connecting ? client.once('connect', () => resolve()) : resolve()));
  t.teardown(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { server, client };
}

t.test('a client that does not read: bytes stay queued, drained once it reads', async (t) => {
  const { server, client } = await pair(t);
  client.pause();
  let drained = 0;
  const writer = DirectWriter.for(server, () => drained++);
  t.ok(writer, 'applies to a plain socket');
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  chunk[0] = 0x62;
  const total = 16;
  for (let i = 0; i < total; i++) writer!.write(chunk, chunk.length);
  t.ok(writer!.queued > 0, `the kernel did not take 16 MiB at once (${writer!.queued} queued)`);
  t.equal(server.writableLength, 0, 'nothing went through the Writable');
  t.equal(drained, 0, 'not drained while the client does not read');

  let received = 0;
  let firstBytes = 0;
  client.on('data', (d: Buffer) => {
    for (let at = (chunk.length - (received % chunk.length)) % chunk.length; at < d.length; at += chunk.length) if (d[at] === 0x62) firstBytes++;
    received += d.length;
  });
  client.resume();
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (received === total * chunk.length && drained > 0) resolve();
      else setImmediate(check);
    };
    check();
  });
  t.equal(received, total * chunk.length, 'every byte arrived');
  t.equal(firstBytes, total, 'in order: each chunk starts where it should');
  t.equal(writer!.queued, 0);
  t.equal(drained, 1, 'drained once, when the last queued write finished');
});

t.test('Buffer lists go out as one write, in order', async (t) => {
  const { server, client } = await pair(t);
  const writer = DirectWriter.for(server, () => {});
  const parts = [Buffer.from('VALUE a 0 1\r\n'), Buffer.from('x\r\n'), Buffer.from('END\r\n')];
  let text = '';
  const got = new Promise<void>((resolve) =>
    client.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.length >= 21) resolve();
    }),
  );
  writer!.write(parts, 21);
  await got;
  t.equal(text, 'VALUE a 0 1\r\nx\r\nEND\r\n');
});

t.test('a write to a reset connection destroys the socket with the error', async (t) => {
  const { server, client } = await pair(t);
  const writer = DirectWriter.for(server, () => t.fail('never drained'));
  const failed = new Promise<Error>((resolve) => server.on('error', resolve));
  const closed = new Promise<void>((resolve) => server.on('close', () => resolve()));
  client.resetAndDestroy();
  await new Promise<void>((resolve) => client.on('close', () => resolve()));
  // Keep writing until the reset is seen (the first write may still succeed).
  const chunk = Buffer.alloc(64 * 1024);
  while (!server.destroyed) {
    writer!.write(chunk, chunk.length);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const err = (await failed) as NodeJS.ErrnoException;
  t.match(err.code, /^(ECONNRESET|EPIPE)$/, `socket error ${err.code}`);
  await closed;
  t.pass('closed');
});
