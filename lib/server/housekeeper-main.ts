// The housekeeping thread of a server (-t N, and the single loop of -t 1;
// housekeeper-thread.ts starts and stops it): calls the shared store's
// housekeep() (proactive expiry, hash table migration, keeping a reserve of
// free segments by merging) so requests do not wait for merges. A step that
// reports more work to do is followed at once; otherwise the thread sleeps
// in housekeepWait() until a writer takes the free pool below the reserve,
// or WAIT_MS passes (the expiry sweep's pace). While the reserve is not
// urgent, it rests after each pending step for a multiple of the step's
// time (housekeeper-pace.ts), so a merge never holds a shared core for a
// whole scheduler slice; a writer taking a segment below the reserve ends
// the rest early. Only where it shares the cores: with more cores than
// request threads it runs flat out, as before. Each step goes through
// setImmediate so the stop message gets through. A dedicated thread rather
// than the main one: a merge pass holds its thread for milliseconds (in
// slices of tens of microseconds under the store lock: segment-store.ts), which
// would delay accepting and handing over connections and /metrics scrapes.
// Workers never start the store's own timer; this thread replaces it.
// It keeps the request threads' priority: niced, it fell behind during
// fills and writers merged inline (benchmarks/RESULTS.md, issue 11, session 6).
// Its evictions reach `watch evictions` through its watch ring
// (lib/observability/watch-rings.ts).
// With -o advisor it also drains the workers' advisor rings into the
// sizing advisor's copies (lib/advisor/threaded-advisor.ts) at each step.

import { availableParallelism } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { attachStore } from '../../segments/shared-store.js';
import type { HousekeeperData } from './thread-protocol.js';
import { AdvisorDrainLoop } from '../advisor/threaded-advisor.js';
import { WatchRings } from '../observability/watch-rings.js';
import { watchBus } from '../observability/watch-bus.js';
import { watchEvictions } from '../respond/watch-command.js';
import { paceRatio, pauseAfterStep } from './housekeeper-pace.js';

/** Longest sleep between steps when nothing is pending (bounds the shutdown delay too). */
const WAIT_MS = 250;

const port = parentPort;
if (port === null) throw new Error('housekeeper-main.ts runs only as a worker thread');
const data = workerData as HousekeeperData;
const store = attachStore(data.store, { threadSlot: data.threadSlot });
// watch evictions: most evictions happen here; they go to this thread's ring, read by the workers with watchers.
watchBus.attachShared(new WatchRings(data.watch, data.watchRing ?? data.threadSlot), -1);
watchEvictions(store);
// -o advisor: this thread owns the sizing advisor's copies, fed from the workers' rings.
const advisor = data.advisor ? new AdvisorDrainLoop(data.advisor, data.store, store) : undefined;

const pace = paceRatio(process.env, availableParallelism(), data.requestThreads);
store.setHousekeeperPace(pace);

let timer: NodeJS.Immediate | undefined;
let stopped = false;

function step(): void {
  if (stopped) return;
  advisor?.step();
  const started = performance.now();
  if (!store.housekeep()) store.housekeepWait(WAIT_MS);
  else {
    const rest = pauseAfterStep(performance.now() - started, store.housekeepUrgent(), pace);
    if (rest > 0) store.housekeepPause(rest);
  }
  timer = setImmediate(step);
}

port.on('message', (msg: { t: 'stop' }) => {
  if (msg.t !== 'stop') return;
  stopped = true;
  if (timer !== undefined) clearImmediate(timer);
  // A merge paused between slices is finished, so a warm-restart save sees whole segments.
  store.housekeepFinish();
  port.close();
});

step();
port.postMessage({ t: 'ready' });
