// The housekeeping thread of a -t N server: calls the shared store's
// housekeep() (proactive expiry, hash table migration, keeping a reserve of
// free segments by merging) so requests do not wait for merges. A step that
// reports more work to do is followed at once (setImmediate, so the stop
// message still gets through); otherwise the next step comes after IDLE_MS.
// Workers never start the store's own timer; this thread replaces it.

import { parentPort, workerData } from 'node:worker_threads';
import { attachStore } from './store-threads.js';
import type { HousekeeperData } from './thread-protocol.js';

/** Pause between steps when the store reported nothing left to do. */
const IDLE_MS = 10;

const port = parentPort;
if (port === null) throw new Error('housekeeper-main.ts runs only as a worker thread');
const data = workerData as HousekeeperData;
const store = attachStore(data.store, { threadSlot: data.threadSlot });

let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
let stopped = false;

function step(): void {
  if (stopped) return;
  const more = store.housekeep() as unknown;
  timer = more === true ? setImmediate(step) : setTimeout(step, IDLE_MS);
}

port.on('message', (msg: { t: 'stop' }) => {
  if (msg.t !== 'stop') return;
  stopped = true;
  if (timer !== undefined) {
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
  }
  port.close();
});

step();
port.postMessage({ t: 'ready' });
