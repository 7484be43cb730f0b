// How to spread connections over worker threads, measured (issue 11): each
// worker listening on the same port with reusePort, against the main thread
// accepting (pauseOnConnect) and transferring the socket to a worker round
// robin. For each: how many of C connections each of W workers got, and the
// time from connect() to the first answered request (median and p90 over
// the connections, opened one at a time), against a single-loop server
// answering itself as the baseline. Echo servers only: what is measured is
// the spreading, not the cache.
//
//   node dist/benchmarks/thread-spread.js [workers=4] [connections=200]

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

type Mode = 'single' | 'handoff' | 'reuseport';

function serveEcho(socket: Socket, counter: Int32Array, index: number): void {
  Atomics.add(counter, index, 1);
  socket.on('data', (d) => socket.write(d));
  socket.on('error', () => {});
}

if (!isMainThread) {
  const { mode, port, counter, index } = workerData as { mode: Mode; port: number; counter: SharedArrayBuffer; index: number };
  const counts = new Int32Array(counter);
  if (mode === 'reuseport') {
    const server = net.createServer((s) => serveEcho(s, counts, index));
    server.listen({ host: '127.0.0.1', port, reusePort: true } as net.ListenOptions, () => parentPort?.postMessage('ready'));
    parentPort?.on('message', () => server.close());
  } else {
    parentPort?.on('message', (msg: { sock?: Socket }) => {
      if (msg.sock) serveEcho(msg.sock, counts, index);
    });
    parentPort?.postMessage('ready');
  }
} else {
  const workers = Number(process.argv[2] ?? 4);
  const connections = Number(process.argv[3] ?? 200);

  const freePort = (): Promise<number> =>
    new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });

  const oneConnection = (port: number): Promise<{ ms: number; socket: Socket }> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const socket = net.connect(port, '127.0.0.1', () => socket.write('x'));
      socket.once('data', () => resolve({ ms: performance.now() - t0, socket }));
      socket.once('error', reject);
    });

  const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;

  async function run(mode: Mode): Promise<void> {
    const port = await freePort();
    const counter = new SharedArrayBuffer(4 * workers);
    const counts = new Int32Array(counter);
    const pool: Worker[] = [];
    let main: net.Server | undefined;
    if (mode === 'single') {
      main = net.createServer((s) => serveEcho(s, counts, 0)).listen(port, '127.0.0.1');
    } else {
      for (let i = 0; i < workers; i++) {
        const w = new Worker(new URL(import.meta.url), { workerData: { mode, port, counter, index: i } });
        await new Promise((r) => w.once('message', r));
        pool.push(w);
      }
      if (mode === 'handoff') {
        let next = 0;
        main = net.createServer({ pauseOnConnect: true }, (sock) => {
          (pool[next] as Worker).postMessage({ sock }, [sock] as never[]);
          next = (next + 1) % workers;
        });
        main.listen(port, '127.0.0.1');
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    const times: number[] = [];
    const open: Socket[] = [];
    for (let i = 0; i < connections; i++) {
      const { ms, socket } = await oneConnection(port);
      times.push(ms);
      open.push(socket);
    }
    const split = mode === 'single' ? [connections] : Array.from(counts);
    console.log(
      `| ${mode} | ${split.join(' / ')} | ${Math.min(...split)}-${Math.max(...split)} | ${quantile(times, 0.5).toFixed(3)} | ${quantile(times, 0.9).toFixed(3)} |`,
    );
    for (const s of open) s.destroy();
    main?.close();
    await Promise.all(pool.map((w) => w.terminate()));
  }

  console.log(`${connections} connections, ${workers} workers, opened one at a time (connect + first echo)\n`);
  console.log('| way | connections per worker | min-max | median ms | p90 ms |');
  console.log('|---|---|---|---|---|');
  for (const mode of ['single', 'handoff', 'reuseport'] as const) await run(mode);
}
