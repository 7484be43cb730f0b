import t from 'tap';
import { KeyAttributes } from '../../benchmarks/hitratio/key-attributes.js';
import { PROFILES, profileByName, type ClusterProfile } from '../../benchmarks/hitratio/profiles.js';
import { RequestStream, freshKeyProbability } from '../../benchmarks/hitratio/request-stream.js';
import { ZipfSampler } from '../../benchmarks/hitratio/zipf.js';
import { calibrateRun, defaultKeySpace } from '../../benchmarks/hitratio/calibrate.js';
import { ValuePool } from '../../benchmarks/core/value-pool.js';

const TTL = { compression: 360, minSec: 10 };

t.test('profiles are well formed', async (t) => {
  for (const p of PROFILES) {
    t.ok(p.ops.length > 0 && p.ops.every(([, s]) => s > 0), `${p.name} ops`);
    t.ok(p.ttls.every(([sec, s]) => sec > 0 && s > 0), `${p.name} ttls`);
    t.ok(p.zipfAlpha >= 0 && p.oneHitWonderRatio >= 0 && p.oneHitWonderRatio < 1, `${p.name} popularity`);
  }
  t.equal(profileByName('cluster29').name, 'cluster29');
  t.throws(() => profileByName('cluster999'), /unknown profile/);
});

t.test('per-key attributes are stable, bounded and unique', async (t) => {
  const p = profileByName('cluster52');
  const a = new KeyAttributes(p, 42, TTL);
  const b = new KeyAttributes(p, 42, TTL);
  const keys = new Set<string>();
  let valueSum = 0;
  let bad = 0;
  const n = 20000;
  for (let id = 0; id < n; id++) {
    const k = a.key(id);
    if (k !== b.key(id) || a.valueSize(id) !== b.valueSize(id) || a.ttlSec(id) !== b.ttlSec(id)) bad++;
    if (k.length < 1 || k.length > 250 || /[\s\r\n]/.test(k)) bad++;
    keys.add(k);
    valueSum += a.valueSize(id);
  }
  t.equal(bad, 0, 'same seed, same attributes; keys are legal');
  t.equal(keys.size, n, 'keys are unique per id');
  t.ok(Math.abs(valueSum / n - p.valueSize) / p.valueSize < 0.15, `mean value size ${valueSum / n} near ${p.valueSize}`);
  const other = new KeyAttributes(p, 43, TTL);
  const sizes = (x: KeyAttributes): number[] => Array.from({ length: 10 }, (_, id) => x.valueSize(id));
  t.notSame(sizes(other), sizes(a), 'another seed, other sizes');
  t.equal(a.key(123456789).startsWith('21i3v9_'), true, 'key starts with the base-36 id');
});

t.test('TTLs are compressed, floored and follow the mix', async (t) => {
  const p: ClusterProfile = { ...profileByName('cluster29'), ttls: [[3600, 0.75], [60, 0.25]] };
  const a = new KeyAttributes(p, 1, TTL);
  const counts = new Map<number, number>();
  for (let id = 0; id < 10000; id++) counts.set(a.ttlSec(id), (counts.get(a.ttlSec(id)) ?? 0) + 1);
  t.same([...counts.keys()].sort((x, y) => x - y), [10], '3600/360 = 10 and 60/360 floored to 10');
  const q: ClusterProfile = { ...p, ttls: [[7200, 0.75], [36000, 0.25]] };
  const c = new KeyAttributes(q, 1, TTL);
  let long = 0;
  for (let id = 0; id < 10000; id++) if (c.ttlSec(id) === 100) long++;
  t.ok(Math.abs(long / 10000 - 0.25) < 0.02, `share of the long TTL ${long / 10000}`);
});

t.test('request streams are reproducible and follow the profile', async (t) => {
  const p = profileByName('cluster52');
  const zipf = new ZipfSampler(10000, p.zipfAlpha);
  const s1 = new RequestStream(p, zipf, 7);
  const s2 = new RequestStream(p, zipf, 7);
  const n = 50000;
  let same = true;
  const ops = new Map<string, number>();
  let fresh = 0;
  const freshIds = new Set<number>();
  for (let i = 0; i < n; i++) {
    const a = s1.next();
    const b = s2.next();
    if (a.op !== b.op || a.keyId !== b.keyId || a.fresh !== b.fresh) same = false;
    ops.set(a.op, (ops.get(a.op) ?? 0) + 1);
    if (a.fresh) {
      fresh++;
      freshIds.add(a.keyId);
      if (a.keyId < 10000) same = false;
    } else if (a.keyId >= 10000) same = false;
  }
  t.ok(same, 'identical streams; fresh ids beyond the key space, others within');
  t.equal(freshIds.size, fresh, 'fresh keys never repeat');
  t.ok(Math.abs(fresh / n - freshKeyProbability(p)) < 0.01, 'fresh share');
  const total = p.ops.reduce((s, [, x]) => s + x, 0);
  for (const [op, share] of p.ops) t.ok(Math.abs((ops.get(op) ?? 0) / n - share / total) < 0.01, `${op} share`);
  const other = new RequestStream(p, zipf, 8);
  let differs = false;
  const again = new RequestStream(p, zipf, 7);
  for (let i = 0; i < 20; i++) if (other.next().keyId !== again.next().keyId) differs = true;
  t.ok(differs, 'another seed, another stream');
});

t.test('calibration reaches the target working set, deterministically', async (t) => {
  const p = profileByName('cluster29');
  const memoryBytes = 2 * 1048576;
  const opts = { memoryBytes, targetMultiple: 3, minRequests: 1000, maxRequests: 200000, seed: 5, ttl: TTL };
  const a = calibrateRun(p, opts);
  const b = calibrateRun(p, opts);
  t.same(a, b);
  t.equal(a.keySpace, defaultKeySpace(p, memoryBytes));
  t.ok(a.workingSetBytes >= 3 * memoryBytes, 'target reached');
  t.ok(a.requests < 200000);
  const capped = calibrateRun(p, { ...opts, maxRequests: 2000 });
  t.equal(capped.requests, 2000, 'stops at maxRequests');
  t.ok(capped.workingSetBytes < 3 * memoryBytes);
  t.equal(defaultKeySpace(p, 1), 50_000, 'key space floor');
  t.equal(defaultKeySpace(p, 1e12), 4_000_000, 'key space cap');
});

t.test('pooled values check byte for byte', async (t) => {
  const pool = new ValuePool(9);
  const v = Buffer.from(pool.value(17, 3, 300));
  t.equal(v.length, 300);
  t.ok(v.every((c) => c >= 33 && c <= 126), 'printable');
  t.ok(pool.matches(v, 17, 3, 300));
  t.notOk(pool.matches(v, 17, 4, 300), 'other version');
  t.notOk(pool.matches(v, 18, 3, 300), 'other key');
  t.notOk(pool.matches(v.subarray(0, 299), 17, 3, 300), 'short');
  const flipped = Buffer.from(v);
  flipped[150] = flipped[150] === 65 ? 66 : 65;
  t.notOk(pool.matches(flipped, 17, 3, 300), 'one byte changed');
  t.ok(new ValuePool(9).matches(v, 17, 3, 300), 'same seed, same pool');
  t.throws(() => pool.value(1, 1, 600 * 1024), /exceeds/);
});
