// Starts and stops the housekeeping thread (housekeeper-main.ts) of a
// server: the -t N server (threaded-server.ts) and the single loop (-t 1,
// server.ts) both run one, so expiry and merge eviction happen beside the
// request path and a write finds a free segment instead of merging inline.
// Not here: what a housekeeping step does (SegmentStore.housekeep).
//
// Stopping asks the thread to finish its step and exit by itself
// (terminating it mid-merge would leave the store half-changed and its
// lock held), then terminates it after HOUSEKEEPER_STOP_MS at the latest.

import { Worker } from 'node:worker_threads';
import type { HousekeeperData } from './thread-protocol.js';
import { THREAD_OPTIONS, threadEntry } from './thread-entry.js';

const HOUSEKEEPER_URL = threadEntry('housekeeper-main');

/** How long stop() waits for the housekeeper to finish its step before terminating it. */
const HOUSEKEEPER_STOP_MS = 5000;

export interface HousekeeperThread {
  /**
   * Settles once the thread runs its loop (or has failed or exited): a
   * server listens only after it, so the first writes that take the free
   * pool below the reserve find a housekeeper to refill it. Booting a
   * thread takes tens of milliseconds, far more on a loaded machine, and
   * writes in that window would evict only inline, or late.
   */
  readonly ready: Promise<void>;
  /** Let the thread finish its step (a merge under way included), then end it. */
  stop(): Promise<void>;
}

/**
 * Start the thread; `onFail` hears (once) if it cannot start or throws,
 * with a line for the log. The thread does not keep the process alive.
 */
export function startHousekeeperThread(data: HousekeeperData, onFail: (line: string) => void): HousekeeperThread {
  const worker = new Worker(HOUSEKEEPER_URL, { ...THREAD_OPTIONS, workerData: data });
  let failed = false;
  worker.on('error', (err) => {
    if (failed) return;
    failed = true;
    onFail(`housekeeping thread failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  });
  worker.unref();
  const ready = new Promise<void>((resolve) => {
    worker.once('message', () => resolve());
    worker.once('error', () => resolve());
    worker.once('exit', () => resolve());
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  let stopping: Promise<void> | undefined;
  return {
    ready,
    stop: () =>
      (stopping ??= (async () => {
        if (exited) return;
        // Held alive meanwhile: a process with nothing else left would exit before the save that follows.
        worker.ref();
        worker.postMessage({ t: 'stop' });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exit, new Promise<void>((resolve) => (timer = setTimeout(resolve, HOUSEKEEPER_STOP_MS)))]);
        clearTimeout(timer);
        await worker.terminate();
      })()),
  };
}
