// Which core the server and the load generator run on. On two or more
// cores they get one each (taskset), so the generator does not steal the
// server's CPU; with one core, or without taskset, nothing is pinned.

import { availableParallelism } from 'node:os';
import { spawnSync } from 'node:child_process';

export interface CpuPlan {
  /** Core for the server under test, or undefined for no pinning. */
  serverCore: number | undefined;
  /** Core for load-generating child processes, or undefined. */
  clientCore: number | undefined;
  cores: number;
}

let tasksetPresent: boolean | undefined;

export function hasTaskset(): boolean {
  if (tasksetPresent === undefined) {
    tasksetPresent = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  }
  return tasksetPresent;
}

export function planCpus(cores = availableParallelism(), taskset = hasTaskset()): CpuPlan {
  if (cores < 2 || !taskset) return { serverCore: undefined, clientCore: undefined, cores };
  return { serverCore: 0, clientCore: 1, cores };
}

/** Prefix a command with `taskset -c <core>` when a core is given. */
export function pinned(core: number | undefined, command: string, args: readonly string[]): [string, string[]] {
  if (core === undefined) return [command, [...args]];
  return ['taskset', ['-c', String(core), command, ...args]];
}
