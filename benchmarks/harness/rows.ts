// The rows of the one results table: a metric measured on both servers,
// its ratio ours/memcached, the target for it, and whether the
// target is met. Suites produce rows; the table module prints them.

export type Unit = 'ops/s' | 'us' | 'cpu-us' | 'items' | 'bytes' | 'ratio' | 'percent' | 'seconds' | 'count' | 'MiB';

/** One server's figure: median over rounds, with the spread of the rounds. */
export interface Cell {
  value: number;
  /** (max - min) / median over rounds; undefined for a single run. */
  spread?: number | undefined;
  /** Shown instead of the value (e.g. 'error: ...', 'not run'). */
  note?: string | undefined;
}

/**
 * A target from the issue: on the ratio ours/memcached, or on our own
 * figure. `info` rows have none.
 */
export type Target =
  | { kind: 'ratio-min'; value: number }
  | { kind: 'ratio-max'; value: number }
  | { kind: 'ours-min'; value: number }
  | { kind: 'ours-max'; value: number }
  | { kind: 'info' };

export interface Row {
  /** Benchmark, e.g. "(a) get/set 90/10, 50 conns". */
  bench: string;
  metric: string;
  unit: Unit;
  memcached: Cell;
  ours: Cell;
  /** ours / memcached (for throughput: median of per-round ratios); NaN when not both. */
  ratio: number;
  ratioSpread?: number | undefined;
  target: Target;
}

export type Verdict = 'met' | 'missed' | 'n/a';

export function verdictOf(row: Row): Verdict {
  const t = row.target;
  if (t.kind === 'info') return 'n/a';
  const x = t.kind === 'ratio-min' || t.kind === 'ratio-max' ? row.ratio : row.ours.value;
  if (!Number.isFinite(x)) return 'n/a';
  const ok = t.kind === 'ratio-min' || t.kind === 'ours-min' ? x >= t.value : x <= t.value;
  return ok ? 'met' : 'missed';
}

/** How far from the target, as text: "0.82 vs >= 1.0 (-18%)". */
export function verdictText(row: Row): string {
  const v = verdictOf(row);
  if (v !== 'missed') return v;
  const t = row.target as Exclude<Target, { kind: 'info' }>;
  const x = t.kind === 'ratio-min' || t.kind === 'ratio-max' ? row.ratio : row.ours.value;
  if (t.value === 0) return `missed (${x})`;
  const pct = ((x - t.value) / t.value) * 100;
  return `missed (${pct > 0 ? '+' : ''}${pct.toFixed(Math.abs(pct) < 1 ? 2 : 0)}%)`;
}

export function targetText(target: Target, unit: Unit): string {
  switch (target.kind) {
    case 'info':
      return '';
    case 'ratio-min':
      return `ratio >= ${target.value}`;
    case 'ratio-max':
      return `ratio <= ${target.value}`;
    case 'ours-min':
      return `ours >= ${formatValue(target.value, unit)}`;
    case 'ours-max':
      return `ours <= ${formatValue(target.value, unit)}`;
  }
}

function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(2) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (a >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return '–';
  switch (unit) {
    case 'ops/s':
      return compact(value);
    case 'us':
      return value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(0)} µs`;
    case 'cpu-us':
      return `${value.toFixed(2)} µs`;
    case 'items':
    case 'count':
      return Math.round(value).toLocaleString('en-US');
    case 'bytes':
      return `${value.toFixed(value >= 100 ? 0 : 1)} B`;
    case 'MiB':
      return `${(value / 1048576).toFixed(1)} MiB`;
    case 'ratio':
      return `${value.toFixed(2)}x`;
    case 'percent':
      return `${(value * 100).toFixed(2)}%`;
    case 'seconds':
      return `${value.toFixed(1)} s`;
  }
}

export function formatCell(cell: Cell, unit: Unit): string {
  if (cell.note !== undefined) return cell.note;
  const base = formatValue(cell.value, unit);
  if (cell.spread === undefined || !Number.isFinite(cell.spread) || !Number.isFinite(cell.value)) return base;
  return `${base} ±${((cell.spread / 2) * 100).toFixed(0)}%`;
}

export function formatRatio(row: Row): string {
  if (!Number.isFinite(row.ratio)) return '–';
  const base = row.ratio.toFixed(2);
  if (row.ratioSpread === undefined || !Number.isFinite(row.ratioSpread)) return base;
  return `${base} ±${((row.ratioSpread / 2) * 100).toFixed(0)}%`;
}

/** A cell for a server that was not measured. */
export function missingCell(note: string): Cell {
  return { value: NaN, note };
}
