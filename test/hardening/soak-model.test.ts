// The soak run's judges (benchmarks/soak-value.ts, benchmarks/soak-model.ts):
// they must catch what a broken server would do (corrupt or misplaced
// bytes, stale or resurrected versions, expired items served) and accept
// what a correct one may do.

import t from 'tap';
import { checkValue, encodeValue, minValueLength } from '../../benchmarks/soak-value.js';
import { EXPIRY_SLACK_MS, KeyModel } from '../../benchmarks/soak-model.js';

t.test('values check themselves', async (t) => {
  const v = encodeValue('soak:1:2', 7, 5000);
  t.equal(v.length, 5000);
  t.same(checkValue('soak:1:2', v), { ok: true, version: 7 });
  t.ok(minValueLength('k', 1) < 64, 'the header is small');

  const flipped = Buffer.from(v);
  flipped[4000] = (flipped[4000] as number) ^ 1;
  t.same(checkValue('soak:1:2', flipped), { ok: false, reason: 'payload corrupted' });
  t.match(checkValue('soak:1:3', v), { ok: false, reason: /read for "soak:1:3"/ }, 'another key\'s value');
  t.match(checkValue('soak:1:2', v.subarray(0, 4999)), { ok: false, reason: /length/ }, 'truncated');
  const badSum = Buffer.from(v);
  badSum.write('9', badSum.indexOf('|') - 1, 'latin1');
  t.match(checkValue('soak:1:2', badSum), { ok: false });
  t.match(checkValue('soak:1:2', Buffer.from('no header here')), { ok: false, reason: 'no header' });
});

t.test('the key model accepts what may be current and nothing else', async (t) => {
  const m = new KeyModel();
  t.match(m.judgeHit(1, 0), /never current/, 'nothing written yet');
  m.writeSent(1, 1, 0);
  m.writeStored(1, 1000);
  t.equal(m.judgeHit(1, 2000), undefined);
  m.writeSent(2, 2, 0);
  t.equal(m.judgeHit(1, 2000), undefined, 'the old version until the new one is confirmed');
  m.writeStored(2, 3000);
  t.match(m.judgeHit(1, 4000), /never current/, 'an overwritten version');
  m.deleted(3);
  t.match(m.judgeHit(2, 5000), /never current/, 'a deleted version');

  m.writeSent(4, 4, 10);
  m.writeStored(4, 10_000);
  t.equal(m.judgeHit(4, 10_000 + 10_000), undefined, 'within its TTL');
  t.equal(m.judgeHit(4, 20_000 + EXPIRY_SLACK_MS), undefined, 'within the slack');
  t.match(m.judgeHit(4, 20_000 + EXPIRY_SLACK_MS + 1), /after it expired/);

  m.writeSent(5, 5, 0);
  m.writeFailed(5);
  t.match(m.judgeHit(5, 30_000), /never current/, 'a refused write');
  t.equal(m.judgeHit(4, 15_000), undefined, 'leaves the previous version possible');
});

t.test('writes of a dropped connection stay possible until a later confirmed write', async (t) => {
  const m = new KeyModel();
  m.writeSent(1, 1, 0);
  m.writeStored(1, 0);
  m.writeSent(2, 2, 5); // its connection dies before the reply
  m.connectionGone(1000);
  t.equal(m.judgeHit(1, 2000), undefined);
  t.equal(m.judgeHit(2, 2000), undefined, 'maybe applied');
  t.match(m.judgeHit(2, 6000 + EXPIRY_SLACK_MS + 1), /after it expired/, 'its TTL counts from when the connection was gone');
  m.writeSent(3, 3, 0);
  m.writeStored(3, 7000);
  t.match(m.judgeHit(2, 7000), /never current/);
});
