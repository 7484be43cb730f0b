// Worker thread for concurrent-housekeep.test.ts's pause test: a writer on
// the shared store that keeps taking segments below the reserve (items with
// a 1 s TTL on its own clock, freed by expireNow() after each round) until
// the main thread sets cells[0]; then it posts how many rounds it ran.

import { parentPort, workerData } from 'node:worker_threads';
import { attachStore, type SharedStoreHandle } from '../../segments/shared-store.js';
import { ManualClock, b } from './helpers.js';

const { handle, cells } = workerData as { handle: SharedStoreHandle; cells: SharedArrayBuffer };
const stop = new Int32Array(cells);
const clock = new ManualClock();
const writer = attachStore(handle, { threadSlot: 1, clock });
const value = Buffer.alloc(1000, 0x62);
let rounds = 0;
while (Atomics.load(stop, 0) === 0) {
  // Fill until the free pool is below the reserve: each segment taken there wakes the housekeeper.
  for (let i = 0; writer.shape().segmentsFree >= handle.reserveSegments; i++) writer.store('set', b(`r${rounds}-${i}`), value, 0, 1, 0);
  for (let i = 0; i < 200; i++) writer.store('set', b(`s${rounds}-${i}`), value, 0, 1, 0);
  clock.advance(2);
  writer.expireNow();
  rounds++;
}
parentPort!.postMessage(rounds);
