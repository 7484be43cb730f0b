// `grow-a-cache advise`: the trace reader's formats and errors, and the
// subcommand end to end on small trace files.

import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TraceParseError, TraceReader } from '../../lib/advisor/trace-reader.js';
import { runAdvise } from '../../lib/cli/advise.js';
import { recommendation } from '../../lib/advisor/curve-report.js';
import type { CurvePoint } from '../../segments/advisor/sizing-advisor.js';

t.test('the reader parses Twitter and simple lines', async (t) => {
  const r = new TraceReader();
  t.ok(r.parse('0,q:q:1:8WTwl7huJeQ,17,249,1,get,0'));
  t.match(r.line, { op: 'get', key: 'q:q:1:8WTwl7huJeQ', keySize: 17, valueSize: 249, ttl: 0, time: 0 });
  t.ok(r.parse('5,abc,3,10,2,add,3600'));
  t.match(r.line, { op: 'set', ttl: 3600, time: 5 });
  const s = new TraceReader('simple');
  t.notOk(s.parse('op,key,value_size,ttl'), 'header skipped');
  t.ok(s.parse('set,user:1,120,60'));
  t.match(s.line, { op: 'set', key: 'user:1', keySize: 6, valueSize: 120, ttl: 60, time: -1 });
  t.ok(s.parse('delete,user:1'));
  t.equal(s.line.op, 'delete');
  t.notOk(s.parse(''), 'blank lines skipped');
});

t.test('malformed lines are rejected with their line number', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['0,k,1,10,1,frobnicate,0', /unknown operation/],
    ['x,k,1,10,1,get,0', /timestamp/],
    ['0,k,0,10,1,get,0', /key size/],
    ['0,k,300,10,1,get,0', /key size/],
    ['0,k,1,-4,1,get,0', /value size/],
    ['0,k,1,10,1,get,soon', /TTL/],
    ['get', /expected op,key/],
    ['set,k,ten', /value size/],
  ];
  for (const [line, reason] of cases) {
    const r = new TraceReader();
    r.parse('0,fine,4,10,1,get,0');
    r.parse('# a comment');
    try {
      r.parse(line);
      t.fail(`accepted: ${line}`);
    } catch (err) {
      t.ok(err instanceof TraceParseError, line);
      t.equal((err as TraceParseError).lineNumber, 3, `line number for ${line}`);
      t.match((err as TraceParseError).reason, reason);
    }
  }
});

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: (s) => (out += s), stderr: (s) => (err += s) }, out: () => out, err: () => err };
}

t.test('advise prints the curve, a plot and a recommendation for a trace', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'advise-'));
  const file = path.join(dir, 'trace.csv');
  // A loop over 3000 keys of ~1 KiB twice: 2 MiB and up hold the loop, smaller sizes do not.
  const lines: string[] = [];
  for (let pass = 0; pass < 3; pass++) for (let i = 0; i < 3000; i++) lines.push(`${pass * 10 + Math.floor(i / 300)},key${i},6,1000,1,get,0`);
  writeFileSync(file, lines.join('\n') + '\n');
  const c = capture();
  const code = await runAdvise([file, '--rate', '1', '--sizes', '1,2,4,8', '--quiet'], c.io);
  t.equal(code, 0, c.err());
  const out = c.out();
  t.match(out, /9000 requests, 9000 gets, 9000 sampled at rate 1/);
  t.match(out, /memory MiB\s+hit ratio %/);
  t.match(out, /\|#+\s*\| /, 'a bar plot');
  t.match(out, /recommend -m 4: 66\.67% hits/, 'the smallest size holding the loop');
  t.match(out, /each doubling buys \(points\): 1->2 \+0\.00, 2->4 \+66\.67, 4->8 \+0\.00/);
  t.notMatch(out, /still rising/, 'flat at the top: no warning');
});

t.test('a touch in the trace gives the copies the new TTL', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'advise-'));
  const file = path.join(dir, 'trace.csv');
  // 100 keys set with a 5 s TTL and touched to 1000 s, read at 20 s: every read hits.
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) lines.push(`0,key${i},6,100,1,set,5`);
  for (let i = 0; i < 100; i++) lines.push(`1,key${i},6,0,1,touch,1000`);
  for (let i = 0; i < 100; i++) lines.push(`20,key${i},6,100,1,get,0`);
  writeFileSync(file, lines.join('\n') + '\n');
  const c = capture();
  const code = await runAdvise([file, '--rate', '1', '--sizes', '1,2', '--quiet'], c.io);
  t.equal(code, 0, c.err());
  t.match(c.out(), /recommend -m 1: 100\.00% hits/, 'the touched items outlive their first TTL');
});

t.test('a curve still rising at its largest size says so', async (t) => {
  const p = (mb: number, hitRatio: number): CurvePoint => ({ memoryBytes: mb * 1048576, gets: 1, hits: 1, hitRatio, items: 5000, copyBytes: 0, oversize: 0, lowSample: false });
  t.match(recommendation([p(1, 0.2), p(2, 0.4), p(4, 0.6)]), /^recommend -m 4: 60\.00% hits.*\nthe curve is still rising/);
  t.notMatch(recommendation([p(1, 0.2), p(2, 0.6), p(4, 0.605)]), /still rising/);
  t.match(recommendation([p(1, 0.2), p(2, 0.6), p(4, 0.605)]), /^recommend -m 2: /);
});

t.test('advise stops at a malformed line, naming it, or skips with --skip-malformed', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'advise-'));
  const file = path.join(dir, 'bad.csv');
  writeFileSync(file, '0,a,1,10,1,get,0\n0,b,1,10,1,get,0\n0,c,1,10,1,yell,0\n0,a,1,10,1,get,0\n');
  const c = capture();
  t.equal(await runAdvise([file, '--quiet'], c.io), 65);
  t.match(c.err(), `${file}:3: unknown operation 'yell'`);
  t.equal(c.out(), '');
  const d = capture();
  t.equal(await runAdvise([file, '--quiet', '--skip-malformed', '--rate', '1', '--sizes', '1'], d.io), 0);
  t.match(d.err(), /:3: unknown operation 'yell' \(skipped\)/);
  t.match(d.out(), /3 requests, 3 gets/);
  const e = capture();
  t.equal(await runAdvise([path.join(dir, 'missing.csv')], e.io), 66);
  t.equal(await runAdvise([file, '--rate', '2'], e.io), 64);
  t.match(e.err(), /--rate must be in/);
});
