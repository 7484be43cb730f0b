// `stats advisor` lines from an AdvisorReport: memcached-style STAT names,
// one group per candidate size (advisor_<i>_...), smallest first, then the
// recommendation. Also the store's own hit ratio for comparison.

import type { AdvisorReport } from '../../segments/advisor/advised-store.js';
import { recommend } from '../../segments/advisor/sizing-advisor.js';
import type { StoreCounters } from '../../segments/types.js';

type Lines = Array<[name: string, value: string]>;

function ratio(x: number): string {
  return Number.isNaN(x) ? '-1' : x.toFixed(4);
}

export function advisorStats(report: AdvisorReport | undefined, memoryBytes: number, totals: StoreCounters): Lines {
  if (report === undefined) return [['advisor_enabled', '0']];
  const curve = report.curve();
  const gets = totals.getHits + totals.getMisses;
  const lines: Lines = [
    ['advisor_enabled', '1'],
    ['advisor_rate', String(report.rate)],
    ['advisor_sampled_requests', String(report.sampledRequests())],
    ['advisor_dropped_requests', String(report.dropped())],
    ['advisor_memory_bytes', String(report.memoryBytes())],
    ['advisor_points', String(curve.length)],
    ['advisor_current_memory_bytes', String(memoryBytes)],
    ['advisor_current_hit_ratio', ratio(gets > 0 ? totals.getHits / gets : NaN)],
    // Added to every point so the curve passes through the measured ratio at -m.
    ['advisor_anchor_offset', report.anchorOffset().toFixed(4)],
  ];
  curve.forEach((p, i) => {
    lines.push([`advisor_${i}_memory_bytes`, String(p.memoryBytes)]);
    lines.push([`advisor_${i}_hit_ratio`, ratio(p.hitRatio)]);
    lines.push([`advisor_${i}_sampled_gets`, String(p.gets)]);
    lines.push([`advisor_${i}_items`, String(p.items)]);
    lines.push([`advisor_${i}_copy_bytes`, String(p.copyBytes)]);
    lines.push([`advisor_${i}_low_sample`, p.lowSample ? '1' : '0']);
  });
  const r = recommend(curve);
  lines.push(['advisor_recommended_memory_bytes', r.size === undefined ? '0' : String(r.size.memoryBytes)]);
  return lines;
}
