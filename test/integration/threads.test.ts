// -t N: worker threads over one shared store, seen through sockets. The main
// thread hands connections to the workers round robin, so N connections
// opened one after another land on N different workers.

import t from 'tap';
import type net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from './helpers/server.js';
import { connect, readUntil, send } from './helpers/exchange.js';
import { spawn } from 'node:child_process';
import { BIN, ensureBuilt, serveBin } from '../hardening/helpers/bin.js';

const THREADS = 4;

// One server for the tests that need no fresh counters (a -t 4 server costs
// five threads to start).
const shared = await startTestServer(t, { threads: THREADS, verbosity: 0 });

/** One connection per worker (round robin), each already answering. */
async function oneConnectionPerWorker(target: number | string, count = THREADS): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const s = await connect(target);
    // An answered request means the worker has adopted the connection.
    await send(s, 'version\r\n');
    sockets.push(s);
  }
  return sockets;
}

async function text(socket: net.Socket, request: string): Promise<string> {
  return (await send(socket, request)).reply.toString('latin1');
}

function statMap(reply: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of reply.matchAll(/^STAT (\S+) (.*)\r$/gm)) map.set(m[1] as string, m[2] as string);
  return map;
}

t.test('a write on one worker is read at once on every other', async (t) => {
  const { port } = shared;
  const socks = await oneConnectionPerWorker(port);
  t.teardown(() => socks.forEach((s) => s.destroy()));
  for (let i = 0; i < socks.length; i++) {
    const writer = socks[i] as net.Socket;
    t.equal(await text(writer, `set k${i} ${i} 0 2\r\nv${i}\r\n`), 'STORED\r\n');
    for (const reader of socks) {
      t.equal(await text(reader, `get k${i}\r\n`), `VALUE k${i} ${i} 2\r\nv${i}\r\nEND\r\n`, `k${i} written on worker ${i}`);
    }
  }
});

t.test('incr from many connections on every worker sums exactly', async (t) => {
  const { port } = shared;
  const socks = await oneConnectionPerWorker(port, THREADS * 3);
  t.teardown(() => socks.forEach((s) => s.destroy()));
  t.equal(await text(socks[0] as net.Socket, 'set n 0 0 1\r\n0\r\n'), 'STORED\r\n');
  const perConnection = 200;
  const batch = 'incr n 1 noreply\r\n'.repeat(perConnection);
  await Promise.all(socks.map((s) => send(s, batch)));
  t.equal(await text(socks[1] as net.Socket, 'get n\r\n'), `VALUE n 0 ${String(socks.length * perConnection).length}\r\n${socks.length * perConnection}\r\nEND\r\n`);
});

t.test('stats sums every thread; stats reset from any worker resets them all', async (t) => {
  const { port, server } = await startTestServer(t, { threads: THREADS });
  const socks = await oneConnectionPerWorker(port);
  t.teardown(() => socks.forEach((s) => s.destroy()));
  for (const [i, s] of socks.entries()) await send(s, `set s${i} 0 0 1\r\nx\r\n` + `get s${i}\r\n`.repeat(i + 1));
  const stats = statMap(await text(socks[0] as net.Socket, 'stats\r\n'));
  t.equal(stats.get('threads'), String(THREADS));
  t.equal(stats.get('curr_connections'), String(THREADS));
  t.equal(stats.get('total_connections'), String(THREADS));
  t.equal(stats.get('cmd_set'), String(THREADS));
  t.equal(stats.get('cmd_get'), String(1 + 2 + 3 + 4));
  t.equal(stats.get('get_hits'), String(1 + 2 + 3 + 4));
  t.equal(stats.get('curr_items'), String(THREADS));
  t.equal(server.context.counters.cmdGet, 10, 'the main thread reads the same sums');
  t.equal(await text(socks[3] as net.Socket, 'stats reset\r\n'), 'RESET\r\n');
  const after = statMap(await text(socks[1] as net.Socket, 'stats\r\n'));
  t.equal(after.get('cmd_get'), '0');
  t.equal(after.get('cmd_set'), '0');
  t.equal(after.get('curr_connections'), String(THREADS), 'gauges survive a reset');
});

t.test('stats conns lists the connections of every worker', async (t) => {
  const { port } = shared;
  // Connections of earlier tests are closed (their teardown ran), but the server may not have seen it yet.
  await new Promise((r) => setTimeout(r, 200));
  const socks = await oneConnectionPerWorker(port, THREADS * 2);
  t.teardown(() => socks.forEach((s) => s.destroy()));
  const reply = await text(socks[0] as net.Socket, 'stats conns\r\n');
  const addrs = [...reply.matchAll(/^STAT (\d+):addr (\S+)\r$/gm)].map((m) => m[2]);
  t.equal(addrs[0], `tcp:127.0.0.1:${port}`, 'the listener first');
  for (const s of socks) t.ok(addrs.includes(`tcp:127.0.0.1:${s.localPort}`), `lists tcp:127.0.0.1:${s.localPort}`);
  t.equal(addrs.length, socks.length + 1);
  t.match(reply, /STAT \d+:state conn_parse_cmd\r\n/, 'the asking connection is busy answering');
  socks.pop()?.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const later = await text(socks[1] as net.Socket, 'stats conns\r\n');
  t.equal([...later.matchAll(/:addr /g)].length, socks.length + 1, 'a closed connection leaves the list');
});

t.test('-c is one limit over all workers', async (t) => {
  const { port, server } = await startTestServer(t, { threads: THREADS, maxConns: 3 });
  const socks = await oneConnectionPerWorker(port, 3);
  t.teardown(() => socks.forEach((s) => s.destroy()));
  const extra = await connect(port);
  const refused = await readUntil(extra, () => false);
  t.equal(refused.reply.toString(), 'ERROR Too many open connections\r\n');
  t.equal(server.context.counters.rejectedConnections, 1);
  socks.pop()?.destroy();
  // The freed place is taken again, on whichever worker comes next.
  let again: net.Socket | undefined;
  for (let i = 0; i < 50 && again === undefined; i++) {
    const s = await connect(port);
    const r = await Promise.race([send(s, 'version\r\n'), readUntil(s, () => false)]);
    if (r.reply.toString().startsWith('VERSION')) again = s;
    else await new Promise((res) => setTimeout(res, 50));
  }
  t.ok(again, 'a connection fits once one has closed');
  again?.destroy();
});

t.test('verbosity from one worker changes the log of all; lines stay whole', async (t) => {
  const { port, logLines } = shared;
  const socks = await oneConnectionPerWorker(port);
  t.teardown(() => socks.forEach((s) => s.destroy()));
  t.equal(await text(socks[0] as net.Socket, 'verbosity 2\r\n'), 'OK\r\n');
  await Promise.all(socks.map((s, i) => send(s, `get logged${i}\r\n`.repeat(50))));
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < socks.length; i++) t.ok(logLines.some((l) => l.endsWith(` get logged${i}`)), `worker ${i} logs at -vv`);
  const bad = logLines.filter((l) => !/^[<>]\d+ /.test(l));
  t.same(bad, [], 'every line is one whole log line');
  const settings = statMap(await text(socks[3] as net.Socket, 'stats settings\r\n'));
  t.equal(settings.get('verbosity'), '2');
  t.equal(await text(socks[2] as net.Socket, 'verbosity 0\r\n'), 'OK\r\n');
});

t.test('flush_all on one worker empties the store for all', async (t) => {
  const { port } = shared;
  const socks = await oneConnectionPerWorker(port);
  t.teardown(() => socks.forEach((s) => s.destroy()));
  t.equal(await text(socks[0] as net.Socket, 'set f 0 0 1\r\nx\r\n'), 'STORED\r\n');
  t.equal(await text(socks[2] as net.Socket, 'flush_all\r\n'), 'OK\r\n');
  t.equal(await text(socks[0] as net.Socket, 'get f\r\n'), 'END\r\n');
});

t.test('the bin: SIGTERM drains every worker and exits 0', async (t) => {
  const server = await serveBin(['-t', String(THREADS), '-R', '1']);
  const socks = await oneConnectionPerWorker(server.port);
  for (const s of socks) await send(s, 'set a 0 0 1\r\nx\r\n');
  // A batch on every worker, read and being answered one request per turn.
  const replies = socks.map((s) => readUntil(s, () => false));
  for (const s of socks) s.write('get a\r\n'.repeat(200));
  await new Promise((r) => setTimeout(r, 20));
  server.kill('SIGTERM');
  const exit = await server.exited;
  t.same(exit, { code: 0, signal: null });
  for (const r of await Promise.all(replies)) {
    t.ok(r.closed, 'closed by the server');
    t.equal(r.reply.length % 'VALUE a 0 1\r\nx\r\nEND\r\n'.length, 0, 'only whole replies');
  }
});

t.test('the bin: a unix socket with threads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gac-threads-'));
  const path = join(dir, 'mc.sock');
  ensureBuilt();
  const child = spawn(process.execPath, [BIN, '-t', String(THREADS), '-s', path, '-A', '-v'], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(`listening on ${path}`)) resolve();
    });
  });
  const socks = await oneConnectionPerWorker(path);
  t.equal(await text(socks[0] as net.Socket, 'set u 0 0 2\r\nok\r\n'), 'STORED\r\n');
  for (const s of socks) t.equal(await text(s, 'get u\r\n'), 'VALUE u 0 2\r\nok\r\nEND\r\n');
  const conns = await text(socks[1] as net.Socket, 'stats conns\r\n');
  t.equal([...conns.matchAll(/:addr unix:/g)].length, socks.length + 1, 'listener and every connection');
  // `shutdown` from a worker stops the whole server.
  socks[2]?.write('shutdown\r\n');
  t.same(await exited, { code: 0, signal: null });
  socks.forEach((s) => s.destroy());
});
