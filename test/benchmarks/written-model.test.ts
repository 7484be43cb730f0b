import t from 'tap';
import { WrittenModel } from '../../benchmarks/hitratio/written-model.js';

const TOL = 1500;

t.test('misses are put down to their cause', async (t) => {
  const m = new WrittenModel(100, TOL);
  t.equal(m.classifyMiss(5, 1000), 'compulsory', 'never stored');
  t.equal(m.classifyMiss(500, 1000), 'compulsory', 'one-hit wonder beyond the key space');
  m.stored(5, 1, 20_000);
  t.equal(m.classifyMiss(5, 10_000), 'capacity', 'stored, well before its deadline');
  t.equal(m.classifyMiss(5, 18_400), 'capacity', 'just outside the tolerance');
  t.equal(m.classifyMiss(5, 18_500), 'expired', 'within the tolerance of the deadline');
  t.equal(m.classifyMiss(5, 30_000), 'expired', 'past the deadline');
  m.stored(6, 2, Infinity);
  t.equal(m.classifyMiss(6, 1e12), 'capacity', 'no TTL never expires');
  m.deleted(6);
  t.equal(m.classifyMiss(6, 0), 'deleted');
  m.deleted(7);
  t.equal(m.classifyMiss(7, 0), 'compulsory', 'deleting a never-stored key keeps it compulsory');
  m.writeFailed(8);
  t.equal(m.classifyMiss(8, 0), 'capacity', 'a refused write is a capacity problem');
});

t.test('hits must be the latest version and in time', async (t) => {
  const m = new WrittenModel(100, TOL);
  const is = (v: number) => (version: number) => version === v;
  t.equal(m.judgeHit(1, 0, is(1)), 'wrong', 'a hit on a key never written');
  t.equal(m.judgeHit(1000, 0, is(1)), 'wrong', 'a hit on a one-hit wonder');
  m.stored(1, 3, 10_000);
  t.equal(m.judgeHit(1, 5_000, is(3)), 'ok');
  t.equal(m.judgeHit(1, 5_000, is(2)), 'wrong', 'bytes of an older version');
  t.equal(m.judgeHit(1, 11_000, is(3)), 'ok', 'within the servers\' one-second clock after the deadline');
  t.equal(m.judgeHit(1, 11_001, is(3)), 'expired', 'sent more than a clock second after the deadline');
  m.stored(1, 4, 20_000);
  t.equal(m.judgeHit(1, 12_000, is(3)), 'wrong', 'the overwritten version is wrong now');
  t.equal(m.judgeHit(1, 12_000, is(4)), 'ok');
  m.deleted(1);
  t.equal(m.judgeHit(1, 12_000, is(4)), 'wrong', 'a hit after delete');
  m.stored(2, 1, 5_000);
  m.writeFailed(2);
  t.equal(m.judgeHit(2, 100, is(1)), 'wrong', 'a value surviving a failed overwrite is stale');
});

t.test('a hit is expired only past the deadline dated from the write\'s reply', async (t) => {
  const m = new WrittenModel(100, TOL);
  const is = (v: number) => (version: number) => version === v;
  // Sent at 0 with a 10 s TTL, acknowledged at 3 s: the server stored it somewhere in [0, 3 s].
  m.stored(1, 1, 10_000, 13_000);
  t.equal(m.deadline(1), 10_000);
  t.equal(m.latestDeadline(1), 13_000);
  t.equal(m.judgeHit(1, 12_000, is(1)), 'ok', 'past the send-dated deadline + 1.5 s, yet the store may have come at 3 s');
  t.equal(m.judgeHit(1, 14_000, is(1)), 'ok', 'one clock second past the reply-dated deadline');
  t.equal(m.judgeHit(1, 14_001, is(1)), 'expired', 'provably past every deadline the server could have set');
  t.equal(m.classifyMiss(1, 8_400), 'capacity', 'misses still count from the send-dated deadline');
  t.equal(m.classifyMiss(1, 8_500), 'expired');
  m.stored(2, 1, Infinity, Infinity);
  t.equal(m.judgeHit(2, 1e12, is(1)), 'ok', 'no TTL never expires');
});

t.test('writes beyond the key space are not tracked', async (t) => {
  const m = new WrittenModel(10, TOL);
  m.stored(10, 1, 100);
  t.equal(m.version(10), 0);
  t.equal(m.deadline(10), Infinity);
});

t.test('past-deadline hits and before-deadline misses are told apart from the clock second', async (t) => {
  const m = new WrittenModel(100, TOL);
  // Sent at 0 with a 10 s TTL, acknowledged at 2 s.
  m.stored(1, 1, 10_000, 12_000);
  t.notOk(m.pastDeadline(1, 12_000), 'at the reply-dated deadline: not provably late');
  t.ok(m.pastDeadline(1, 12_001), 'after every exact deadline the server could have set');
  t.equal(m.judgeHit(1, 12_500, () => true), 'ok', 'still within the clock second: not an expired value');
  t.ok(m.beforeDeadline(1, 9_999), 'a miss before the send-dated deadline was dropped early');
  t.notOk(m.beforeDeadline(1, 10_000), 'at the send-dated deadline it is due');
  t.notOk(m.pastDeadline(2, 1e9), 'never stored: no deadline to be past');
  t.notOk(m.beforeDeadline(2, 0), 'never stored: no deadline to be before');
  m.stored(3, 1, Infinity, Infinity);
  t.notOk(m.pastDeadline(3, 1e12), 'no TTL is never past');
  m.deleted(1);
  t.notOk(m.pastDeadline(1, 1e9), 'deleted: not judged');
});
