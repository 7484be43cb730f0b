// A one-paragraph description of the machine a run used, for RESULTS.md:
// CPU model and count from /proc/cpuinfo, nproc, memory, kernel, Node and
// memcached versions.

import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';

/** CPU model names and their counts from the text of /proc/cpuinfo. */
export function cpuModels(cpuinfo: string): Array<[model: string, count: number]> {
  const counts = new Map<string, number>();
  for (const m of cpuinfo.matchAll(/^model name\s*:\s*(.+)$/gm)) {
    const model = m[1]!.trim();
    counts.set(model, (counts.get(model) ?? 0) + 1);
  }
  return [...counts];
}

function tryRun(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): string {
  let cpus = 'unknown CPU';
  try {
    cpus = cpuModels(readFileSync('/proc/cpuinfo', 'utf8'))
      .map(([model, n]) => `${n} x ${model}`)
      .join(', ');
  } catch {
    // not Linux: keep 'unknown CPU'
  }
  return [
    `CPU: ${cpus}; nproc ${tryRun('nproc', [])} (available parallelism ${availableParallelism()})`,
    `memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB; kernel ${release()}`,
    `Node ${process.version}; ${tryRun('memcached', ['-V'])}`,
  ].join('; ');
}

/**
 * The 1-minute load average as text: above the core count means other
 * processes competed for the CPUs during the run.
 */
export function loadAverage(): string {
  return loadavg()[0]!.toFixed(2);
}
