// The housekeeping thread runs at a lower priority than the request
// threads (lib/server/thread-priority.ts, housekeeper-main.ts), so a merge
// pass on a shared core does not take half of it from the requests.
// Linux only (setpriority on a thread id, /proc/<pid>/task).

import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { lowerThreadPriority } from '../../lib/server/thread-priority.js';
import { startTestServer } from './helpers/server.js';

const linux = process.platform === 'linux';

/** Every thread of this process: id -> [name, nice]. */
function threads(): Map<number, [string, number]> {
  const map = new Map<number, [string, number]>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
      // Field 19 of stat is nice; the name (field 2) is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      map.set(Number(tid), [name, Number(fields[16])]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return map;
}

t.test('lowerThreadPriority changes only the calling thread', { skip: !linux && 'Linux only' }, async (t) => {
  const before = threads();
  const tid = lowerThreadPriority(1);
  t.equal(tid, process.pid, 'the main thread id is the pid');
  const after = threads();
  const [, niceBefore] = before.get(process.pid)!;
  t.equal(after.get(process.pid)![1], Math.min(19, niceBefore + 1), 'this thread is one step lower');
  let others = 0;
  for (const [id, [name, nice]] of after) {
    if (id === process.pid || !before.has(id)) continue;
    others++;
    t.equal(nice, before.get(id)![1], `${name} ${id} unchanged`);
  }
  t.ok(others > 0, 'the process has other threads to compare with');
});

t.test('-t 1: the housekeeping thread runs 5 nice steps below the request loop', { skip: !linux && 'Linux only' }, async (t) => {
  const before = threads();
  await startTestServer(t, { threads: 1 });
  const loopNice = threads().get(process.pid)![1];
  // The thread starts beside the server; give it a bounded time to appear and lower itself.
  let found: [string, number] | undefined;
  for (let i = 0; i < 200 && found === undefined; i++) {
    for (const [id, entry] of threads()) if (!before.has(id) && entry[0] === 'WorkerThread' && entry[1] === Math.min(19, loopNice + 5)) found = entry;
    if (found === undefined) await sleep(50);
  }
  t.ok(found, 'a new WorkerThread with nice = the loop + 5');
  t.equal(threads().get(process.pid)![1], loopNice, 'the request loop keeps its priority');
});
