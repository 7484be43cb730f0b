// Limits that keep one client from hurting the server, beyond those
// test/integration already pins (2048-byte lines, -I with the default 1 MiB,
// one non-reading client, -c 2, an idle connection kicked):
//   - a multi-get of 20,000 keys (libmemcached's mget, a ~900 KB line),
//     whole or trickled in;
//   - values over a small -I, in all three protocols, are swallowed without
//     being buffered and the connection stays usable;
//   - many clients pipelining multi-gets without reading cost bounded memory;
//   - -o idle_timeout counts commands, not bytes: a busy connection stays,
//     one that trickles a never-ending line is kicked.

import t from 'tap';
import type { Socket } from 'node:net';
import { connect, readUntil, send, eventually } from '../integration/helpers/exchange.js';
import { startTestServer } from '../integration/helpers/server.js';
import { OUTPUT_LIMIT } from '../../lib/server/connection.js';
import type { Connection } from '../../lib/server/connection.js';
import { MAX_GET_LINE_BYTES } from '../../protocol/text/parse.js';
import { binaryPacket } from '../../fuzz/corpus.js';


function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Write in pieces of `size`, one per event-loop turn, so the server reads them separately. */
async function trickle(socket: Socket, data: Buffer, size: number): Promise<void> {
  for (let off = 0; off < data.length; off += size) {
    if (!socket.write(data.subarray(off, off + size))) await new Promise((r) => socket.once('drain', r));
    await tick();
  }
}

/** libmemcached-style keys: 45 bytes each, so the line is ~920 KB. */
function mgetKey(i: number): string {
  return `memcached:mget:test:key:${String(i).padStart(10, '0')}:v1-padding`;
}

t.test('a multi-get of 20,000 keys works, whole or trickled in', async (t) => {
  const { port } = await startTestServer(t);
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const keys = Array.from({ length: 20_000 }, (_, i) => mgetKey(i));
  // Every 100th key exists.
  let sets = '';
  for (let i = 0; i < keys.length; i += 100) sets += `set ${keys[i]} ${i} 0 ${String(i).length}\r\n${i}\r\n`;
  await send(socket, sets);
  const line = Buffer.from(`get ${keys.join(' ')}\r\n`);
  t.ok(line.length > 800_000 && line.length < MAX_GET_LINE_BYTES, `line of ${line.length} bytes, under the cap ${MAX_GET_LINE_BYTES}`);
  let expected = '';
  for (let i = 0; i < keys.length; i += 100) expected += `VALUE ${keys[i]} ${i} ${String(i).length}\r\n${i}\r\n`;
  expected += 'END\r\n';

  const whole = await send(socket, line);
  t.equal(whole.reply.toString(), expected, 'sent in one write');

  const done = readUntil(socket, (got) => got.toString('latin1').endsWith('END\r\n'));
  await trickle(socket, line, 1400);
  const trickled = await done;
  t.notOk(trickled.closed, 'not closed: the 2048-byte rule spares get lines');
  t.equal(trickled.reply.toString(), expected, 'sent in 1400-byte pieces');
});

t.test('values over -I are swallowed unbuffered and refused, in every protocol', async (t) => {
  const itemMax = 4096;
  const { server, port } = await startTestServer(t, { itemSizeMax: itemMax, threads: 1 }); // reads the Connection in-process
  const big = Buffer.alloc(20 * 1024 * 1024, 0x61);
  let lastReply: Buffer = Buffer.alloc(0);

  const checkSwallow = async (socket: Socket, head: Buffer, tail: Buffer, refusal: (got: Buffer) => boolean): Promise<void> => {
    const reply = readUntil(socket, refusal);
    socket.write(head);
    let peakInput = 0;
    const conn = [...server.connections()].at(-1) as Connection;
    for (let off = 0; off < big.length; off += 256 * 1024) {
      if (!socket.write(big.subarray(off, off + 256 * 1024))) await new Promise((r) => socket.once('drain', r));
      await tick();
      peakInput = Math.max(peakInput, conn.bufferedBytes.input);
    }
    socket.write(tail);
    const got = await reply;
    lastReply = got.reply;
    t.notOk(got.closed, 'still open');
    t.ok(peakInput <= 64 * 1024, `swallowed, not buffered: input buffer peaked at ${peakInput} bytes for a 20 MiB value`);
  };

  const text = await connect(port);
  t.teardown(() => text.destroy());
  await checkSwallow(text, Buffer.from(`set big 0 0 ${big.length}\r\n`), Buffer.from('\r\n'), (g) => g.toString().endsWith('\r\n'));
  t.equal(lastReply.toString(), 'SERVER_ERROR object too large for cache\r\n', 'text: refused');
  t.equal((await send(text, 'set ok 0 0 2\r\nhi\r\nget big ok\r\n')).reply.toString(), 'STORED\r\nVALUE ok 0 2\r\nhi\r\nEND\r\n', 'text: usable after');
  t.equal((await send(text, `ms m ${itemMax + 1} T0\r\n${'b'.repeat(itemMax + 1)}\r\nmn\r\n`)).reply.toString(), 'SERVER_ERROR object too large for cache\r\nMN\r\n', 'meta: refused');
  t.equal((await send(text, `set edge 0 0 ${itemMax - 100}\r\n${'c'.repeat(itemMax - 100)}\r\n`)).reply.toString(), 'STORED\r\n', 'a value within -I is stored');

  const binary = await connect(port);
  t.teardown(() => binary.destroy());
  const extras = Buffer.alloc(8);
  const header = binaryPacket({ opcode: 0x01, key: Buffer.from('bbig'), extras, opaque: 7 }).subarray(0, 24 + 8 + 4);
  header.writeUInt32BE(8 + 4 + big.length, 8);
  const tooLarge = (g: Buffer): boolean => g.length >= 24;
  await checkSwallow(binary, header, Buffer.alloc(0), tooLarge);
  t.equal(lastReply[6] === undefined ? -1 : lastReply.readUInt16BE(6), 0x03, 'binary: refused with status 0x03 (too large)');
  const noop = binaryPacket({ opcode: 0x0a, opaque: 99 });
  const probe = readUntil(binary, (g) => g.length >= 24);
  binary.write(noop);
  const answer = (await probe).reply;
  t.equal(answer[1], 0x0a, 'binary: a noop after the swallowed value is answered');
  t.equal(answer.readUInt32BE(12), 99);
});

t.test('many clients pipelining multi-gets without reading cost bounded memory', async (t) => {
  const { server, port } = await startTestServer(t, { threads: 1 }); // reads the Connections in-process
  const value = 'v'.repeat(1000);
  const setup = await connect(port);
  await send(setup, `set bp 0 0 ${value.length}\r\n${value}\r\n`);
  setup.destroy();
  const clients = 16;
  // Each request asks for the item 100 times: ~100 KB of replies per 700-byte request.
  const request = Buffer.from(`get ${'bp '.repeat(100)}\r\n`.repeat(2000));
  const sockets: Socket[] = [];
  for (let i = 0; i < clients; i++) {
    const s = await connect(port);
    s.pause();
    s.write(request);
    sockets.push(s);
  }
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  const conns = () => [...server.connections()];
  await eventually(() => conns().length === clients && conns().every((c) => c.isWaitingForDrain));
  let heldOutput = 0;
  let heldInput = 0;
  for (const c of conns()) {
    heldOutput += c.bufferedBytes.output;
    heldInput += c.bufferedBytes.input;
  }
  const perClient = OUTPUT_LIMIT + 256 * 1024;
  t.ok(heldOutput <= clients * perClient, `unsent replies ${heldOutput} <= ${clients} x ${perClient} (each asked for ~200 MB)`);
  t.ok(heldInput <= clients * 1024 * 1024, `unparsed input ${heldInput} bounded`);
  for (const c of conns()) t.ok(c.peakPendingOutput <= perClient, `peak per connection ${c.peakPendingOutput}`);
});

t.test('idle_timeout counts commands, not bytes', async (t) => {
  const { server, port } = await startTestServer(t, { idleTimeout: 1 });

  // A connection that keeps sending commands is never kicked, however long it lives.
  const busy = await connect(port);
  t.teardown(() => busy.destroy());
  let busyClosed = false;
  busy.on('close', () => {
    busyClosed = true;
  });
  // One that dribbles a line without ever finishing it is kicked.
  const dribbler = await connect(port);
  t.teardown(() => dribbler.destroy());
  const kicked = readUntil(dribbler, () => false);
  let dribbling = true;
  void (async () => {
    dribbler.write('get ');
    while (dribbling && !dribbler.destroyed) {
      dribbler.write('k');
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  // Keep the busy one busy until the dribbler has been kicked.
  let commands = 0;
  const kickedResult = await Promise.race([
    kicked,
    (async () => {
      for (;;) {
        await send(busy, 'version\r\n');
        commands++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })(),
  ]);
  dribbling = false;
  t.ok(kickedResult.closed, 'the connection sending bytes but no command was closed');
  t.equal(kickedResult.reply.length, 0, 'without a reply');
  t.notOk(busyClosed, `the connection sending a command every 200 ms stayed open (${commands} commands)`);
  t.equal(server.context.counters.idleKicks, 1, 'idle_kicks counted once');
  t.equal((await send(busy, 'version\r\n')).reply.toString().slice(0, 8), 'VERSION ', 'and still works');
});

t.test('the bound on unsent replies holds inside one multi-get', async (t) => {
  const { server, port } = await startTestServer(t, { maxBytes: 64 * 1024 * 1024, threads: 1 }); // reads the Connections in-process
  const VALUE = 1_000_000;
  const KEYS = 24;
  const setup = await connect(port);
  t.teardown(() => setup.destroy());
  for (let i = 0; i < 4; i++) {
    const value = Buffer.alloc(VALUE, 0x61 + i);
    const r = await send(setup, Buffer.concat([Buffer.from(`set big${i} 0 0 ${VALUE}\r\n`), value, Buffer.from('\r\n')]));
    t.equal(r.reply.toString(), 'STORED\r\n');
  }
  // One get of 24 MB of values, then a version, from a client that does not read.
  const keys = Array.from({ length: KEYS }, (_, i) => `big${i % 4}`).join(' ');
  const client = await connect(port);
  t.teardown(() => client.destroy());
  client.pause();
  client.write(`get ${keys}\r\nversion\r\n`);
  const conn = () => [...server.connections()].find((c) => c.isWaitingForDrain);
  await eventually(() => conn() !== undefined);
  const waiting = conn() as Connection;
  const oneItem = VALUE + 64;
  t.ok(waiting.peakPendingOutput <= OUTPUT_LIMIT + oneItem, `unsent replies peaked at ${waiting.peakPendingOutput} (bound ${OUTPUT_LIMIT} + one item)`);

  // Once the client reads, the rest follows, in order and whole.
  const expectedLength = KEYS * (`VALUE big0 0 ${VALUE}\r\n`.length + VALUE + 2) + 'END\r\n'.length;
  const all = readUntil(client, (got) => got.length >= expectedLength && got.subarray(expectedLength).includes('\r\n'));
  client.resume();
  const { reply } = await all;
  let at = 0;
  for (let i = 0; i < KEYS; i++) {
    const head = `VALUE big${i % 4} 0 ${VALUE}\r\n`;
    t.equal(reply.toString('latin1', at, at + head.length), head, `item ${i} in order`);
    at += head.length;
    t.ok(reply.subarray(at, at + VALUE).equals(Buffer.alloc(VALUE, 0x61 + (i % 4))), `item ${i} whole`);
    at += VALUE + 2;
  }
  t.equal(reply.toString('latin1', at, at + 5), 'END\r\n');
  t.match(reply.toString('latin1', at + 5), /^VERSION \S+\r\n$/, 'the next request after the get');
  t.ok(waiting.peakPendingOutput <= OUTPUT_LIMIT + oneItem, `peak ${waiting.peakPendingOutput} over the whole reply`);
});
