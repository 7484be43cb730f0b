import t from 'tap';
import { findStat, parseStatsReply, statNumber } from '../../benchmarks/core/stats-lines.js';
import { clockTicksPerSecond, parseContextSwitches, parseCpuTicks, parseRssBytes, processCpuSeconds, processRssBytes, threadUse, threadUseDelta } from '../../benchmarks/core/proc-stats.js';

t.test('stats replies become a map', async (t) => {
  const stats = parseStatsReply('STAT pid 123\r\nSTAT version 1.6.18\r\nSTAT rusage_user 0.015645\r\nSTAT segcache_segments_free 62\r\nnoise\r\nSTAT bad\r\nEND\r\n');
  t.equal(stats.get('version'), '1.6.18');
  t.equal(statNumber(stats, 'pid'), 123);
  t.equal(statNumber(stats, 'rusage_user'), 0.015645);
  t.ok(Number.isNaN(statNumber(stats, 'missing')));
  t.ok(Number.isNaN(statNumber(stats, 'version')));
  t.equal(stats.size, 4);
  t.same(findStat(stats, [/^segments_free$/, /seg.*free/]), { name: 'segcache_segments_free', value: 62 });
  t.same(findStat(stats, [/nothing/]), { name: '', value: NaN });
});

t.test('/proc/<pid>/stat: utime + stime after the command name', async (t) => {
  const text = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 2157 0 0 0 150 37 0 0 20 0 11 0 5173 1024 2000 18446744073709551615';
  t.equal(parseCpuTicks(text), 187);
  t.throws(() => parseCpuTicks('garbage'));
  t.throws(() => parseCpuTicks('1 (x) S 1'));
});

t.test('/proc/<pid>/status: VmRSS in bytes', async (t) => {
  t.equal(parseRssBytes('Name:\tnode\nVmPeak:\t 9 kB\nVmRSS:\t   76468 kB\nThreads: 7\n'), 76468 * 1024);
  t.ok(Number.isNaN(parseRssBytes('Name: kthread\n')));
});

t.test('/proc/<pid>/task/<tid>/status: context switches', async (t) => {
  t.same(parseContextSwitches('Name:\tnode\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n'), { voluntary: 12, involuntary: 3 });
  const none = parseContextSwitches('Name:\tnode\n');
  t.ok(Number.isNaN(none.voluntary) && Number.isNaN(none.involuntary));
});

t.test('per thread name: deltas, a name new in the second reading counts from 0', async (t) => {
  const before = { MainThread: { cpuSec: 1, voluntary: 10, involuntary: 2 } };
  const after = { MainThread: { cpuSec: 1.5, voluntary: 15, involuntary: 2 }, WorkerThread: { cpuSec: 0.25, voluntary: 4, involuntary: 1 } };
  t.same(threadUseDelta(before, after), {
    MainThread: { cpuSec: 0.5, voluntary: 5, involuntary: 0 },
    WorkerThread: { cpuSec: 0.25, voluntary: 4, involuntary: 1 },
  });
});

t.test('reads this process', async (t) => {
  t.ok(threadUse(process.pid).MainThread !== undefined, 'Node names its main thread');
  t.same(threadUse(-1), {}, 'no such process: nothing');
  t.ok(clockTicksPerSecond() > 0);
  t.ok(processCpuSeconds(process.pid) >= 0);
  t.ok(processRssBytes(process.pid) > 1024 * 1024);
});
