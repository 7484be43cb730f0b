// Renders result rows as one Markdown table (printed to the terminal and
// written to RESULTS.md alike).

import { formatCell, formatRatio, targetText, verdictText, type Row } from './rows.js';

const HEADER = ['Benchmark', 'Metric', 'memcached', 'grow-a-cache', 'ours/memcached', 'Target', 'Verdict'];

function escape(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderTable(rows: readonly Row[]): string {
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    formatCell(r.memcached, r.unit),
    formatCell(r.ours, r.unit),
    formatRatio(r),
    targetText(r.target, r.unit),
    verdictText(r),
  ]);
  const all = [HEADER, ...body].map((cols) => cols.map(escape));
  const widths = HEADER.map((_, i) => Math.max(...all.map((cols) => cols[i]!.length)));
  const line = (cols: string[]): string => `| ${cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(all[0]!), rule, ...all.slice(1).map(line)].join('\n');
}
