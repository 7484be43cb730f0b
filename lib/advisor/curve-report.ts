// The sizing advisor's curve as text: a table, a bar plot for the terminal
// and the one-line recommendation. Pure functions over CurvePoints (shared
// by `grow-a-cache advise` and anything else that prints a curve).

import { recommend, type CurvePoint } from '../../segments/advisor/sizing-advisor.js';

const MIB = 1048576;
const PLOT_WIDTH = 50;

/** Bytes as MiB, without needless decimals. */
export function mib(bytes: number): string {
  const m = bytes / MIB;
  return Number.isInteger(m) ? String(m) : m >= 10 ? m.toFixed(0) : m.toFixed(1);
}

function pct(x: number): string {
  return Number.isNaN(x) ? '     -' : `${(x * 100).toFixed(2).padStart(6)}`;
}

/** The curve as a table, one row per size. */
export function curveTable(curve: CurvePoint[]): string {
  const rows = ['  memory MiB  hit ratio %  miss ratio %  sampled gets  copy items  copy KiB'];
  for (const p of curve) {
    rows.push(
      `  ${mib(p.memoryBytes).padStart(10)}  ${pct(p.hitRatio).padStart(11)}  ${pct(1 - p.hitRatio).padStart(12)}  ${String(p.gets).padStart(12)}  ${String(p.items).padStart(10)}  ${(p.copyBytes / 1024).toFixed(0).padStart(8)}` +
        (p.lowSample ? '  (few items: noisy)' : '') +
        (p.oversize > 0 ? `  (${p.oversize} writes too large for a scaled segment)` : ''),
    );
  }
  return rows.join('\n') + '\n';
}

/** Horizontal bars of hit ratio, scaled from the lowest to the highest point. */
export function curvePlot(curve: CurvePoint[]): string {
  const valid = curve.filter((p) => !Number.isNaN(p.hitRatio));
  if (valid.length === 0) return '  (no sampled gets: nothing to plot)\n';
  const lo = Math.max(0, Math.min(...valid.map((p) => p.hitRatio)) - 0.01);
  const hi = Math.max(...valid.map((p) => p.hitRatio));
  const span = hi - lo || 1;
  const rows = [`  hit ratio, bars from ${(lo * 100).toFixed(1)}% to ${(hi * 100).toFixed(1)}%`];
  for (const p of valid) {
    const n = Math.round(((p.hitRatio - lo) / span) * PLOT_WIDTH);
    rows.push(`  ${mib(p.memoryBytes).padStart(8)} MiB |${'#'.repeat(n)}${' '.repeat(PLOT_WIDTH - n)}| ${(p.hitRatio * 100).toFixed(2)}%`);
  }
  return rows.join('\n') + '\n';
}

/** Is the recommended size the largest point, reached with more than a point of gain from the one before? */
function notFlat(curve: CurvePoint[], size: CurvePoint): boolean {
  const valid = curve.filter((p) => !Number.isNaN(p.hitRatio));
  const last = valid[valid.length - 1];
  const before = valid[valid.length - 2];
  return last === size && before !== undefined && last.hitRatio - before.hitRatio > 0.01;
}

/** The recommendation: the smallest size within one point of the best, and each doubling's gain. */
export function recommendation(curve: CurvePoint[]): string {
  const r = recommend(curve);
  if (r.size === undefined) return 'no recommendation: no sampled gets\n';
  const doublings = r.doublings.map((d) => `${mib(d.from)}->${mib(d.to)} ${d.gain >= 0 ? '+' : ''}${(d.gain * 100).toFixed(2)}`).join(', ');
  return (
    `recommend -m ${Math.ceil(r.size.memoryBytes / MIB)}: ${(r.size.hitRatio * 100).toFixed(2)}% hits, within 1 point of the best (${(r.best * 100).toFixed(2)}%)` +
    (doublings ? `; each doubling buys (points): ${doublings}` : '') +
    '\n' +
    (notFlat(curve, r.size) ? 'the curve is still rising at its largest size: more memory than shown may still pay; widen the range (-m, --sizes)\n' : '')
  );
}
