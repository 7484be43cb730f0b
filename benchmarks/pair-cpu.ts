// Server CPU per set of two grow-a-cache builds (or one build under two
// environments) measured at the same time: both servers run at once, pinned
// to the same core, each under its own closed-loop set-only load (50
// connections, no pipelining, keys drawn from a space many times -m 64, so
// eviction runs throughout); every window reports each server's CPU per set
// (utime + stime of the process / sets answered) and the ratio B/A. On a
// shared machine, where runs minutes apart see different loads, the two
// sides of a window see the same one, so the ratio noises far less than
// runs taken in turn. Not a latency benchmark (threads-bench.js --only
// eviction is), and not against memcached.
//
//   taskset -c 1 node dist/benchmarks/pair-cpu.js --a <main.js> --b <main.js> [--windows 10] [--seconds 2]
//       [--value 100] [--conns 50] [--core 0] [--gc]
//   env PAIR_ENV_A / PAIR_ENV_B: JSON of extra environment for a side, e.g. '{"GROW_A_CACHE_STREAM_WRITES":"1"}'
//   --gc: run both servers with --trace-gc and report scavenges per 100k sets.
//
// Prints one line per window and the median ratio with min and max.

import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    windows: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '2' },
    value: { type: 'string', default: '100' },
    conns: { type: 'string', default: '50' },
    core: { type: 'string', default: '0' },
    warm: { type: 'string', default: '4' },
    gc: { type: 'boolean', default: false },
  },
});
if (values.a === undefined || values.b === undefined) throw new Error('--a and --b name the two dist/lib/cli/main.js');
const VALUE = Number(values.value);
const CONNS = Number(values.conns);
/** Keys drawn from this many: ~40x what -m 64 holds at 100 B. */
const KEY_SPACE = 8_000_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** utime + stime of all the process's threads, seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Server {
  child: ChildProcess;
  port: number;
  scavenges: () => number;
}

async function start(side: string, entry: string, extraEnv: Record<string, string>): Promise<Server> {
  const portFile = join(tmpdir(), `pair-cpu-${process.pid}-${side}`);
  rmSync(portFile, { force: true });
  const node = [...(values.gc ? ['--trace-gc'] : []), entry, '-p', '-1', '-l', '127.0.0.1', '-m', '64', '-t', '1'];
  const child = spawn('taskset', ['-c', values.core, process.execPath, ...node], {
    env: { ...process.env, ...extraEnv, MEMCACHED_PORT_FILENAME: portFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let scavenges = 0;
  child.stdout!.on('data', (d: Buffer) => {
    for (let at = d.indexOf('Scavenge'); at >= 0; at = d.indexOf('Scavenge', at + 1)) scavenges++;
  });
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    let text = '';
    try {
      text = readFileSync(portFile, 'latin1');
    } catch {
      continue;
    }
    const m = /TCP INET: (\d+)/.exec(text);
    if (m) return { child, port: Number(m[1]), scavenges: () => scavenges };
  }
  child.kill();
  throw new Error(`${side}: no port file`);
}

interface Load {
  sets: number;
  stop: boolean;
  closed: Array<Promise<void>>;
}

/** CONNS connections, each sending the next set when STORED arrives. */
function load(port: number): Load {
  const value = Buffer.alloc(VALUE, 0x61);
  const tail = Buffer.from('\r\n');
  const state: Load = { sets: 0, stop: false, closed: [] };
  let seed = Math.floor(Math.random() * 1e9);
  for (let c = 0; c < CONNS; c++) {
    state.closed.push(
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.setNoDelay(true);
        let pending = 0;
        const send = (): void => {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
          const key = `k${(seed % KEY_SPACE).toString(36).padStart(8, '0')}`;
          s.write(Buffer.concat([Buffer.from(`set ${key} 0 0 ${VALUE}\r\n`), value, tail]));
        };
        s.on('connect', send);
        s.on('data', (d: Buffer) => {
          pending += d.length;
          // 'STORED\r\n' is 8 bytes.
          while (pending >= 8) {
            pending -= 8;
            state.sets++;
            if (state.stop) {
              s.end();
              return;
            }
            send();
          }
        });
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      }),
    );
  }
  return state;
}

const envOf = (name: string): Record<string, string> => JSON.parse(process.env[name] ?? '{}') as Record<string, string>;
const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

const a = await start('A', values.a, envOf('PAIR_ENV_A'));
const b = await start('B', values.b, envOf('PAIR_ENV_B'));
const la = load(a.port);
const lb = load(b.port);
await sleep(Number(values.warm) * 1000);
const ratios: number[] = [];
const perSet = { a: [] as number[], b: [] as number[], ga: [] as number[], gb: [] as number[] };
const seconds = Number(values.seconds);
for (let w = 0; w < Number(values.windows); w++) {
  const before = [la.sets, lb.sets, cpuSeconds(a.child.pid!), cpuSeconds(b.child.pid!), a.scavenges(), b.scavenges()] as const;
  await sleep(seconds * 1000);
  const na = la.sets - before[0];
  const nb = lb.sets - before[1];
  const ua = ((cpuSeconds(a.child.pid!) - before[2]) / na) * 1e6;
  const ub = ((cpuSeconds(b.child.pid!) - before[3]) / nb) * 1e6;
  const ga = ((a.scavenges() - before[4]) / na) * 1e5;
  const gb = ((b.scavenges() - before[5]) / nb) * 1e5;
  ratios.push(ub / ua);
  perSet.a.push(ua);
  perSet.b.push(ub);
  perSet.ga.push(ga);
  perSet.gb.push(gb);
  const gc = (g: number): string => (values.gc ? `, ${g.toFixed(1)} scavenges/100k` : '');
  console.log(`window ${w}: A ${(na / seconds).toFixed(0)} sets/s ${ua.toFixed(2)} µs/set${gc(ga)} | B ${(nb / seconds).toFixed(0)} sets/s ${ub.toFixed(2)} µs/set${gc(gb)} | B/A ${(ub / ua).toFixed(3)}`);
}
la.stop = true;
lb.stop = true;
await Promise.all([...la.closed, ...lb.closed]);
a.child.kill();
b.child.kill();
const sorted = [...ratios].sort((p, q) => p - q);
const gcLine = values.gc ? `; scavenges/100k sets A ${median(perSet.ga).toFixed(1)} B ${median(perSet.gb).toFixed(1)}` : '';
console.log(
  `median CPU µs/set A ${median(perSet.a).toFixed(2)} B ${median(perSet.b).toFixed(2)}; B/A median ${median(ratios).toFixed(3)} (min ${sorted[0]!.toFixed(3)}, max ${sorted[sorted.length - 1]!.toFixed(3)})${gcLine}`,
);
