// Worker thread for shared-lock.test.ts: hammers one SharedExclusiveLock.
// Each iteration takes the lock shared and checks the two plain cells it
// guards are equal (no write seen half done); every other iteration then
// goes exclusive, by tryUpgrade() when it succeeds, else by letting go and
// lock(), and bumps both cells with a pause between, as a set's link does.
// Reports { problems, upgrades, writes }.

import { parentPort, workerData } from 'node:worker_threads';
import { SharedExclusiveLock } from '../../segments/shared-memory.js';

interface LockTask {
  lockWords: SharedArrayBuffer;
  cells: SharedArrayBuffer;
  /** Int32 [0]: workers ready (they start together, so they really overlap). */
  gate: SharedArrayBuffer;
  threads: number;
  iterations: number;
}

const task = workerData as LockTask;
const lock = new SharedExclusiveLock(new Int32Array(task.lockWords), 0);
const cells = new Int32Array(task.cells);
const problems: string[] = [];
let upgrades = 0;
let writes = 0;
let sink = 0;
const gate = new Int32Array(task.gate);
Atomics.add(gate, 0, 1);
for (let n = Atomics.load(gate, 0); n < task.threads; n = Atomics.load(gate, 0)) Atomics.wait(gate, 0, n, 20);
for (let i = 0; i < task.iterations; i++) {
  lock.lockShared();
  if (cells[0] !== cells[1] && problems.length < 10) problems.push(`reader saw ${cells[0]} / ${cells[1]}`);
  if (i % 2 === 1) {
    lock.unlockShared();
    continue;
  }
  if (lock.tryUpgrade()) upgrades++;
  else {
    lock.unlockShared();
    lock.lock();
  }
  if (!lock.exclusive && problems.length < 10) problems.push('not exclusive after the upgrade or lock');
  cells[0] = cells[0]! + 1;
  for (let k = 0; k < 50; k++) sink += k;
  cells[1] = cells[1]! + 1;
  writes++;
  lock.unlock();
}
parentPort!.postMessage({ problems, upgrades, writes: writes + (sink === -1 ? 1 : 0) });
