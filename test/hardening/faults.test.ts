// Fault containment: a bug that throws while one request is answered ends
// that client's connection only. It gets the replies of its earlier
// requests, then SERVER_ERROR, then a close; the fault is logged once
// (command and connection, no value) and counted in `stats` and /metrics;
// the process and every other client's items stay.
//
// The fault is injected through the real server and Connection: a store
// whose touch() throws for one key.

import t from 'tap';
import { connect, exchange, send } from '../integration/helpers/exchange.js';
import { startTestServer } from '../integration/helpers/server.js';
import { createStore } from '../../segments/index.js';
import type { CacheStore } from '../../segments/index.js';
import { binaryPacket } from '../../fuzz/corpus.js';
import { scrapeMetrics } from '../observability/helpers.js';

const SECRET_VALUE = 'value-that-must-not-be-logged';

/** A real store whose touch() throws for the key `boom` (a stand-in for a bug). */
function faultyStore(): CacheStore {
  const store = createStore({ memoryLimitBytes: 16 << 20, itemSizeMax: 1 << 20 });
  const touch = store.touch.bind(store);
  store.touch = (key, exptime) => {
    if (key.toString('latin1') === 'boom') throw new TypeError(`bug while touching ${SECRET_VALUE}`);
    return touch(key, exptime);
  };
  return store;
}


t.test('a throwing responder closes only its connection, with SERVER_ERROR', async (t) => {
  const { server, port, logLines } = await startTestServer(
    t,
    { metricsListen: '127.0.0.1:0' },
    { store: faultyStore() },
  );
  const other = await connect(port);
  t.teardown(() => other.destroy());
  t.equal((await send(other, `set keep 0 0 ${SECRET_VALUE.length}\r\n${SECRET_VALUE}\r\n`)).reply.toString(), 'STORED\r\n');

  const faulty = await exchange(port, `set a 0 0 1\r\nx\r\ntouch boom 10\r\nget a\r\n`, true);
  t.equal(faulty.reply.toString('latin1'), 'STORED\r\nSERVER_ERROR internal error\r\n', 'earlier replies, then SERVER_ERROR');
  t.ok(faulty.closed, 'the connection that hit the fault is closed');

  const after = await send(other, 'get keep\r\nget a\r\n');
  t.equal(
    after.reply.toString('latin1'),
    `VALUE keep 0 ${SECRET_VALUE.length}\r\n${SECRET_VALUE}\r\nEND\r\nVALUE a 0 1\r\nx\r\nEND\r\n`,
    'another client keeps its connection and the cache',
  );
  t.equal(server.context.counters.requestFaults, 1);

  const faultLines = logLines.filter((l) => l.includes('request fault'));
  t.equal(faultLines.length, 1, 'logged once');
  t.match(faultLines[0], /^ERROR: <\d+ request fault in touch \(text\): TypeError at /);
  t.notOk(logLines.some((l) => l.includes(SECRET_VALUE)), 'no value or error message in the log');

  const stats = (await send(other, 'stats segcache\r\n')).reply.toString('latin1');
  t.match(stats, /\r\nSTAT request_faults 1\r\n/);
  t.match(await scrapeMetrics(server.metricsPort!), /^memcached_request_faults_total 1$/m);
});

t.test('a binary request that hits a fault gets an internal-error status, then the close', async (t) => {
  const { server, port } = await startTestServer(t, {}, { store: faultyStore() });
  const touch = Buffer.alloc(4);
  touch.writeUInt32BE(10);
  const request = Buffer.concat([
    binaryPacket({ opcode: 0x0a, opaque: 7 }), // noop
    binaryPacket({ opcode: 0x1c, key: Buffer.from('boom'), extras: touch, opaque: 9 }),
    binaryPacket({ opcode: 0x0a, opaque: 11 }),
  ]);
  const { reply, closed } = await exchange(port, request, true);
  t.ok(closed);
  t.equal(reply.length, 24 + 24 + 'SERVER_ERROR internal error'.length, 'noop reply, then the error packet only');
  t.equal(reply.readUInt32BE(12), 7, 'the noop before the fault was answered');
  const err = reply.subarray(24);
  t.equal(err[0], 0x81);
  t.equal(err[1], 0x1c, 'echoes the opcode');
  t.equal(err.readUInt16BE(6), 0x84, 'status: internal error');
  t.equal(err.readUInt32BE(12), 9, 'echoes the opaque');
  t.equal(err.subarray(24).toString('latin1'), 'SERVER_ERROR internal error');
  t.equal(server.context.counters.requestFaults, 1);
});
