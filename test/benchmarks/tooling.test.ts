import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planCpus, pinned } from '../../benchmarks/servers/cpu-plan.js';
import { commandSpec, memcachedFlags, memcachedSpec } from '../../benchmarks/servers/server-specs.js';
import { cpuModels, describeMachine, loadAverage } from '../../benchmarks/harness/machine.js';
import { NOTES_MARKER, keptNotes, renderResults, writeResults } from '../../benchmarks/harness/results-file.js';
import { renderHotspots, summarizeProfile, summarizeProfileFile } from '../../benchmarks/profile/cpu-profile.js';
import { freePort } from '../../benchmarks/servers/free-port.js';
import { parseMemcslap } from '../../benchmarks/suites/crosscheck.js';

t.test('core plan pins only with two cores and taskset', async (t) => {
  t.same(planCpus(1, true), { serverCore: undefined, clientCore: undefined, cores: 1 });
  t.same(planCpus(4, false), { serverCore: undefined, clientCore: undefined, cores: 4 });
  t.same(planCpus(2, true), { serverCore: 0, clientCore: 1, cores: 2 });
  t.same(pinned(undefined, 'node', ['x']), ['node', ['x']]);
  t.same(pinned(1, 'node', ['x']), ['taskset', ['-c', '1', 'node', 'x']]);
});

t.test('server command lines use memcached flags', async (t) => {
  t.same(memcachedFlags(1234, 64), ['-U', '0', '-l', '127.0.0.1', '-p', '1234', '-m', '64', '-t', '1']);
  const mc = memcachedSpec('/usr/bin/memcached');
  t.equal(mc.command, '/usr/bin/memcached');
  t.same(mc.args(5, 8).slice(0, 10), memcachedFlags(5, 8));
  const cmd = commandSpec('other', 'node server.js --fast');
  t.equal(cmd.command, 'node');
  t.same(cmd.args(7, 16), ['server.js', '--fast', ...memcachedFlags(7, 16)]);
  t.throws(() => commandSpec('x', '   '));
});

t.test('free ports are usable', async (t) => {
  const port = await freePort();
  t.ok(port > 0 && port < 65536);
});

t.test('cpu models from /proc/cpuinfo text', async (t) => {
  const text = 'processor\t: 0\nmodel name\t: AMD EPYC\nprocessor\t: 1\nmodel name\t: AMD EPYC\nprocessor\t: 2\nmodel name\t: Other CPU\n';
  t.same(cpuModels(text), [['AMD EPYC', 2], ['Other CPU', 1]]);
  t.match(describeMachine(), new RegExp(`Node ${process.version.replace(/\./g, '\\.')}`));
  t.match(loadAverage(), /^\d+\.\d\d$/);
});

t.test('RESULTS.md keeps the hand-written notes', async (t) => {
  t.match(keptNotes(undefined), NOTES_MARKER);
  const doc = { date: 'D', machine: 'M', command: 'npm run bench', method: ['one'], table: '| t |', extra: ['x'] };
  const first = renderResults(doc, undefined);
  t.match(first, /- Command: `npm run bench`/);
  t.match(first, /\| t \|/);
  const edited = first.replace('(Why targets are missed', 'Our analysis. (Why targets are missed');
  const second = renderResults({ ...doc, table: '| u |' }, edited);
  t.match(second, /Our analysis\./);
  t.match(second, /\| u \|/);
  t.notMatch(second, /\| t \|/);
  const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
  const path = join(dir, 'RESULTS.md');
  writeFileSync(path, edited);
  writeResults(path, { ...doc, date: 'E' });
  t.match(readFileSync(path, 'utf8'), /Our analysis\.[\s\S]*$/);
  t.match(readFileSync(path, 'utf8'), /- Date: E/);
});

t.test('cpu profiles summarise self time of busy samples', async (t) => {
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 3, callFrame: { functionName: 'parse', url: 'file:///repo/dist/x.js', lineNumber: 9 } },
      { id: 4, callFrame: { functionName: '', url: 'file:///repo/dist/y.js', lineNumber: 0 } },
      { id: 5, callFrame: { functionName: 'parse', url: 'file:///repo/dist/x.js', lineNumber: 9 } },
    ],
    samples: [2, 2, 2, 2, 3, 3, 5, 4],
  };
  const s = summarizeProfile(profile, '/repo/');
  t.equal(s.totalSamples, 8);
  t.equal(s.idleShare, 0.5);
  t.same(s.hotspots[0], { functionName: 'parse', location: 'dist/x.js:10', selfShare: 0.75 }, 'same function at two nodes adds up');
  t.same(s.hotspots[1], { functionName: '(anonymous)', location: 'dist/y.js:1', selfShare: 0.25 });
  const byHitCount = summarizeProfile({ nodes: profile.nodes.map((n) => ({ ...n, hitCount: n.id === 3 ? 2 : 0 })) });
  t.equal(byHitCount.hotspots[0]!.selfShare, 1, 'hitCount when there are no samples');
  const text = renderHotspots('T', s, 1);
  t.match(text, /\| 75\.0 \| parse \| dist\/x\.js:10 \|/);
  t.notMatch(text, /anonymous/, 'top N only');
  const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  writeFileSync(join(dir, 'p.cpuprofile'), JSON.stringify(profile));
  t.same(summarizeProfileFile(join(dir, 'p.cpuprofile'), '/repo/'), s);
});

t.test('memcslap output gives keys per second', async (t) => {
  const out = [
    'Time to generate      20000 test keys:                0.052 seconds.',
    'Time to set           20000 keys:                     0.467 seconds.',
    'Time to get           78181 keys by    4 threads:     1.589 seconds.',
    'Time total:                                           2.108 seconds.',
  ].join('\n');
  t.ok(Math.abs(parseMemcslap(out, 'get') - 78181 / 1.589) < 1e-6);
  t.ok(Number.isNaN(parseMemcslap(out, 'set')), 'the preload line is not the set test');
  t.equal(parseMemcslap('Time to set           80000 keys by    4 threads:     1.600 seconds.', 'set'), 50000);
  t.ok(Number.isNaN(parseMemcslap('garbage', 'get')));
});
