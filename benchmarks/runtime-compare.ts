// Node runtimes side by side: grow-a-cache under two (or more) node
// binaries and memcached -t 1, all started at once, the throughput
// scenarios run against each in rotating order round after round. Each
// runtime's figures are ratios to memcached in the same round, so a change
// of runtime is judged against the same reference under the same noise.
// Not a test, and not part of `npm run bench`: the Node 20 -> 24 move.
//
//   node dist/benchmarks/runtime-compare.js --node /usr/bin/node --node /path/to/node24/bin/node
//     [--scenarios a,b,c,d] [--rounds 5] [--seconds 4]
//
// Prints, per scenario and runtime: median (and min-max) over rounds of the
// ratio ours/memcached for server CPU per request and for throughput.

import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { LoadConfig, LoadResult } from './loadgen/config.js';
import { runWorker } from './harness/spawn-worker.js';
import { median } from './core/summary.js';
import { startServer, type RunningServer } from './servers/server-process.js';
import { memcachedSpec, oursSpec, type ServerSpec } from './servers/server-specs.js';
import { planCpus } from './servers/cpu-plan.js';
import { SCENARIOS } from './suites/throughput.js';

const MEMORY_MB = 64;

function nodeVersion(binary: string): string {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
}

function fmt(xs: number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${median(xs).toFixed(2)} (${sorted[0]!.toFixed(2)}-${sorted[sorted.length - 1]!.toFixed(2)})`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      node: { type: 'string', multiple: true },
      scenarios: { type: 'string', default: 'a,b,c,d' },
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '4' },
      seed: { type: 'string', default: '42' },
    },
  });
  const binaries = values.node ?? [process.execPath];
  const rounds = Number(values.rounds);
  const durationMs = Number(values.seconds) * 1000;
  const plan = planCpus();
  const specs: ServerSpec[] = [
    memcachedSpec(),
    ...binaries.map((b) => ({ ...oursSpec({ nodeBinary: b }), name: `ours@${nodeVersion(b)}` })),
  ];
  const log = (m: string): void => void process.stderr.write(`[compare] ${m}\n`);
  log(`servers on core ${plan.serverCore ?? '-'}, load generator on core ${plan.clientCore ?? '-'}; ${rounds} rounds of ${durationMs} ms`);
  const lines: string[] = [];
  for (const sc of SCENARIOS.filter((s) => values.scenarios.split(',').includes(s.id))) {
    const servers = new Map<string, RunningServer>();
    const runs = new Map<string, LoadResult[]>();
    try {
      for (const spec of specs) servers.set(spec.name, await startServer(spec, { memoryMb: MEMORY_MB, core: plan.serverCore }));
      for (let round = 0; round < rounds; round++) {
        // Rotate who goes first, so drift in machine load spreads evenly.
        const order = specs.map((_, i) => specs[(i + round) % specs.length]!);
        for (const spec of order) {
          const server = servers.get(spec.name)!;
          const config: LoadConfig = {
            host: '127.0.0.1',
            port: server.port,
            serverPid: server.pid,
            warmupMs: 1000,
            durationMs,
            keyCount: 100_000,
            keySize: 32,
            seed: Number(values.seed) + round,
            ...sc.load,
            // Every server is preloaded in the first round it is driven in.
            preload: sc.load.preload && round === 0,
          };
          const r = await runWorker<LoadResult>('load', config, { core: plan.clientCore, timeoutMs: durationMs * 3 + 120_000 });
          (runs.get(spec.name) ?? runs.set(spec.name, []).get(spec.name)!).push(r);
          log(`${sc.id} round ${round + 1} ${spec.name}: ${Math.round(r.opsPerSec)} ops/s, ${r.serverCpuUsPerOp.toFixed(2)} µs CPU/op, client busy ${((100 * r.clientCpuSec) / r.seconds).toFixed(0)}%`);
        }
      }
    } finally {
      for (const s of servers.values()) await s.stop();
    }
    const mc = runs.get('memcached') ?? [];
    lines.push(`${sc.title}: memcached ${median(mc.map((r) => r.serverCpuUsPerOp)).toFixed(2)} µs CPU/op, ${Math.round(median(mc.map((r) => r.opsPerSec)))} ops/s`);
    for (const spec of specs.slice(1)) {
      const ours = runs.get(spec.name) ?? [];
      const cpu = ours.map((r, i) => r.serverCpuUsPerOp / mc[i]!.serverCpuUsPerOp);
      const ops = ours.map((r, i) => r.opsPerSec / mc[i]!.opsPerSec);
      lines.push(`  ${spec.name.padEnd(16)} CPU/request ${fmt(cpu)}x memcached, throughput ${fmt(ops)}x`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
