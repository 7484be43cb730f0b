// lib/server/thread-priority.ts lowers the calling thread's priority only
// (benchmarks/handoff-bench.ts --nice uses it on its housekeeper stand-in).
// The server does not call it: a niced housekeeper fell behind during fills
// (benchmarks/RESULTS.md, issue 11, session 6).
// Linux only (setpriority on a thread id, /proc/<pid>/task).

import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { lowerThreadPriority } from '../../lib/server/thread-priority.js';

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
