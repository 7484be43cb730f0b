// SharedExclusiveLock (segments/shared-memory.ts): the in-place upgrade a
// plain set uses to link its record (tryUpgrade), alone and raced by real
// worker threads that read, upgrade and write through one lock.

import t from 'tap';
import { Worker } from 'node:worker_threads';
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
