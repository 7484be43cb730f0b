// What the main thread and the worker threads of a -t N server tell each
// other (node:worker_threads messages), and the shared memory they start
// with. Used by threaded-server.ts (main) and worker-main.ts (workers).

import type { Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { Settings } from '../cli/settings.js';
import type { SharedStoreHandle } from '../../segments/shared-store.js';
import type { AdvisorRingsMemory } from '../../segments/advisor/advisor-ring.js';
import type { WatchRingsMemory } from '../observability/watch-rings.js';
import type { PrefixStatsMemory } from '../observability/prefix-stats.js';

/** Int32 cells of the control SharedArrayBuffer. */
export const CONTROL_OPEN = 0; // connections open in all workers (the -c limit), Atomics
export const CONTROL_VERBOSITY = 1; // log level (`verbosity` from any thread)
export const CONTROL_NEXT_ID = 2; // next connection id (unique in the process, as memcached's fds), Atomics
export const CONTROL_DETAIL = 3; // `stats detail on|off` from any thread: 1 while counting
export const CONTROL_CELLS = 4;

export interface ListenerInfo {
  id: number;
  addr: string;
}

export interface HousekeeperData {
  store: SharedStoreHandle;
  threadSlot: number;
  /** -o advisor: the rings this thread drains into the advisor's copies. */
  advisor?: AdvisorRingsMemory;
  /** watch: this thread's evictions go to ring `watchRing` (default `threadSlot`); it holds no watchers. */
  watch: WatchRingsMemory;
  watchRing?: number;
  /** Threads serving requests beside it (-t N: N workers; -t 1: the one loop), for its pacing (housekeeper-pace.ts). */
  requestThreads: number;
}

export interface WorkerData {
  /** Worker i: counter block 1 + i, store thread slot i. */
  index: number;
  settings: Settings;
  store: SharedStoreHandle;
  /** -o advisor: ring `index` is this worker's. */
  advisor?: AdvisorRingsMemory;
  counters: SharedArrayBuffer;
  /** watch: ring `index` is this worker's; it reads every ring as reader `index`. */
  watch: WatchRingsMemory;
  /** `stats detail` counts: row `index` is this worker's. */
  prefixes: PrefixStatsMemory;
  workers: number;
  conns: SharedArrayBuffer;
  control: SharedArrayBuffer;
  listeners: ListenerInfo[];
  /**
   * -s: unix-socket connections cannot be handed over (Node transfers TCP
   * sockets only), so workers accept them themselves: worker 0 listens on
   * the path and reports the listening fd, the others listen on that fd.
   */
  unixListen?: { path: string; backlog: number } | { fd: number };
  /** -U: every worker binds this port on each host with SO_REUSEPORT (udp.ts). */
  udp?: {
    hosts: string[];
    port: number;
    /** `stats conns` id of worker w's socket on host h: ids[h * workers + w] (memcached's order). */
    ids: number[];
    /** Int32 per socket, same index: the second of its last request (`stats conns` lists every worker's). */
    lastRequest: SharedArrayBuffer;
  };
  startedAtMs: number;
  closeTimeoutMs: number;
  /** -Z: session ticket keys every worker shares (ssl_session_cache resumes on any worker). */
  tlsTicketKeys?: Uint8Array;
}

/** Main -> worker. */
export type ToWorker =
  | { t: 'conn'; sock: Socket; listener: number }
  | { t: 'drain' }
  /** refresh_certs succeeded in one worker: every worker uses these (the files as read then). */
  | { t: 'certs'; options: TlsOptions };

/** Worker -> main. */
export type FromWorker =
  | { t: 'ready'; unixFd?: number }
  | { t: 'log'; line: string }
  | { t: 'shutdown'; graceful: boolean }
  | { t: 'drained' }
  | { t: 'certs'; options: TlsOptions };
