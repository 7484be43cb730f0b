// Warm restart side by side with memcached 1.6's own (-e): both servers
// filled with the same items over the wire, stopped gracefully (SIGUSR1 for
// memcached, which saves only on that; SIGTERM for us), started again with
// the same -e file, and timed: signal to exit (the save), spawn to the first
// hit (the restore, plus process start), and a cold start for reference.
// memcached's item memory is the mmap'd file itself (it wants tmpfs / DAX),
// so its save writes only a .meta file; ours writes the segments out. Both
// files live in --dir (default /dev/shm, where memcached's must be).
//
//   npm run build && node dist/benchmarks/warm-restart-peer.js [--mb 256] [--value 50] [--dir /dev/shm]

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort } from './servers/free-port.js';

const BIN = fileURLToPath(new URL('../lib/cli/main.js', import.meta.url));

interface Server {
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
}

function launch(cmd: string, args: string[], port: number): Server {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, port, exited };
}

function request(port: number, text: string | Buffer, until: (s: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.on('error', reject);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (until(got)) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.write(text);
  });
}

/** Spawn to the first answer of `get k0` that `ok` accepts, in milliseconds; NaN when it answers a miss, or nothing answers for 10 minutes. */
async function timeUntil(port: number, started: number, ok: (reply: string) => boolean): Promise<number> {
  while (performance.now() - started < 600_000) {
    try {
      const reply = await request(port, 'get k0\r\n', (s) => s.endsWith('END\r\n'));
      if (ok(reply)) return performance.now() - started;
      // Answering but without the item: the restart came up cold.
      if (reply === 'END\r\n') return NaN;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return NaN;
}

async function fill(port: number, count: number, valueBytes: number): Promise<void> {
  const value = Buffer.alloc(valueBytes, 0x62);
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const batch = Math.max(1, Math.floor(262_144 / (valueBytes + 40)));
  for (let i = 0; i < count; i += batch) {
    const parts: Buffer[] = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      parts.push(Buffer.from(`set k${j} 0 0 ${valueBytes} noreply\r\n`), value, Buffer.from('\r\n'));
    }
    if (!socket.write(Buffer.concat(parts))) await new Promise<void>((resolve) => socket.once('drain', () => resolve()));
  }
  const done = new Promise<void>((resolve) => {
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('VERSION')) resolve();
    });
  });
  socket.write('version\r\n');
  await done;
  socket.destroy();
}

async function currItems(port: number): Promise<number> {
  const stats = await request(port, 'stats\r\n', (s) => s.endsWith('END\r\n'));
  return Number(/STAT curr_items (\d+)/.exec(stats)?.[1] ?? NaN);
}

async function measure(name: string, cmd: string, base: string[], file: string, stopSignal: NodeJS.Signals, mb: number, count: number, valueBytes: number): Promise<string> {
  rmSync(file, { force: true });
  rmSync(`${file}.meta`, { force: true });
  const port = await freePort();
  const args = [...base, '-p', String(port), '-l', '127.0.0.1', '-m', String(mb), '-e', file];
  // Cold start for reference: spawn to the first (miss) answer.
  let started = performance.now();
  let server = launch(cmd, args, port);
  const coldMs = await timeUntil(port, started, () => true);
  const fillStart = performance.now();
  await fill(port, count, valueBytes);
  const fillS = (performance.now() - fillStart) / 1000;
  const before = await currItems(port);
  started = performance.now();
  server.child.kill(stopSignal);
  await server.exited;
  const stopMs = performance.now() - started;
  started = performance.now();
  server = launch(cmd, args, port);
  const warmMs = await timeUntil(port, started, (r) => r.startsWith('VALUE'));
  const after = await currItems(port).catch(() => NaN);
  server.child.kill('SIGKILL');
  await server.exited;
  rmSync(file, { force: true });
  rmSync(`${file}.meta`, { force: true });
  return `| ${name} | ${before} | ${after} | ${fillS.toFixed(1)} | ${(stopMs / 1000).toFixed(2)} | ${Number.isNaN(warmMs) ? 'came up cold' : (warmMs / 1000).toFixed(2)} | ${(coldMs / 1000).toFixed(2)} |`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mb: { type: 'string', default: '256' },
      value: { type: 'string', default: '50' },
      dir: { type: 'string', default: '/dev/shm' },
      count: { type: 'string' },
    },
  });
  const mb = Number(values.mb);
  const valueBytes = Number(values.value);
  // Fits both stores without eviction (memcached spends ~50 bytes more per item).
  const count = values.count !== undefined ? Number(values.count) : Math.floor((0.6 * mb * 1048576) / (valueBytes + 100));
  const rows = [
    await measure('memcached 1.6 -e', 'memcached', ['-U', '0', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])], join(values.dir!, 'gac-peer-memcached.img'), 'SIGUSR1', mb, count, valueBytes),
    await measure('grow-a-cache -e', process.execPath, [BIN], join(values.dir!, 'gac-peer-ours.img'), 'SIGTERM', mb, count, valueBytes),
  ];
  console.log(`\nRestart side by side: -m ${mb}, ${count} items of ${valueBytes}-byte values, files in ${values.dir}`);
  console.log('| server | items before | items after | fill s | stop (save) s | start to first hit s | cold start s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();
