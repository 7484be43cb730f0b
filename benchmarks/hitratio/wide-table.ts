// The table of the widened hit-ratio evaluation (issue 17) from result
// lines (hitratio-wide.ts, or the store-level replay's --wide mode): per
// case memcached's first run against the compared server (grow-a-cache
// live, or the store-level replay), the A/A ratio when memcached ran twice,
// and the summary the targets are judged on.
//
// Each server's achieved request rate is shown and compared: the replayer
// paces its stream by the wall clock but waits when a connection's window
// is full, so a stream that could not keep its rate ran slower, and on the
// slower stream more wall time passes between a key's set and its next
// get: more items reach their TTL first. Where the rates differ the
// expired misses (and so the miss ratio) compare the two streams' speed as
// well as the caches; such cases are listed as rate-bound.

import type { WideLine } from '../hitratio-wide.js';

export interface WideRow {
  case: string;
  memoryMb: number;
  multiple: number;
  memcached: WideLine['result'];
  ours: WideLine['result'];
  /** memcached's second run, when there is one. */
  memcachedAgain: WideLine['result'] | undefined;
}

export function missRatio(r: WideLine['result']): number {
  return (r.gets - r.hits) / r.gets;
}

export function capacityRatio(r: WideLine['result']): number {
  return r.capacity / r.gets;
}

/** Rows for every case that has memcached's run 1 and a run of `server`, in the order first seen. */
export function wideRows(lines: readonly WideLine[], server: string): WideRow[] {
  const byCase = new Map<string, WideLine[]>();
  for (const line of lines) {
    const list = byCase.get(line.case) ?? [];
    list.push(line);
    byCase.set(line.case, list);
  }
  const rows: WideRow[] = [];
  for (const [id, list] of byCase) {
    // The latest line of each (server, run) wins: a file may hold reruns.
    const pick = (name: string, run: number): WideLine | undefined => list.filter((l) => l.server === name && l.run === run).pop();
    const mc = pick('memcached', 1);
    const ours = pick(server, 1);
    if (!mc || !ours) continue;
    rows.push({ case: id, memoryMb: mc.memoryMb, multiple: mc.multiple, memcached: mc.result, ours: ours.result, memcachedAgain: pick('memcached', 2)?.result });
  }
  return rows;
}

export interface WideSummary {
  cases: number;
  /** Geometric mean of capacity-miss ratios over cases where both servers had capacity misses. */
  capacityGeomean: number;
  capacityCases: number;
  /** Largest ours/memcached miss ratio and its case. */
  worstMissRatio: number;
  worstCase: string;
  /** Largest |memcached run 2 / run 1 - 1| of the miss ratio (A/A noise); NaN without second runs. */
  aaMissNoise: number;
  /** Cases whose miss ratio is above memcached's by more than the A/A noise. */
  losses: string[];
  /** Cases whose two achieved rates differ by more than RATE_SKEW: expired misses there measure speed too. */
  rateBound: string[];
  wrong: number;
}

/** Largest relative difference of achieved rates at which a live comparison still counts as paced alike. */
export const RATE_SKEW = 0.02;

/** Whether ours and memcached's run 1 reached achieved rates more than RATE_SKEW apart. */
export function rateBound(row: WideRow): boolean {
  const a = row.ours.achievedRate;
  const b = row.memcached.achievedRate;
  return Math.abs(a - b) > RATE_SKEW * Math.max(a, b);
}

function ratioOrOne(a: number, b: number): number {
  return a === 0 && b === 0 ? 1 : a / b;
}

export function summarize(rows: readonly WideRow[], aaNoiseFloor = 0): WideSummary {
  let logSum = 0;
  let capacityCases = 0;
  let worstMissRatio = 0;
  let worstCase = '';
  let aa = NaN;
  let wrong = 0;
  for (const row of rows) {
    const mc = row.memcached;
    const ours = row.ours;
    if (mc.capacity > 0 && ours.capacity > 0) {
      logSum += Math.log(capacityRatio(ours) / capacityRatio(mc));
      capacityCases++;
    }
    const m = ratioOrOne(missRatio(ours), missRatio(mc));
    if (m > worstMissRatio) {
      worstMissRatio = m;
      worstCase = row.case;
    }
    if (row.memcachedAgain) {
      const d = Math.abs(ratioOrOne(missRatio(row.memcachedAgain), missRatio(mc)) - 1);
      aa = Number.isNaN(aa) ? d : Math.max(aa, d);
    }
    wrong += ours.wrongValues + ours.expiredServed;
  }
  const noise = Math.max(aaNoiseFloor, Number.isNaN(aa) ? 0 : aa);
  const losses = rows.filter((r) => ratioOrOne(missRatio(r.ours), missRatio(r.memcached)) > 1 + noise).map((r) => r.case);
  const bound = rows.filter(rateBound).map((r) => r.case);
  return { cases: rows.length, capacityGeomean: capacityCases > 0 ? Math.exp(logSum / capacityCases) : NaN, capacityCases, worstMissRatio, worstCase, aaMissNoise: aa, losses, rateBound: bound, wrong };
}

const pct = (x: number): string => (x * 100).toFixed(2);

/** Markdown table and summary lines. */
export function renderWide(rows: readonly WideRow[], oursName: string, aaNoiseFloor = 0): string {
  const out = [
    `| case | -m MB | WSS/-m | memcached miss % | ${oursName} miss % | miss ratio | memcached capacity % | ${oursName} capacity % | capacity ratio | A/A miss ratio | evictions mc / ours | items held mc / ours | memcached malloced / -m | wrong | req/s mc / ours |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const mc = r.memcached;
    const o = r.ours;
    const capRatio = mc.capacity === 0 ? (o.capacity === 0 ? '1 (0/0)' : 'inf') : (capacityRatio(o) / capacityRatio(mc)).toFixed(2);
    // memcached gives every slab class its first page past -m: on small limits it holds far more.
    const over = mc.malloced ? (mc.malloced / (r.memoryMb * 1048576)).toFixed(2) + 'x' : '-';
    const aa = r.memcachedAgain ? ratioOrOne(missRatio(r.memcachedAgain), missRatio(mc)).toFixed(4) : '-';
    out.push(
      `| ${r.case} | ${r.memoryMb} | ${r.multiple.toFixed(1)} | ${pct(missRatio(mc))} | ${pct(missRatio(o))} | ${ratioOrOne(missRatio(o), missRatio(mc)).toFixed(3)} | ` +
        `${pct(capacityRatio(mc))} | ${pct(capacityRatio(o))} | ${capRatio} | ${aa} | ${mc.evictions} / ${o.evictions} | ${mc.itemsHeld} / ${o.itemsHeld} | ${over} | ${o.wrongValues + o.expiredServed} | ${Math.round(mc.achievedRate)} / ${Math.round(o.achievedRate)}${rateBound(r) ? ' (rate-bound)' : ''} |`,
    );
  }
  const s = summarize(rows, aaNoiseFloor);
  out.push('');
  out.push(
    `${s.cases} cases. Capacity misses ${oursName}/memcached, geometric mean over the ${s.capacityCases} cases where both had some: ${s.capacityGeomean.toFixed(3)}. ` +
      `Worst miss ratio: ${s.worstMissRatio.toFixed(3)} (${s.worstCase}). A/A (memcached run 2 / run 1) miss-ratio noise: ${Number.isNaN(s.aaMissNoise) ? 'not measured' : s.aaMissNoise.toFixed(4)}. ` +
      `Above memcached beyond the noise: ${s.losses.length === 0 ? 'none' : s.losses.join(', ')}. Wrong or expired values served: ${s.wrong}. ` +
      `Rate-bound (achieved rates more than ${RATE_SKEW * 100}% apart; expired misses compare speed too): ${s.rateBound.length === 0 ? 'none' : s.rateBound.join(', ')}.`,
  );
  return out.join('\n');
}
