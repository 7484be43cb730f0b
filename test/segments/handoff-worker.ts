// Worker thread for shared-lock.test.ts's hand-off test: takes the shared
// lock (which the main thread holds exclusively, so it sleeps), sets
// cells[0] to 1 once inside, holds until the main thread sets cells[1],
// then leaves.

import { workerData } from 'node:worker_threads';
import { SharedExclusiveLock } from '../../segments/shared-memory.js';

const { lockWords, cells } = workerData as { lockWords: SharedArrayBuffer; cells: SharedArrayBuffer };
const lock = new SharedExclusiveLock(new Int32Array(lockWords), 0);
const view = new Int32Array(cells);
lock.lockShared();
Atomics.store(view, 0, 1);
while (Atomics.load(view, 1) === 0) Atomics.wait(view, 1, 0, 50);
lock.unlockShared();
