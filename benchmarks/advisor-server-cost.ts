// Server CPU per request with the sizing advisor off and on (-o advisor at
// its default rate), the same server binary side by side in one run:
// two servers per thread count, the same load (90/10 get/set, 100 B
// values, 100k preloaded keys, 50 connections, no pipelining) against each
// in alternating rounds; server CPU (every thread: workers, housekeeper
// with the copies, main) per request from /proc. Prints medians with
// spreads and the paired on/off ratios. On two or more cores both servers
// run on one core and the load generator on another (taskset), so the
// generator never steals the CPU being measured.
//
//   node dist/benchmarks/advisor-server-cost.js [--threads 1,4] [--rounds 4] [--seconds 5] [--rate R]

import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadConfig, LoadResult } from './loadgen/config.js';
import { runWorker } from './harness/spawn-worker.js';
import { planCpus, pinned } from './servers/cpu-plan.js';
import { RunningServer, oneShot } from './servers/server-process.js';
import { freePort } from './servers/free-port.js';
import { oursEntry } from './servers/server-specs.js';
import { median, spread } from './core/summary.js';

const cpus = planCpus();

async function start(threads: number, extra: string[]): Promise<RunningServer> {
  const port = await freePort();
  const [command, args] = pinned(cpus.serverCore, process.execPath, [oursEntry, '-U', '0', '-l', '127.0.0.1', '-p', String(port), '-m', '64', '-t', String(threads), ...extra]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new RunningServer(extra.length ? 'on' : 'off', port, child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await oneShot(port, 'version\r\n', /\r\n$/, 1000);
      return server;
    } catch (err) {
      if (!server.alive || Date.now() > deadline) throw new Error(`server did not start: ${(err as Error).message}`, { cause: err });
      await sleep(100);
    }
  }
}

function load(config: LoadConfig): Promise<LoadResult> {
  return runWorker<LoadResult>('load', config, { core: cpus.clientCore, timeoutMs: config.durationMs * 3 + 120_000 });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '1,4' },
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '5' },
      rate: { type: 'string' },
    },
  });
  const advisorArgs = ['-o', values.rate === undefined ? 'advisor' : `advisor_rate=${values.rate}`];
  console.log(`server core ${cpus.serverCore ?? 'any'}, load generator core ${cpus.clientCore ?? 'any'}`);
  console.log(`| -t | off CPU µs/op | on CPU µs/op | on/off (paired) | off ops/s | on ops/s |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const t of values.threads!.split(',').map(Number)) {
    const servers = { off: await start(t, []), on: await start(t, advisorArgs) };
    const res: Record<'off' | 'on', LoadResult[]> = { off: [], on: [] };
    try {
      for (let round = 0; round < Number(values.rounds); round++) {
        const order: Array<'off' | 'on'> = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        for (const kind of order) {
          const s = servers[kind];
          const r = await load({
            host: '127.0.0.1', port: s.port, serverPid: s.pid, connections: 50, depth: 1, warmupMs: 500,
            durationMs: Number(values.seconds) * 1000, keyCount: 100_000, keySize: 32, valueSize: 100,
            getRatio: 0.9, keysPerGet: 1, preload: round === 0, seed: 42 + round,
          });
          res[kind].push(r);
          console.error(`  -t ${t} round ${round + 1} ${kind}: ${Math.round(r.opsPerSec)} ops/s, ${r.serverCpuUsPerOp.toFixed(2)} µs CPU/op`);
        }
      }
    } finally {
      await Promise.all([servers.off.stop(), servers.on.stop()]);
    }
    const cpu = (k: 'off' | 'on'): number[] => res[k].map((r) => r.serverCpuUsPerOp);
    const paired = res.on.map((r, i) => r.serverCpuUsPerOp / res.off[i]!.serverCpuUsPerOp);
    // spread() is relative ((max - min) / median), so it always gets three decimals.
    const f = (xs: number[], d = 2): string => `${median(xs).toFixed(d)} ±${spread(xs).toFixed(3)}`;
    console.log(`| ${t} | ${f(cpu('off'))} | ${f(cpu('on'))} | ${f(paired, 3)} | ${f(res.off.map((r) => r.opsPerSec), 0)} | ${f(res.on.map((r) => r.opsPerSec), 0)} |`);
  }
}

await main();
