// adopt-transferred: a socket that came through postMessage is served as a
// fresh net.Socket over the same handle, with fast properties, and it still
// reads, writes and half-closes; sockets it cannot apply to come back as
// they are.

import t from 'tap';
import type { Test } from 'tap';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { adoptTransferred } from '../../lib/server/adopt-transferred.js';

// V8's own test hook, compiled after the flag is on (tests only).
setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

/** Echoes every transferred socket straight back to the thread that sent it. */
const BOUNCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => parentPort.postMessage(m, [m.sock]));
`;

/** A connected client and the server side of it after a round trip through a worker. */
async function transferredPair(t: Test): Promise<{ client: net.Socket; received: net.Socket }> {
  const worker = new Worker(BOUNCE, { eval: true });
  t.teardown(() => worker.terminate());
  const server = net.createServer({ pauseOnConnect: true });
  t.teardown(() => server.close());
  const back = new Promise<net.Socket>((resolve) => worker.once('message', (m: { sock: net.Socket }) => resolve(m.sock)));
  server.on('connection', (socket) => worker.postMessage({ sock: socket }, [socket as never]));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  t.teardown(() => client.destroy());
  return { client, received: await back };
}

t.test('a transferred socket is rebuilt with fast properties and serves as before', async (t) => {
  const { client, received } = await transferredPair(t);
  received.allowHalfOpen = true;
  // The premise (Node 24): deserialization leaves dictionary properties. Said, not required.
  t.comment(`received socket has ${hasFastProperties(received) ? 'fast' : 'dictionary'} properties`);
  const handle = (received as unknown as { _handle: object })._handle;
  const adopted = adoptTransferred(received);
  t.not(adopted, received, 'a new socket object');
  t.ok(hasFastProperties(adopted), 'with fast properties');
  t.equal((adopted as unknown as { _handle: object })._handle, handle, 'over the same handle');
  t.equal((received as unknown as { _handle: object | null })._handle, null, 'the received one let go of it');
  t.equal(adopted.allowHalfOpen, true, 'allowHalfOpen kept');

  // Reads start when the caller attaches its reader (manualStart), as with the received socket.
  client.write('ping');
  let got = '';
  const ended = new Promise<void>((resolve) => adopted.on('end', resolve));
  adopted.on('data', (chunk: Buffer) => {
    got += chunk.toString('latin1');
    if (got === 'ping') adopted.write('pong');
  });
  let reply = '';
  const closed = new Promise<void>((resolve) => client.on('end', resolve));
  client.on('data', (chunk: Buffer) => {
    reply += chunk.toString('latin1');
    if (reply === 'pong') client.end();
  });
  await ended;
  // Half-open: the client has shut its side; replies still reach it.
  adopted.end('bye');
  await closed;
  t.equal(got, 'ping', 'read what the client sent');
  t.equal(reply, 'pongbye', 'the client read both replies, the last after its own end');
});

t.test('sockets it cannot apply to are returned as they are', async (t) => {
  const unconnected = new net.Socket();
  t.equal(adoptTransferred(unconnected), unconnected, 'no handle');
  const { received } = await transferredPair(t);
  received.destroy();
  t.equal(adoptTransferred(received), received, 'destroyed');
});
