// SharedExclusiveLock (segments/shared-memory.ts): the in-place upgrade a
// plain set uses to link its record (tryUpgrade), alone and raced by real
// worker threads that read, upgrade and write through one lock; the
// housekeeper's hand-off (handOff) to a thread sleeping for the lock.

import t from 'tap';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { SharedExclusiveLock, sharedInt32 } from '../../segments/shared-memory.js';

t.test('tryUpgrade: only the one reader inside, not nested, no writer waiting', (t) => {
  const words = sharedInt32(3);
  const a = new SharedExclusiveLock(words, 0);
  const b = new SharedExclusiveLock(words, 0);
  t.notOk(a.tryUpgrade(), 'nothing held: nothing to upgrade');
  a.lockShared();
  b.lockShared();
  t.notOk(a.tryUpgrade(), 'another reader inside');
  t.ok(a.held && !a.exclusive, 'still holding shared after a refused upgrade');
  b.unlockShared();
  a.lockShared();
  t.notOk(a.tryUpgrade(), 'a nested shared bracket is not upgraded');
  a.unlockShared();
  t.ok(a.tryUpgrade(), 'the only reader upgrades');
  t.ok(a.exclusive);
  t.equal(words[1], 1 << 30, 'the state is "writer holds", no reader counted');
  a.unlock();
  t.equal(words[1], 0, 'unlock leaves the lock free');
  t.notOk(a.held);
  b.lock();
  t.equal(words[1], 1 << 30);
  b.unlock();
  t.end();
});

t.test('threads upgrading, locking and reading at once: writes never overlap, readers never see one half done', async (t) => {
  const lockWords = new SharedArrayBuffer(12);
  const cells = new SharedArrayBuffer(8);
  const iterations = 6_000;
  const threads = 3;
  const gate = new SharedArrayBuffer(4);
  const reports = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<{ problems: string[]; upgrades: number; writes: number }>((resolve, reject) => {
          const w = new Worker(new URL('./lock-worker.ts', import.meta.url), { workerData: { lockWords, cells, gate, threads, iterations } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  t.same(reports.flatMap((r) => r.problems), []);
  const writes = reports.reduce((n, r) => n + r.writes, 0);
  const view = new Int32Array(cells);
  t.equal(view[0], writes, 'no increment lost: every write was alone');
  t.equal(view[1], writes);
  t.equal(new Int32Array(lockWords)[1], 0, 'the lock ends free');
  t.ok(reports.some((r) => r.upgrades > 0), `upgrades happened (${reports.map((r) => r.upgrades).join(', ')} of ${iterations / 2} writes each)`);
});

t.test('handOff: sleeps until the thread that slept for the lock is inside, which keeps itself counted until then', async (t) => {
  const lockWords = new SharedArrayBuffer(12);
  const words = new Int32Array(lockWords);
  const cells = new SharedArrayBuffer(8);
  const inside = new Int32Array(cells);
  const lock = new SharedExclusiveLock(words, 0);
  lock.handOff(60_000);
  t.pass('no sleeper: returns at once');
  lock.lock();
  const w = new Worker(new URL('./handoff-worker.ts', import.meta.url), { workerData: { lockWords, cells } });
  const exited = new Promise((resolve) => w.once('exit', resolve));
  // The worker spins, then sleeps registered in the sleepers' word (words[2]).
  while (Atomics.load(words, 2) === 0) await sleep(1);
  t.equal(Atomics.load(inside, 0), 0, 'the worker waits while the lock is held');
  lock.unlock();
  // A bound far beyond any wake-up: without the worker's notify once inside, this would wait all of it.
  const start = performance.now();
  lock.handOff(60_000);
  t.ok(performance.now() - start < 60_000, 'handOff returned before its bound (a liveness check, not a speed claim)');
  t.equal(Atomics.load(words, 1), 1, 'when handOff returns, the worker holds the lock shared');
  t.equal(Atomics.load(words, 2), 0, 'and has left the sleepers\' count');
  Atomics.store(inside, 1, 1);
  Atomics.notify(inside, 1);
  await exited;
  t.equal(Atomics.load(words, 1), 0, 'the lock ends free');
});
