// Cross-check with a load tool that is not ours: Debian's memcslap
// (libmemcached-tools, a C client, 4 threads) against both servers, get
// and set tests, alternating servers over rounds. Its figures do not carry
// the targets; they show whether our Node load generator tells the
// same story.

import { spawn, spawnSync } from 'node:child_process';
import { median, ratio, spread } from '../core/summary.js';
import { missingCell, type Cell, type Row } from '../harness/rows.js';
import { pinned } from '../servers/cpu-plan.js';
import { startServer, type RunningServer } from '../servers/server-process.js';
import type { ServerSpec } from '../servers/server-specs.js';
import { specsOf, type SuiteContext } from './context.js';
import type { PerServer } from './per-server.js';

const THREADS = 4;

/** Keys per second from memcslap's "Time to get 78181 keys by 4 threads: 1.589 seconds." line. */
export function parseMemcslap(output: string, test: 'get' | 'set'): number {
  const m = new RegExp(`Time to ${test}\\s+(\\d+) keys by\\s+\\d+ threads:\\s+([\\d.]+) seconds`).exec(output);
  if (!m) return NaN;
  const seconds = Number(m[2]);
  return seconds > 0 ? Number(m[1]) / seconds : NaN;
}

function memcslap(ctx: SuiteContext, port: number, test: 'get' | 'set', executeNumber: number): Promise<number> {
  const [command, args] = pinned(ctx.plan.clientCore, 'memcslap', ['-s', `127.0.0.1:${port}`, '-t', test, '-c', String(THREADS), '-e', String(executeNumber)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const rate = parseMemcslap(out, test);
      if (code === 0 && Number.isFinite(rate)) resolve(rate);
      else reject(new Error(`memcslap ${test} failed (exit ${code}): ${out.trim().slice(-300)}`));
    });
  });
}

export function memcslapAvailable(): boolean {
  return spawnSync('memcslap', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The row of one memcslap test from each server's rates (in round order). */
export function crossCheckRow(test: 'get' | 'set', runs: PerServer<number[]>): Row {
  const cell = (xs: number[] | undefined, note: string): Cell =>
    xs && xs.length > 0 ? { value: median(xs), spread: xs.length > 1 ? spread(xs) : undefined } : missingCell(note);
  const mc = runs.memcached ?? [];
  const ours = runs.ours ?? [];
  const n = Math.min(mc.length, ours.length);
  const ratios = Array.from({ length: n }, (_, i) => ratio(ours[i]!, mc[i]!));
  return {
    bench: `cross-check: memcslap -t ${test} -c ${THREADS}`,
    metric: 'keys/s',
    unit: 'ops/s',
    memcached: cell(runs.memcached, runs.memcachedNote),
    ours: cell(runs.ours, runs.oursNote),
    ratio: median(ratios),
    ratioSpread: n > 1 ? spread(ratios) : undefined,
    target: { kind: 'info' },
  };
}

export async function runCrossCheck(ctx: SuiteContext): Promise<Row[]> {
  if (!memcslapAvailable()) {
    ctx.log('crosscheck: memcslap not installed (libmemcached-tools); skipped');
    return [];
  }
  const rounds = Math.min(ctx.rounds, 3);
  const executeNumber = ctx.quick ? 5000 : 20000;
  const tests = ['get', 'set'] as const;
  const runs = new Map<string, number[]>();
  const notes = new Map<string, string>();
  const servers = new Map<string, RunningServer>();
  ctx.log(`crosscheck: memcslap, ${THREADS} threads, ${executeNumber} x ${THREADS} keys per test, ${rounds} round(s)`);
  try {
    for (const spec of specsOf(ctx)) {
      try {
        const server = await startServer(spec, { memoryMb: 64, core: ctx.plan.serverCore });
        servers.set(spec.name, server);
        ctx.serverLabels.set(server.pid, `${spec.name} memcslap`);
      } catch (err) {
        ctx.log(`${spec.name}: failed to start: ${(err as Error).message}`);
        notes.set(spec.name, 'failed to start');
      }
    }
    for (let round = 0; round < rounds; round++) {
      const order: ServerSpec[] = round % 2 === 0 ? specsOf(ctx) : [...specsOf(ctx)].reverse();
      for (const spec of order) {
        const server = servers.get(spec.name);
        if (!server || notes.has(spec.name)) continue;
        for (const test of tests) {
          try {
            const rate = await memcslap(ctx, server.port, test, executeNumber);
            const key = `${spec.name}/${test}`;
            runs.set(key, [...(runs.get(key) ?? []), rate]);
          } catch (err) {
            ctx.log(`${spec.name}: ${(err as Error).message}`);
            notes.set(spec.name, server.alive ? 'error' : 'crashed');
          }
        }
      }
    }
  } finally {
    for (const s of servers.values()) await s.stop();
  }
  ctx.raw.crosscheck = Object.fromEntries(runs);
  return tests.map((test) =>
    crossCheckRow(test, {
      memcached: runs.get(`${ctx.memcached.name}/${test}`),
      ours: ctx.ours ? runs.get(`${ctx.ours.name}/${test}`) : undefined,
      memcachedNote: notes.get(ctx.memcached.name) ?? 'no result',
      oursNote: ctx.ours ? (notes.get(ctx.ours.name) ?? 'no result') : ctx.oursNote,
    }),
  );
}
