// -t N side by side with memcached at the same -t, in one run (issue 11):
//
//   scaling:  90/10 get/set, 100 B values, 100k preloaded keys, 50 connections,
//             no pipelining; ours and memcached at each -t in --threads,
//             alternating which goes first; throughput and server CPU per
//             request as ratios ours/memcached, plus each server's own tN/t1.
//   eviction: set-only into -m 64 over a key space several times the memory
//             (constant eviction), 100 B and 1 KiB values, 50 connections, no
//             pipelining, at --eviction-threads: p99 / p99.9 / p99.99 of sets,
//             ours against memcached, and ours' segcache_inline_merges (writes
//             that waited for a merge) during the measured window; then each
//             server's CPU per set and context switches per thread name
//             (Linux /proc: MainThread is -t 1's loop, WorkerThread the
//             workers and the housekeeping thread, V8Worker the GC helpers).
//
// The thread counts and core sets are arguments, so the same command runs on
// a bigger machine:
//
//   node dist/benchmarks/threads-bench.js --threads 1,2,4 --server-cores 0-5 --client-cores 6-7
//
// Options: --threads 1,2,4  --server-cores LIST  --client-cores LIST (taskset
// -c syntax; empty = no pinning)  --seconds N  --rounds N  --only
// scaling|eviction  --eviction-threads N  --connections N  --rate N (eviction
// only: open loop at N sets/s over all connections, so both servers are
// compared at the same offered load instead of each at its own saturation;
// adds latency counted from each request's scheduled time)  --ours-threads N
// (eviction only: ours at -t N against memcached at --eviction-threads, the
// operator's question "which -t on this machine"; default: the same -t).
// env THREADS_BENCH_OURS_ARGS: extra arguments for ours (e.g. '-o advisor');
// THREADS_BENCH_OURS_ENTRY: another build's dist/lib/cli/main.js as ours (to
// alternate two builds under one harness); THREADS_BENCH_OURS_NODE_ARGS: node
// options for ours (e.g. '--min-semi-space-size=8' to price a bigger young
// generation, or '--trace-gc').

import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadConfig, LoadResult } from './loadgen/config.js';
import { workerCommand } from './harness/spawn-worker.js';
import { RunningServer, oneShot } from './servers/server-process.js';
import { freePort } from './servers/free-port.js';
import { oursEntry } from './servers/server-specs.js';
import { hasTaskset } from './servers/cpu-plan.js';
import { median, ratio, spread } from './core/summary.js';
import { parseStatsReply, statNumber } from './core/stats-lines.js';

interface Options {
  threads: number[];
  serverCores: string;
  clientCores: string;
  seconds: number;
  rounds: number;
  only: string | undefined;
  evictionThreads: number;
  connections: number;
  /** Eviction: open-loop sets per second (0 = closed loop). */
  rate: number;
  /** Eviction: ours' -t when it differs from memcached's (undefined = the same). */
  oursThreads: number | undefined;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { threads: [1, 2, 4], serverCores: '0', clientCores: '1', seconds: 3, rounds: 3, only: undefined, evictionThreads: 4, connections: 50, rate: 0, oursThreads: undefined };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--threads': o.threads = v.split(',').map(Number); i++; break;
      case '--server-cores': o.serverCores = v; i++; break;
      case '--client-cores': o.clientCores = v; i++; break;
      case '--seconds': o.seconds = Number(v); i++; break;
      case '--rounds': o.rounds = Number(v); i++; break;
      case '--only': o.only = v; i++; break;
      case '--eviction-threads': o.evictionThreads = Number(v); i++; break;
      case '--connections': o.connections = Number(v); i++; break;
      case '--rate': o.rate = Number(v); i++; break;
      case '--ours-threads': o.oursThreads = Number(v); i++; break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (!hasTaskset()) o.serverCores = o.clientCores = '';
  return o;
}

type Kind = 'memcached' | 'ours';

function pinned(cores: string, command: string, args: string[]): [string, string[]] {
  return cores === '' ? [command, args] : ['taskset', ['-c', cores, command, ...args]];
}

async function start(kind: Kind, threads: number, memoryMb: number, cores: string): Promise<RunningServer> {
  const port = await freePort();
  const flags = ['-U', '0', '-l', '127.0.0.1', '-p', String(port), '-m', String(memoryMb), '-t', String(threads)];
  const asRoot = process.getuid?.() === 0 ? ['-u', userInfo().username] : [];
  // THREADS_BENCH_OURS_ARGS: extra arguments for ours only (e.g. '-o advisor' to price the sizing advisor).
  const oursExtra = (process.env.THREADS_BENCH_OURS_ARGS ?? '').split(' ').filter((a) => a !== '');
  const oursNode = (process.env.THREADS_BENCH_OURS_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const [command, args] = kind === 'memcached' ? pinned(cores, 'memcached', [...flags, ...asRoot]) : pinned(cores, process.execPath, [...oursNode, process.env.THREADS_BENCH_OURS_ENTRY ?? oursEntry, ...flags, ...oursExtra]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new RunningServer(kind, port, child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await oneShot(port, 'version\r\n', /\r\n$/, 1000);
      return server;
    } catch (err) {
      if (!server.alive || Date.now() > deadline) throw new Error(`${kind} -t ${threads} did not start: ${(err as Error).message} ${server.stderr}`, { cause: err });
      await sleep(100);
    }
  }
}

function load(cores: string, config: LoadConfig, timeoutMs: number): Promise<LoadResult> {
  const [command, args] = pinned(cores, process.execPath, [...workerCommand(), 'load', JSON.stringify(config)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last, (_k, v: unknown) => (v === null ? NaN : v)) as LoadResult);
      else reject(new Error(`load failed (exit ${code}): ${err.trim().slice(-500)}`));
    });
  });
}

async function stat(server: RunningServer, name: string): Promise<number> {
  // Our own fields (segcache_*) are in `stats segcache`, memcached's in `stats`.
  const command = name.startsWith('segcache_') ? 'stats segcache\r\n' : 'stats\r\n';
  return statNumber(parseStatsReply(await oneShot(server.port, command, /END\r\n$/)), name);
}

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const cell = (xs: number[], digits = 0): string => (xs.length ? `${fmt(median(xs), digits)} ±${fmt(xs.length > 1 ? spread(xs) : 0, digits)}` : '-');

function pairedRatios(ours: LoadResult[], mc: LoadResult[], pick: (r: LoadResult) => number): number[] {
  return ours.slice(0, Math.min(ours.length, mc.length)).map((r, i) => ratio(pick(r), pick(mc[i] as LoadResult)));
}

async function scaling(o: Options): Promise<void> {
  console.log(`\n## Scaling: 90/10 get/set, 100 B values, ${o.connections} conns, no pipelining; server cores [${o.serverCores || 'any'}], client cores [${o.clientCores || 'any'}], ${o.rounds} rounds of ${o.seconds} s\n`);
  const results = new Map<string, LoadResult[]>();
  for (const t of o.threads) {
    const servers = { memcached: await start('memcached', t, 64, o.serverCores), ours: await start('ours', t, 64, o.serverCores) };
    try {
      for (let round = 0; round < o.rounds; round++) {
        const order: Kind[] = round % 2 === 0 ? ['memcached', 'ours'] : ['ours', 'memcached'];
        for (const kind of order) {
          const server = servers[kind];
          const config: LoadConfig = {
            host: '127.0.0.1', port: server.port, serverPid: server.pid, connections: o.connections, depth: 1,
            warmupMs: 500, durationMs: o.seconds * 1000, keyCount: 100_000, keySize: 32, valueSize: 100,
            getRatio: 0.9, keysPerGet: 1, preload: round === 0, seed: 42 + round,
          };
          const r = await load(o.clientCores, config, o.seconds * 1000 + 60_000);
          const key = `${kind}/${t}`;
          results.set(key, [...(results.get(key) ?? []), r]);
          console.error(`  -t ${t} round ${round + 1} ${kind}: ${Math.round(r.opsPerSec)} ops/s, ${fmt(r.serverCpuUsPerOp)} µs CPU/op, client CPU ${fmt(r.clientCpuSec / r.seconds)}`);
        }
      }
    } finally {
      await servers.memcached.stop();
      await servers.ours.stop();
    }
  }
  console.log('| -t | memcached ops/s | ours ops/s | ours/mc ops | memcached CPU µs/op | ours CPU µs/op | ours/mc CPU | mc tN/t1 ops | ours tN/t1 ops | load gen CPU busy |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const base = (kind: Kind): number => median((results.get(`${kind}/${o.threads[0]}`) ?? []).map((r) => r.opsPerSec));
  for (const t of o.threads) {
    const mc = results.get(`memcached/${t}`) ?? [];
    const ours = results.get(`ours/${t}`) ?? [];
    const ops = (r: LoadResult): number => r.opsPerSec;
    const cpu = (r: LoadResult): number => r.serverCpuUsPerOp;
    console.log(
      `| ${t} | ${cell(mc.map(ops))} | ${cell(ours.map(ops))} | ${cell(pairedRatios(ours, mc, ops), 2)} | ${cell(mc.map(cpu), 2)} | ${cell(ours.map(cpu), 2)} | ${cell(pairedRatios(ours, mc, cpu), 2)} | ${fmt(median(mc.map(ops)) / base('memcached'))} | ${fmt(median(ours.map(ops)) / base('ours'))} | ${cell([...mc, ...ours].map((r) => r.clientCpuSec / r.seconds), 2)} |`,
    );
  }
}

async function eviction(o: Options): Promise<void> {
  const t = o.evictionThreads;
  const oursT = o.oursThreads ?? t;
  const open = o.rate > 0;
  const loop = open ? `open loop at ${o.rate} sets/s` : 'closed loop';
  const threadCounts = oursT === t ? `-t ${t}` : `memcached -t ${t}, ours -t ${oursT}`;
  console.log(`\n## Eviction latency: set-only into -m 64, ${o.connections} conns, no pipelining, ${loop}, ${threadCounts}; ${o.rounds} rounds of ${o.seconds} s\n`);
  const scheduledHead = open ? ' p99 from schedule µs | p99.99 from schedule µs |' : '';
  console.log(`| value | server | sets/s | p99 µs | p99.9 µs | p99.99 µs |${scheduledHead} CPU µs/set | evictions in window | inline merges in window |`);
  console.log(`|---|---|---|---|---|---|${open ? '---|---|' : ''}---|---|---|`);
  const ratios: string[] = [];
  const perThread: string[] = [];
  for (const valueSize of [100, 1024]) {
    // Key space ~3x what -m 64 holds, so nearly every set evicts; round 0
    // stores every key once (pipelined) to fill the memory, and is not counted.
    const keyCount = valueSize < 512 ? 1_500_000 : 200_000;
    const servers = { memcached: await start('memcached', t, 64, o.serverCores), ours: await start('ours', oursT, 64, o.serverCores) };
    const runs: Record<Kind, Array<LoadResult & { inline: number; evicted: number }>> = { memcached: [], ours: [] };
    try {
      for (let round = 0; round < o.rounds + 1; round++) {
        const order: Kind[] = round % 2 === 0 ? ['memcached', 'ours'] : ['ours', 'memcached'];
        for (const kind of order) {
          const server = servers[kind];
          const before = { inline: kind === 'ours' ? await stat(server, 'segcache_inline_merges') : NaN, evicted: await stat(server, 'evictions') };
          const config: LoadConfig = {
            host: '127.0.0.1', port: server.port, serverPid: server.pid, connections: o.connections, depth: 1,
            warmupMs: 500, durationMs: o.seconds * 1000, keyCount, keySize: 16, valueSize,
            getRatio: 0, keysPerGet: 1, preload: round === 0, seed: 7 + round, ratePerSec: o.rate,
          };
          const r = await load(o.clientCores, config, o.seconds * 1000 + 600_000);
          const inline = kind === 'ours' ? (await stat(server, 'segcache_inline_merges')) - before.inline : NaN;
          const evicted = (await stat(server, 'evictions')) - before.evicted;
          // Round 0 fills the memory: eviction has not started in all of it.
          if (round > 0) runs[kind].push({ ...r, inline, evicted });
          const threads = Object.entries(r.serverThreads ?? {})
            .filter(([, u]) => u.cpuSec / r.ops >= 5e-8)
            .map(([name, u]) => `${name} ${fmt((u.cpuSec / r.ops) * 1e6)}`)
            .join(', ');
          console.error(`  ${valueSize} B round ${round} ${kind}: ${Math.round(r.opsPerSec)} sets/s p99 ${r.p99Us} p99.99 ${r.p9999Us} µs, CPU ${fmt(r.serverCpuUsPerOp)} µs/set (${threads}), inline merges ${inline}, evictions ${evicted}`);
        }
      }
    } finally {
      await servers.memcached.stop();
      await servers.ours.stop();
    }
    for (const kind of ['memcached', 'ours'] as const) {
      const rs = runs[kind];
      console.log(
        `| ${valueSize} B | ${kind} | ${cell(rs.map((r) => r.opsPerSec))} | ${cell(rs.map((r) => r.p99Us))} | ${cell(rs.map((r) => r.p999Us))} | ${cell(rs.map((r) => r.p9999Us))} |${open ? ` ${cell(rs.map((r) => r.scheduledP99Us))} | ${cell(rs.map((r) => r.scheduledP9999Us))} |` : ''} ${cell(rs.map((r) => r.serverCpuUsPerOp), 2)} | ${cell(rs.map((r) => r.evicted))} | ${kind === 'ours' ? cell(rs.map((r) => r.inline)) : '-'} |`,
      );
    }
    for (const kind of ['memcached', 'ours'] as const) perThread.push(...threadRows(valueSize, kind, runs[kind]));
    const p = (pick: (r: LoadResult) => number): string => cell(pairedRatios(runs.ours, runs.memcached, pick), 2);
    const scheduled = open ? ` ${p((r) => r.scheduledP99Us)} | ${p((r) => r.scheduledP9999Us)} |` : '';
    ratios.push(`| ${valueSize} B | ${p((r) => r.p99Us)} | ${p((r) => r.p999Us)} | ${p((r) => r.p9999Us)} |${scheduled} ${p((r) => r.serverCpuUsPerOp)} |`);
  }
  console.log(`\n| value | ours/mc p99 | ours/mc p99.9 | ours/mc p99.99 |${open ? ' ours/mc p99 from schedule | ours/mc p99.99 from schedule |' : ''} ours/mc CPU per set |`);
  console.log(`|---|---|---|---|${open ? '---|---|' : ''}---|`);
  for (const line of ratios) console.log(line);
  console.log('\n| value | server | thread | CPU µs/set | voluntary switches per 1k sets | involuntary switches per 1k sets |');
  console.log('|---|---|---|---|---|---|');
  for (const line of perThread) console.log(line);
}

/** Table rows of each thread name's CPU per set and context switches per 1000 sets, medians over the rounds. */
function threadRows(valueSize: number, kind: Kind, rs: LoadResult[]): string[] {
  const names = [...new Set(rs.flatMap((r) => Object.keys(r.serverThreads ?? {})))].sort();
  const rows: string[] = [];
  for (const name of names) {
    const per = (pick: (u: { cpuSec: number; voluntary: number; involuntary: number }) => number, scale: number): number[] =>
      rs.map((r) => {
        const u = r.serverThreads?.[name];
        return u === undefined ? 0 : (pick(u) / r.ops) * scale;
      });
    const cpu = per((u) => u.cpuSec, 1e6);
    if (median(cpu) < 0.005) continue;
    rows.push(`| ${valueSize} B | ${kind} | ${name} | ${cell(cpu, 2)} | ${cell(per((u) => u.voluntary, 1000), 1)} | ${cell(per((u) => u.involuntary, 1000), 1)} |`);
  }
  return rows;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.only === undefined || opts.only === 'scaling') await scaling(opts);
if (opts.only === undefined || opts.only === 'eviction') await eviction(opts);
