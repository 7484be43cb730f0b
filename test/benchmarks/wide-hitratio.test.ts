import t from 'tap';
import { PROFILES, SKIPPED_CLUSTERS, profileByName } from '../../benchmarks/hitratio/profiles.js';
import { MIN_MEMORY_MB, caseId, scaleCase, scaleFactor, wideCase } from '../../benchmarks/hitratio/wide-cases.js';
import { renderWide, summarize, wideRows } from '../../benchmarks/hitratio/wide-table.js';
import type { WideLine } from '../../benchmarks/hitratio-wide.js';

const TTL = { compression: 360, minSec: 10 };
const MIB = 1048576;

t.test('every cluster of the table is a profile or skipped with a reason', async (t) => {
  const names = new Set(PROFILES.map((p) => p.name));
  for (let i = 1; i <= 54; i++) {
    const name = `cluster${i}`;
    t.ok(names.has(name) !== (name in SKIPPED_CLUSTERS), `${name}: exactly one of profile / skipped`);
  }
  for (const p of PROFILES) t.ok(p.ops.some(([op]) => op === 'get' || op === 'gets'), `${p.name} reads`);
  // incr/prepend kept as the table gives them.
  t.ok(profileByName('cluster22').ops.some(([op]) => op === 'incr'));
});

t.test('a wide case sizes -m from the working set its stream touches', async (t) => {
  const p = profileByName('cluster12');
  const two = wideCase(p, 2, 40_000, 7, TTL)!;
  t.ok(two.memoryMb >= MIN_MEMORY_MB);
  t.ok(two.size.requests <= 40_000);
  t.equal(two.multiple, two.size.workingSetBytes / (two.memoryMb * MIB));
  const again = wideCase(p, 2, 40_000, 7, TTL)!;
  t.same(again.size, two.size, 'same seed, same case');
  // A profile so skewed that the budget touches a few keys cannot be made to evict.
  t.equal(wideCase(profileByName('cluster1'), 2, 40_000, 7, TTL), undefined);
  t.equal(caseId('cluster41', 8), 'cluster41@8x');
});

t.test('a scaled case multiplies -m and the key space and keeps WSS / -m', async (t) => {
  t.equal(scaleFactor(8, { scale: 1, floorMb: 48 }), 6, '-m 8 lifted to 48');
  t.equal(scaleFactor(13, { scale: 1, floorMb: 48 }), 4, '-m 13 -> 52, the least whole factor');
  t.equal(scaleFactor(64, { scale: 1, floorMb: 48 }), 1, 'already above the floor');
  t.equal(scaleFactor(8, { scale: 4, floorMb: 0 }), 4, 'one factor for every case');
  t.equal(scaleFactor(8, { scale: 4, floorMb: 48 }), 8, 'scale first, then the floor in whole steps of it');
  const p = profileByName('cluster12');
  const base = wideCase(p, 2, 40_000, 7, TTL)!;
  t.same(scaleCase(base, 1, 7, TTL), { ...base, scale: 1 });
  const big = scaleCase(base, 3, 7, TTL);
  t.equal(big.memoryMb, base.memoryMb * 3);
  t.equal(big.size.keySpace, base.size.keySpace * 3);
  t.equal(big.scale, 3);
  t.ok(big.size.requests > base.size.requests * 2, `a larger working set takes more requests (${big.size.requests} vs ${base.size.requests})`);
  // The stream stops on the first request at which the working set reaches the unscaled multiple.
  t.ok(big.multiple >= base.multiple && big.multiple < base.multiple * 1.001, `WSS/-m ${big.multiple} kept (${base.multiple})`);
  t.equal(big.multiple, big.size.workingSetBytes / (big.memoryMb * MIB));
});

function line(id: string, server: string, run: number, gets: number, hits: number, capacity: number, wrong = 0, achievedRate = 1): WideLine {
  return {
    case: id, profile: id.split('@')[0]!, target: 2, memoryMb: 8, multiple: 2, server, run,
    result: { gets, hits, compulsory: gets - hits - capacity, expired: 0, capacity, deleted: 0, wrongValues: wrong, expiredServed: 0, evictions: 1, itemsHeld: 1, achievedRate, malloced: 8 * MIB },
  };
}

t.test('the wide table pairs memcached run 1 with ours and measures A/A', async (t) => {
  const lines = [
    line('a@2x', 'memcached', 1, 1000, 600, 100),
    line('a@2x', 'grow-a-cache', 1, 1000, 650, 50),
    line('a@2x', 'memcached', 2, 1000, 596, 104),
    line('b@2x', 'memcached', 1, 1000, 500, 200),
    line('b@2x', 'grow-a-cache', 1, 1000, 480, 220, 1),
    line('c@2x', 'memcached', 1, 1000, 900, 0), // no ours: left out
  ];
  const rows = wideRows(lines, 'grow-a-cache');
  t.same(rows.map((r) => r.case), ['a@2x', 'b@2x']);
  const s = summarize(rows);
  t.equal(s.capacityCases, 2);
  t.ok(Math.abs(s.capacityGeomean - Math.sqrt(0.5 * 1.1)) < 1e-12);
  t.equal(s.worstCase, 'b@2x');
  t.ok(Math.abs(s.worstMissRatio - 520 / 500) < 1e-12);
  t.ok(Math.abs(s.aaMissNoise - 0.01) < 1e-12, 'A/A: 404 / 400 misses');
  t.same(s.losses, ['b@2x'], '4% above memcached is beyond 1% A/A noise');
  t.same(summarize(rows, 0.05).losses, [], 'within a 5% noise floor');
  t.equal(s.wrong, 1);
  t.match(renderWide(rows, 'grow-a-cache'), /\| a@2x \| 8 \| 2\.0 \|/);
});

t.test('a case whose streams reached different rates is listed as rate-bound', async (t) => {
  const rows = wideRows(
    [
      line('a@2x', 'memcached', 1, 1000, 600, 0, 0, 11185),
      line('a@2x', 'grow-a-cache', 1, 1000, 590, 0, 0, 10818), // 3.3% slower: its items had more wall time to expire
      line('b@2x', 'memcached', 1, 1000, 600, 0, 0, 6000),
      line('b@2x', 'grow-a-cache', 1, 1000, 600, 0, 0, 5950), // 0.8% apart: paced alike
    ],
    'grow-a-cache',
  );
  t.same(summarize(rows).rateBound, ['a@2x']);
  const table = renderWide(rows, 'grow-a-cache');
  t.match(table, /\| 11185 \/ 10818 \(rate-bound\) \|/);
  t.match(table, /\| 6000 \/ 5950 \|/);
  t.match(table, /Rate-bound \(achieved rates more than 2% apart; expired misses compare speed too\): a@2x\./);
});
