// -U: requests over UDP with memcached's 8-byte frame header, replies cut
// into numbered datagrams, multi-datagram requests dropped; the same frames
// as the real memcached 1.6.18 where installed.

import t from 'tap';
import type { Test } from 'tap';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { startTestServer } from './helpers/server.js';
import { needs, peerCommand } from '../peers.js';
import { freePort } from '../observability/helpers.js';
import { frameReply } from '../../lib/server/udp.js';
import { exchange } from './helpers/exchange.js';

const skipMemcached = needs('memcached-oracle').skip;

function frame(id: number, payload: string, count = 1): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0, 2);
  header.writeUInt16BE(count, 4);
  return Buffer.concat([header, Buffer.from(payload, 'latin1')]);
}

/** Send one datagram and collect replies until `until` says so (or, with `giveUpMs`, until then). */
function ask(port: number, datagram: Buffer, until: (got: Buffer[]) => boolean, giveUpMs?: number): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    let open = true;
    const finish = (): void => {
      if (!open) return;
      open = false;
      socket.close();
      resolve(got);
    };
    if (giveUpMs !== undefined) setTimeout(finish, giveUpMs);
    socket.on('message', (m) => {
      got.push(m);
      if (until(got)) finish();
    });
    socket.send(datagram, port, '127.0.0.1');
  });
}

async function exercise(t: Test, port: number): Promise<void> {
  const v = await ask(port, frame(7, 'version\r\n'), (g) => g.length >= 1);
  t.same([...v[0]!.subarray(0, 8)], [0, 7, 0, 0, 0, 1, 0, 0], 'header: id 7, seq 0 of 1');
  t.match(v[0]!.subarray(8).toString(), /^VERSION \S+\r\n$/);

  const stored = await ask(port, frame(8, 'set udp:big 0 0 3000\r\n' + 'x'.repeat(3000) + '\r\n'), (g) => g.length >= 1);
  t.equal(stored[0]!.subarray(8).toString(), 'STORED\r\n');
  const big = await ask(port, frame(9, 'get udp:big\r\n'), (g) => g.length >= 3);
  const reply = 'VALUE udp:big 0 3000\r\n' + 'x'.repeat(3000) + '\r\nEND\r\n';
  t.equal(big.length, Math.ceil(reply.length / 1392), 'cut into 1392-byte pieces');
  const bySeq = [...big].sort((a, b) => a.readUInt16BE(2) - b.readUInt16BE(2));
  for (const [i, d] of bySeq.entries()) {
    t.equal(d.readUInt16BE(0), 9, 'request id');
    t.equal(d.readUInt16BE(2), i, 'sequence');
    t.equal(d.readUInt16BE(4), big.length, 'count');
    t.ok(d.length <= 1400, 'at most 1400 bytes');
  }
  t.equal(Buffer.concat(bySeq.map((d) => d.subarray(8))).toString(), reply);

  // A multi-datagram request is dropped; the next one is answered.
  const after = await new Promise<Buffer[]>((resolve) => {
    const socket = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    socket.on('message', (m) => {
      got.push(m);
      if (m.readUInt16BE(0) === 11) {
        socket.close();
        resolve(got);
      }
    });
    socket.send(frame(10, 'version\r\n', 2), port, '127.0.0.1', () => socket.send(frame(11, 'version\r\n'), port, '127.0.0.1'));
  });
  t.same(after.map((d) => d.readUInt16BE(0)), [11], 'request 10 (2 datagrams) was not answered');
}

/**
 * `stats conns` lists the UDP sockets as memcached does (t/stats-conns.t):
 * one per thread, each a `UDP UDP` line, its local address, conn_read, no
 * listen_addr.
 */
async function checkStatsConns(t: Test, tcpPort: number, udpPort: number, threads: number): Promise<void> {
  const conns = (await exchange(tcpPort, 'stats conns\r\n')).reply.toString('latin1');
  const block = new RegExp(`STAT (\\d+):UDP UDP\r\nSTAT \\1:addr udp:127\\.0\\.0\\.1:${udpPort}\r\nSTAT \\1:state conn_read\r\nSTAT \\1:secs_since_last_cmd \\d+\r\n`);
  t.match(conns, block, 'stats conns: the UDP socket');
  t.match(conns, /STAT \d+:state conn_listening\r\n/, 'and the TCP listener');
  t.equal((conns.match(/:UDP UDP\r\n/g) ?? []).length, threads, 'one block per thread');
  t.equal((conns.match(/:addr udp:/g) ?? []).length, threads, 'each with its address');
  t.notMatch(conns, /:listen_addr udp:/, 'no listen_addr for UDP');
}

t.test('our server over UDP, one event loop (-t 1)', async (t) => {
  const { server, port } = await startTestServer(t, { threads: 1, udpPort: await freePort() });
  t.ok(server.udpPort);
  await exercise(t, server.udpPort!);
  await checkStatsConns(t, port, server.udpPort!, 1);
});

t.test('our server over UDP with worker threads (-t 4): every worker serves the port, one store', async (t) => {
  const { server, port } = await startTestServer(t, { threads: 4, udpPort: await freePort() });
  const udp = server.udpPort!;
  t.ok(udp);
  await exercise(t, udp);
  await checkStatsConns(t, port, udp, 4);
  // Items written over TCP are read over UDP, from many client addresses
  // (the kernel spreads them over the four workers' sockets).
  const sets = Array.from({ length: 20 }, (_, i) => `set threaded:${i} ${i} 0 ${String(i).length}\r\n${i}\r\n`).join('');
  t.equal((await exchange(port, sets)).reply.toString(), 'STORED\r\n'.repeat(20), 'stored over TCP');
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) => ask(udp, frame(100 + i, `get threaded:${i}\r\n`), (g) => g.length >= 1)),
  );
  replies.forEach((r, i) => t.equal(r[0]!.subarray(8).toString(), `VALUE threaded:${i} ${i} ${String(i).length}\r\n${i}\r\nEND\r\n`, `key ${i} over UDP`));
  const stats = await ask(udp, frame(200, 'stats\r\n'), (g) => Buffer.concat(g.map((d) => d.subarray(8))).toString().endsWith('END\r\n'));
  const text = Buffer.concat([...stats].sort((a, b) => a.readUInt16BE(2) - b.readUInt16BE(2)).map((d) => d.subarray(8))).toString();
  t.match(text, /STAT threads 4\r\n/, 'stats over UDP: four worker threads');
  t.match(text, /STAT get_hits (\d+)\r\n/);
  t.ok(Number(/STAT get_hits (\d+)/.exec(text)![1]) >= 20, 'the UDP gets are counted in the summed stats');
});

t.test('-t 4 refuses a UDP port another socket holds, even one that allows SO_REUSEPORT sharing', async (t) => {
  // Without the main thread's plain-bind check the workers' SO_REUSEPORT binds would join this socket.
  const holder = dgram.createSocket({ type: 'udp4', reusePort: true });
  const udpPort = await new Promise<number>((resolve) => holder.bind(0, '127.0.0.1', () => resolve(holder.address().port)));
  t.teardown(() => holder.close());
  await t.rejects(startTestServer(t, { threads: 4, udpPort }), { code: 'EADDRINUSE' });
});

t.test('memcached -U frames the same', { skip: skipMemcached }, async (t) => {
  const udp = await freePort();
  const tcp = await freePort();
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const child = spawn(peerCommand('memcached'), ['-l', '127.0.0.1', '-p', String(tcp), '-U', String(udp), ...user], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  // Ready once it answers.
  while ((await ask(udp, frame(1, 'version\r\n'), (g) => g.length >= 1, 200)).length === 0) {
    // memcached is still starting.
  }
  await exercise(t, udp);
  await checkStatsConns(t, tcp, udp, 4);
});

t.test('frameReply numbers the pieces', async (t) => {
  const pieces = frameReply(0xabcd, Buffer.alloc(1392 * 2 + 1, 0x61));
  t.same(pieces.map((p) => [p.readUInt16BE(0), p.readUInt16BE(2), p.readUInt16BE(4), p.length]), [
    [0xabcd, 0, 3, 1400],
    [0xabcd, 1, 3, 1400],
    [0xabcd, 2, 3, 9],
  ]);
  t.equal(frameReply(1, Buffer.alloc(0)).length, 1, 'an empty reply is still one datagram');
});
