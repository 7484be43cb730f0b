// Run a client-side task in a child process (benchmarks/worker.ts), pinned
// to the client core, and return its JSON result.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pinned } from '../servers/cpu-plan.js';

/**
 * Node arguments that start the worker: the compiled dist/benchmarks/worker.js,
 * or, when this module runs from the TypeScript sources (under tap's
 * loader), worker.ts with the same loader flags this process got.
 */
export function workerCommand(): string[] {
  const compiled = fileURLToPath(new URL('../worker.js', import.meta.url));
  const source = fileURLToPath(new URL('../worker.ts', import.meta.url));
  if (!existsSync(compiled) && existsSync(source)) return [...process.execArgv, source];
  return [compiled];
}

export interface WorkerOptions {
  core: number | undefined;
  /** Kill the child after this long (a hung run must not hang the suite). */
  timeoutMs: number;
  /** Pass the child's stderr through (progress lines). */
  verbose?: boolean;
}

export function runWorker<T>(task: string, config: object, options: WorkerOptions): Promise<T> {
  const [command, args] = pinned(options.core, process.execPath, [...workerCommand(), task, JSON.stringify(config)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-8192);
      if (options.verbose) process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close', not 'exit': 'exit' may come before the last of stdout is read, and the result line with it.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      // JSON has no NaN: the worker's NaNs arrive as null and are turned back.
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last, (_key, v: unknown) => (v === null ? NaN : v)) as T);
      else reject(new Error(`worker ${task} failed (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}
