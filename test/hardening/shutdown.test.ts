// Graceful shutdown of the built server: on SIGTERM / SIGINT / SIGUSR1 it
// stops accepting, answers every request it had already read, and exits 0;
// a client that does not read cannot hold it up; SIGHUP does not stop it;
// the `shutdown` command works only with -A, `shutdown graceful` too.

import t from 'tap';
import net from 'node:net';
import { connect, exchange, readUntil, send } from '../integration/helpers/exchange.js';
import { serveBin } from './helpers/bin.js';
import type { BinServer } from './helpers/bin.js';

const VALUE_REPLY = 'VALUE a 0 1\r\nx\r\nEND\r\n';

/** Write `request` and resolve once the first reply bytes arrive; then stop reading. */
async function startStuckClient(port: number, request: string): Promise<net.Socket> {
  const socket = await connect(port);
  await new Promise<void>((resolve) => {
    socket.once('data', () => {
      socket.pause();
      resolve();
    });
    socket.write(request);
  });
  return socket;
}

/**
 * Send a pipelined batch and signal the server as soon as the first reply
 * arrives. With -R 1 the server answers one request per event-loop turn, so
 * the signal lands while most of the batch is read but not yet answered.
 */
async function batchThenSignal(server: BinServer, signal: NodeJS.Signals, gets: number): Promise<{ reply: string; closed: boolean }> {
  const socket = await connect(server.port);
  await send(socket, 'set a 0 0 1\r\nx\r\n');
  const all = readUntil(socket, () => false);
  let signalled = false;
  socket.on('data', () => {
    if (!signalled) {
      signalled = true;
      server.kill(signal);
    }
  });
  socket.write('get a\r\n'.repeat(gets));
  const r = await all;
  return { reply: r.reply.toString('latin1'), closed: r.closed };
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGUSR1'] as const) {
  t.test(`${signal}: every request already read is answered, then exit 0`, async (t) => {
    const server = await serveBin(['-R', '1']);
    t.teardown(() => server.kill('SIGKILL'));
    const gets = 3000;
    const r = await batchThenSignal(server, signal, gets);
    t.ok(r.closed, 'the server closed the connection');
    t.equal(r.reply.length, VALUE_REPLY.length * gets, `all ${gets} replies arrived`);
    t.equal(r.reply, VALUE_REPLY.repeat(gets), 'in order and intact');
    t.same(await server.exited, { code: 0, signal: null });
    t.match(server.stderr(), /listening on/);
  });
}

t.test('after the signal no new connection is accepted', async (t) => {
  const server = await serveBin(['-R', '1']);
  t.teardown(() => server.kill('SIGKILL'));
  // A client that stops reading keeps the server in its grace period while we try to connect.
  const busy = await startStuckClient(server.port, `set a 0 0 1000\r\n${'a'.repeat(1000)}\r\n` + 'get a\r\n'.repeat(20_000));
  t.teardown(() => busy.destroy());
  server.kill('SIGTERM');
  const refused = await new Promise<boolean>((resolve) => {
    const attempt = (): void => {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => resolve(true));
      s.on('connect', () => {
        // Accepted by the kernel before the listener closed: it must not be served.
        s.on('data', () => resolve(false));
        s.on('close', () => setTimeout(attempt, 10));
        s.write('version\r\n');
      });
    };
    attempt();
  });
  t.ok(refused, 'connections are refused once the listener is closed');
  busy.resume();
  t.same(await server.exited, { code: 0, signal: null });
});

t.test('a client that never reads cannot hold up the exit', async (t) => {
  const server = await serveBin([]);
  t.teardown(() => server.kill('SIGKILL'));
  // 500 MB of replies, of which the client reads only the first bytes.
  const socket = await startStuckClient(server.port, `set big 0 0 100000\r\n${'b'.repeat(100000)}\r\n` + 'get big\r\n'.repeat(5000));
  t.teardown(() => socket.destroy());
  server.kill('SIGTERM');
  t.same(await server.exited, { code: 0, signal: null }, 'exits 0 once the grace period is over');
});

t.test('SIGHUP does not stop the server', async (t) => {
  const server = await serveBin([]);
  t.teardown(() => server.kill('SIGKILL'));
  server.kill('SIGHUP');
  // A signal is delivered before the next exchange is served.
  const r = await exchange(server.port, 'version\r\n');
  t.match(r.reply.toString(), /^VERSION /, 'still serving');
  const r2 = await exchange(server.port, 'version\r\n');
  t.match(r2.reply.toString(), /^VERSION /);
  server.kill('SIGTERM');
  t.same(await server.exited, { code: 0, signal: null });
});

t.test('the shutdown command needs -A', async (t) => {
  const server = await serveBin([]);
  t.teardown(() => server.kill('SIGKILL'));
  for (const cmd of ['shutdown', 'shutdown graceful']) {
    const r = await exchange(server.port, `${cmd}\r\n`);
    t.equal(r.reply.toString(), 'ERROR: shutdown not enabled\r\n', `${cmd} refused without -A`);
  }
  server.kill('SIGTERM');
  t.same(await server.exited, { code: 0, signal: null });
});

for (const cmd of ['shutdown', 'shutdown graceful']) {
  t.test(`with -A, "${cmd}" stops the server with exit 0`, async (t) => {
    const server = await serveBin(['-A']);
    t.teardown(() => server.kill('SIGKILL'));
    const r = await exchange(server.port, `${cmd}\r\n`, true);
    t.ok(r.closed);
    t.equal(r.reply.length, 0, 'no reply, as memcached');
    t.same(await server.exited, { code: 0, signal: null });
  });
}

t.test('plain "shutdown" ends at once, as memcached (SIGINT); "shutdown graceful" says so (SIGUSR1)', async (t) => {
  // A client that does not read holds a graceful stop for its grace period;
  // a plain shutdown does not wait for it.
  const server = await serveBin(['-A']);
  t.teardown(() => server.kill('SIGKILL'));
  const stuck = await startStuckClient(server.port, 'get a\r\n'.repeat(20000));
  t.teardown(() => stuck.destroy());
  await exchange(server.port, 'shutdown\r\n', true);
  t.same(await server.exited, { code: 0, signal: null });
  t.match(server.stderr(), /Exiting normally\n/);
  t.notMatch(server.stderr(), /Gracefully stopping/);

  const graceful = await serveBin(['-A']);
  t.teardown(() => graceful.kill('SIGKILL'));
  await exchange(graceful.port, 'shutdown graceful\r\n', true);
  t.same(await graceful.exited, { code: 0, signal: null });
  t.match(graceful.stderr(), /Gracefully stopping\n/);
});

t.test('with -A, an unknown shutdown mode is refused', async (t) => {
  const server = await serveBin(['-A']);
  t.teardown(() => server.kill('SIGKILL'));
  const r = await exchange(server.port, 'shutdown now\r\n');
  t.equal(r.reply.toString(), 'CLIENT_ERROR invalid shutdown mode\r\n', 'as memcached');
  t.notOk(r.closed, 'the server keeps running');
  server.kill('SIGTERM');
  await server.exited;
});
