// What one load-generator run does, and what it reports. Sent as JSON from
// the harness to the generator child process and back.

import type { ThreadUse } from '../core/proc-stats.js';

export interface LoadConfig {
  host: string;
  port: number;
  /** Server pid, for CPU seconds from /proc; 0 to skip. */
  serverPid: number;
  connections: number;
  /** Requests in flight per connection (1 = no pipelining). */
  depth: number;
  warmupMs: number;
  durationMs: number;
  /** Keys are key:000…<i> for i in [0, keyCount). */
  keyCount: number;
  keySize: number;
  valueSize: number;
  /** Share of requests that are gets (0 = set only, 1 = get only). */
  getRatio: number;
  /** Keys per get request (1 = plain get). */
  keysPerGet: number;
  /** Store every key once before the run. */
  preload: boolean;
  seed: number;
  /**
   * Open loop: requests per second over all connections, each connection
   * on its own evenly spaced schedule (depth must be 1). 0 or absent =
   * closed loop (send as soon as a reply arrives).
   */
  ratePerSec?: number;
}

export interface LoadResult {
  /** Requests completed per second in the measured window. */
  opsPerSec: number;
  /** Keys asked for or written per second (multi-get counts each key). */
  keysPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  p9999Us: number;
  maxUs: number;
  /**
   * Open loop only (NaN when closed): latency counted from when each request
   * was due by the schedule, not from when it was sent, so a server that falls
   * behind is charged for the queue it builds (no coordinated omission).
   */
  scheduledP99Us: number;
  scheduledP9999Us: number;
  ops: number;
  seconds: number;
  /** Keys found by gets / keys asked for by gets. */
  getHitRatio: number;
  errors: number;
  lastError: string;
  /** Server CPU seconds (user + system) in the window; NaN without a pid. */
  serverCpuSec: number;
  /** Server CPU microseconds per request. */
  serverCpuUsPerOp: number;
  /** Load generator CPU seconds in the window: near `seconds` means the generator was the bottleneck. */
  clientCpuSec: number;
  /** Server CPU seconds and context switches in the window per thread name (Linux; empty without a pid). */
  serverThreads: Record<string, ThreadUse>;
}
