// Server resource use from Linux /proc: CPU time (utime + stime of
// /proc/<pid>/stat, all threads), the same per thread name with context
// switches (/proc/<pid>/task/*), and resident memory (VmRSS of
// /proc/<pid>/status). Parsers are separate from the reads so they can be
// tested on fixed text.

import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * utime + stime in clock ticks from the text of /proc/<pid>/stat. The
 * command name (field 2) may hold spaces and parentheses, so fields are
 * counted from the last ')'.
 */
export function parseCpuTicks(statText: string): number {
  const close = statText.lastIndexOf(')');
  if (close < 0) throw new Error('malformed /proc/<pid>/stat');
  // After ')': field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
  const fields = statText.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('malformed /proc/<pid>/stat');
  return utime + stime;
}

/** VmRSS in bytes from the text of /proc/<pid>/status; NaN when absent. */
export function parseRssBytes(statusText: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return m ? Number(m[1]) * 1024 : NaN;
}

let ticksPerSecond = 0;

/** Kernel clock ticks per second (getconf CLK_TCK), 100 if unknown. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === 0) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) a process has used so far. */
export function processCpuSeconds(pid: number): number {
  return parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicksPerSecond();
}

/** Resident set size of a process in bytes. */
export function processRssBytes(pid: number): number {
  return parseRssBytes(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** One thread name's totals: CPU seconds, voluntary (slept) and involuntary (preempted) context switches. */
export interface ThreadUse {
  cpuSec: number;
  voluntary: number;
  involuntary: number;
}

/** The context-switch counts of the text of /proc/<pid>/task/<tid>/status. */
export function parseContextSwitches(statusText: string): { voluntary: number; involuntary: number } {
  const v = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(statusText);
  const n = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(statusText);
  return { voluntary: v ? Number(v[1]) : NaN, involuntary: n ? Number(n[1]) : NaN };
}

/**
 * A process's use so far summed per thread name (Node: MainThread,
 * WorkerThread, V8Worker...); threads that exited meanwhile are not counted.
 */
export function threadUse(pid: number): Record<string, ThreadUse> {
  const out: Record<string, ThreadUse> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const dir = `/proc/${pid}/task/${tid}`;
      const name = readFileSync(`${dir}/comm`, 'utf8').trim();
      const cpuSec = parseCpuTicks(readFileSync(`${dir}/stat`, 'utf8')) / clockTicksPerSecond();
      const cs = parseContextSwitches(readFileSync(`${dir}/status`, 'utf8'));
      const use = (out[name] ??= { cpuSec: 0, voluntary: 0, involuntary: 0 });
      use.cpuSec += cpuSec;
      use.voluntary += cs.voluntary;
      use.involuntary += cs.involuntary;
    } catch {
      // The thread exited between the listing and the reads.
    }
  }
  return out;
}

/** `after` less `before`, per thread name. */
export function threadUseDelta(before: Record<string, ThreadUse>, after: Record<string, ThreadUse>): Record<string, ThreadUse> {
  const out: Record<string, ThreadUse> = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name] ?? { cpuSec: 0, voluntary: 0, involuntary: 0 };
    out[name] = { cpuSec: a.cpuSec - b.cpuSec, voluntary: a.voluntary - b.voluntary, involuntary: a.involuntary - b.involuntary };
  }
  return out;
}
