// Connection behaviour over real sockets: pipelining, limits (-c, -R,
// backpressure, idle timeout), protocol selection, half-close, graceful
// close, unix sockets, -vv logging.

import t from 'tap';
import net from 'node:net';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, exchange, readUntil, send, eventually } from './helpers/exchange.js';
import { startTestServer } from './helpers/server.js';
import { OUTPUT_LIMIT } from '../../lib/server/connection.js';
import type { Connection } from '../../lib/server/connection.js';

function onlyConnection(conns: Iterable<Connection>): Connection {
  const all = [...conns];
  if (all.length !== 1) throw new Error(`expected one connection, found ${all.length}`);
  return all[0] as Connection;
}


t.test('a pipelined batch is answered in order', async (t) => {
  const { port } = await startTestServer(t);
  let request = '';
  let expected = '';
  for (let i = 0; i < 200; i++) {
    request += `set p${i} ${i} 0 ${String(i).length}\r\n${i}\r\n`;
    expected += 'STORED\r\n';
  }
  for (let i = 199; i >= 0; i--) {
    request += `get p${i}\r\nincr p${i} 1\r\n`;
    expected += `VALUE p${i} ${i} ${String(i).length}\r\n${i}\r\nEND\r\n${i + 1}\r\n`;
  }
  const { reply } = await exchange(port, request);
  t.equal(reply.toString('latin1'), expected);
});

t.test('-R: a connection yields after that many requests and still answers all', async (t) => {
  const { server, port } = await startTestServer(t, { reqsPerEvent: 5 });
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const request = 'get nothing\r\n'.repeat(100);
  const { reply } = await send(socket, request);
  t.equal(reply.toString('latin1'), 'END\r\n'.repeat(100));
  t.ok(server.context.counters.connYields >= 1, `conn_yields counted (${server.context.counters.connYields})`);
});

t.test('-c: connections over the limit are told and closed', async (t) => {
  const { server, port } = await startTestServer(t, { maxConns: 2 });
  const a = await connect(port);
  const b = await connect(port);
  t.teardown(() => {
    a.destroy();
    b.destroy();
  });
  // Both are registered once they have answered.
  await send(a, 'version\r\n');
  await send(b, 'version\r\n');
  const third = await connect(port);
  const refused = await readUntil(third, () => false);
  t.equal(refused.reply.toString('latin1'), 'ERROR Too many open connections\r\n');
  t.ok(refused.closed, 'closed after the message');
  t.equal(server.context.counters.rejectedConnections, 1, 'rejected_connections counted');
  t.equal(server.context.counters.currConnections, 2);

  a.destroy();
  await eventually(() => server.context.counters.currConnections === 1);
  const fourth = await exchange(port, 'version\r\n');
  t.match(fourth.reply.toString('latin1'), /^VERSION /, 'a slot freed up');
});

t.test('backpressure: a client that does not read cannot grow server memory', async (t) => {
  // One thread: the test reads the Connection objects.
  const { server, port } = await startTestServer(t, { threads: 1 });
  const value = 'v'.repeat(1000);
  await exchange(port, `set bp 0 0 ${value.length}\r\n${value}\r\n`);
  await eventually(() => server.context.counters.currConnections === 0);

  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  socket.pause(); // we do not read until the server has stopped
  const gets = 100_000; // ~100 MB of replies
  const request = Buffer.from('get bp\r\n'.repeat(gets));
  socket.write(request);
  const conn = onlyConnection(server.connections());
  await eventually(() => conn.isWaitingForDrain);
  const held = conn.bufferedBytes;
  const bound = OUTPUT_LIMIT + 64 * 1024;
  t.ok(held.output <= bound, `unsent replies bounded: ${held.output} <= ${bound}`);
  t.ok(held.input <= 1024 * 1024, `unparsed input bounded: ${held.input}`);

  // Now read everything: every get is answered, in order, and the peak stayed bounded.
  const single = `VALUE bp 0 ${value.length}\r\n${value}\r\nEND\r\n`.length;
  let received = 0;
  socket.resume();
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= single * gets) resolve();
    });
  });
  t.equal(received, single * gets, 'all replies arrived');
  t.ok(conn.peakPendingOutput <= bound, `peak unsent replies ${conn.peakPendingOutput} <= ${bound}`);
});

t.test('a value arriving in many small writes is stored whole', async (t) => {
  const { port } = await startTestServer(t);
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const value = Buffer.alloc(900_000);
  for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
  socket.setNoDelay(true);
  const done = readUntil(socket, (got) => got.toString('latin1').endsWith('STORED\r\n'));
  socket.write(`set chunked 0 0 ${value.length}\r\n`);
  for (let off = 0; off < value.length; off += 4096) {
    socket.write(value.subarray(off, Math.min(value.length, off + 4096)));
    await new Promise<void>((r) => setImmediate(r));
  }
  socket.write('\r\n');
  t.equal((await done).reply.toString(), 'STORED\r\n');
  const got = await send(socket, 'get chunked\r\n');
  const header = `VALUE chunked 0 ${value.length}\r\n`;
  t.equal(got.reply.subarray(0, header.length).toString(), header);
  t.ok(got.reply.subarray(header.length, header.length + value.length).equals(value), 'value intact');
});

t.test('an endless get line is refused and closed, memory stays bounded', async (t) => {
  const { port } = await startTestServer(t);
  const result = await exchange(port, 'get ' + 'k '.repeat(2_200_000), true);
  t.equal(result.reply.toString(), 'SERVER_ERROR out of memory reading request\r\n');
  t.ok(result.closed);
});

t.test('idle_timeout closes idle connections and counts them', async (t) => {
  const { server, port } = await startTestServer(t, { idleTimeout: 1 });
  const socket = await connect(port);
  const result = await readUntil(socket, () => false);
  t.ok(result.closed, 'closed by the server');
  t.equal(server.context.counters.idleKicks, 1, 'idle_kicks counted');
});

t.test('protocol is picked on the first byte', async (t) => {
  const { port } = await startTestServer(t);
  // Binary Version request (opcode 0x0b).
  const packet = Buffer.alloc(24);
  packet[0] = 0x80;
  packet[1] = 0x0b;
  packet.writeUInt32BE(0xdeadbeef, 12);
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const reply = readUntil(socket, (got) => got.length >= 24 && got.length >= 24 + got.readUInt32BE(8));
  socket.write(packet);
  const { reply: bytes } = await reply;
  t.equal(bytes[0], 0x81, 'binary response magic');
  t.equal(bytes.readUInt32BE(12), 0xdeadbeef, 'opaque echoed');
  t.match(bytes.subarray(24).toString(), /^1\.6\.18/, 'version body');
});

t.test('-B binary: text input is not answered; the connection closes', async (t) => {
  const { port } = await startTestServer(t, { bindingProtocol: 'binary' });
  const result = await exchange(port, 'version\r\nversion\r\nversion\r\n', true);
  t.equal(result.reply.length, 0, 'no reply');
  t.ok(result.closed);
});

t.test('-B ascii: a binary packet is just a bad text line', async (t) => {
  const { port } = await startTestServer(t, { bindingProtocol: 'ascii' });
  const packet = Buffer.alloc(24);
  packet[0] = 0x80;
  packet[1] = 0x0b;
  const result = await exchange(port, Buffer.concat([packet, Buffer.from('\r\n')]));
  t.equal(result.reply.toString('latin1'), 'ERROR\r\n');
});

t.test('-S: text commands are refused (binary only)', async (t) => {
  const { port } = await startTestServer(t, { saslEnabled: true }, { sasl: { mechanisms: 'PLAIN', verifyPlain: () => undefined } });
  const result = await exchange(port, 'get foo\r\nget foo\r\nget foo\r\nget foo\r\n', true);
  t.equal(result.reply.length, 0, 'no reply');
  t.ok(result.closed);
});

t.test('a client that half-closes still gets its replies', async (t) => {
  const { port } = await startTestServer(t);
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const done = readUntil(socket, () => false);
  socket.end('set hc 0 0 1\r\nx\r\nget hc\r\n');
  const result = await done;
  t.equal(result.reply.toString(), 'STORED\r\nVALUE hc 0 1\r\nx\r\nEND\r\n');
  t.ok(result.closed, 'then the server closes');
});

t.test('graceful close answers what was received, then closes', async (t) => {
  const { server, port } = await startTestServer(t, { reqsPerEvent: 1 });
  const socket = await connect(port);
  await send(socket, 'set gc 0 0 1\r\nx\r\n');
  const done = readUntil(socket, () => false);
  const yieldsBefore = server.context.counters.connYields;
  socket.write('get gc\r\n'.repeat(50));
  // The gets have been read once the connection has yielded on them.
  await eventually(() => server.context.counters.connYields > yieldsBefore);
  await server.close();
  const result = await done;
  t.equal(result.reply.toString(), 'VALUE gc 0 1\r\nx\r\nEND\r\n'.repeat(50), 'every request already received was answered');
  t.ok(result.closed);
  t.equal(server.context.counters.currConnections, 0);
  await t.rejects(connect(port), 'no longer accepting');
});

t.test('unix socket with -a permissions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gac-sock-'));
  const path = join(dir, 'mc.sock');
  await startTestServer(t, { unixSocket: path, unixMask: 0o700 });
  t.equal(statSync(path).mode & 0o777, 0o700);
  const result = await exchange(path, 'set us 0 0 1\r\nx\r\nget us\r\n');
  t.equal(result.reply.toString(), 'STORED\r\nVALUE us 0 1\r\nx\r\nEND\r\n');
});

t.test('-l with several addresses shares one ephemeral port', async (t) => {
  const { server } = await startTestServer(t, { listen: ['127.0.0.1', '127.0.0.2'] });
  for (const host of ['127.0.0.1', '127.0.0.2']) {
    const socket = net.connect(server.port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.destroy();
    t.pass(`listening on ${host}:${server.port}`);
  }
});

t.test('-vv logs commands and replies, never values', async (t) => {
  const { port, logLines } = await startTestServer(t, { verbosity: 2 });
  await exchange(port, 'set lg 0 0 6\r\nsecret\r\nget lg\r\n');
  const text = logLines.join('\n');
  t.match(text, /<\d+ set lg 0 0 6/);
  t.match(text, />\d+ STORED/);
  t.match(text, /<\d+ get lg/);
  t.match(text, />\d+ VALUE lg 0 6/);
  t.notMatch(text, /secret/, 'the value is not logged');
});

t.test('verbosity changes the log level at run time', async (t) => {
  const { port, logLines } = await startTestServer(t);
  await exchange(port, 'get quiet\r\n');
  t.equal(logLines.length, 0, 'quiet by default');
  await exchange(port, 'verbosity 2\r\nget loud\r\n');
  t.ok(logLines.some((l) => /<\d+ get loud/.test(l)), 'commands logged after verbosity 2');
});

t.test('shutdown with -A', async (t) => {
  let asked = 0;
  const { port } = await startTestServer(t, { shutdownEnabled: true }, { onShutdown: () => asked++ });
  const result = await exchange(port, 'shutdown\r\n', true);
  t.equal(result.reply.length, 0, 'no reply');
  t.ok(result.closed, 'connection closed');
  t.equal(asked, 1, 'server asked to shut down');
});

t.test('-F refuses flush_all and counts it', async (t) => {
  const { server, port } = await startTestServer(t, { flushEnabled: false });
  const result = await exchange(port, 'set f 0 0 1\r\nx\r\nflush_all\r\nget f\r\nflush_all noreply\r\n');
  t.equal(result.reply.toString(), 'STORED\r\nCLIENT_ERROR flush_all not allowed\r\nVALUE f 0 1\r\nx\r\nEND\r\n');
  t.equal(server.context.counters.cmdFlush, 2);
});

t.test('stats conns lists open connections', async (t) => {
  const { port } = await startTestServer(t);
  const result = await exchange(port, 'stats conns\r\n');
  const listener = `tcp:127.0.0.1:${port}`;
  t.match(
    result.reply.toString(),
    new RegExp(
      `^STAT 1:addr ${listener}\r\nSTAT 1:state conn_listening\r\nSTAT 1:secs_since_last_cmd \\d+\r\n` +
        `STAT 2:addr tcp:127\\.0\\.0\\.1:\\d+\r\nSTAT 2:listen_addr ${listener}\r\nSTAT 2:state conn_parse_cmd\r\nSTAT 2:secs_since_last_cmd 0\r\nEND\r\n$`,
    ),
    'as memcached: the listener, then the asking connection',
  );
});

t.test('counters: bytes, commands, connections', async (t) => {
  const { server, port } = await startTestServer(t);
  const request = 'set c1 0 0 1\r\nx\r\nget c1 c2\r\ntouch c1 10\r\n';
  const result = await exchange(port, request);
  const c = server.context.counters;
  t.equal(c.cmdSet, 1);
  t.equal(c.cmdGet, 2, 'one per key, as memcached');
  t.equal(c.cmdTouch, 1);
  t.equal(c.bytesRead, request.length + 'mn\r\n'.length);
  t.equal(c.bytesWritten, result.reply.length + 'MN\r\n'.length);
  t.equal(c.totalConnections, 1);
  t.equal(c.textRequests, 3);
  t.equal(c.metaRequests, 1, 'the mn sentinel');
  await exchange(port, 'mg c1 v\r\nms c3 1\r\nx\r\nme c1\r\n');
  t.equal(c.cmdMeta, 1, 'cmd_meta counts me only, as memcached');
  t.equal(c.cmdGet, 3, 'mg counts as a get');
  t.equal(c.cmdSet, 2, 'ms counts as a set');
});

t.test('a multi-get whose reply would pass 32 MiB is refused as memcached refuses an unbufferable one', async (t) => {
  const { port } = await startTestServer(t);
  const value = 'b'.repeat(1_000_000);
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  t.equal((await send(socket, `set huge 0 0 ${value.length}\r\n${value}\r\n`)).reply.toString(), 'STORED\r\n');
  const refused = await send(socket, `get ${'huge '.repeat(40)}\r\n`);
  t.equal(refused.reply.toString(), 'SERVER_ERROR out of memory writing get response\r\n');
  const fine = await send(socket, `get ${'huge '.repeat(30)}\r\n`);
  t.equal(fine.reply.length, 30 * (`VALUE huge 0 ${value.length}\r\n`.length + value.length + 2) + 5, 'thirty copies are fine');
});

t.test('--metrics-listen starts the Prometheus endpoint with the server and stops it on close', async (t) => {
  const { server, port } = await startTestServer(t, { metricsListen: '127.0.0.1:0' });
  t.ok(server.metricsPort !== undefined && server.metricsPort > 0, 'metrics port bound');
  await exchange(port, 'set m 0 0 1\r\nx\r\n');
  const res = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
  t.equal(res.status, 200);
  t.match(await res.text(), /memcached_current_items 1/);
  await server.close();
  await t.rejects(fetch(`http://127.0.0.1:${server.metricsPort}/metrics`), 'closed with the server');
});
