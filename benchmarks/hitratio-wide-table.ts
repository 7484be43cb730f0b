// Prints the issue-17 table from result files of hitratio-wide.ts (and/or
// the store-level replay's --wide --out): memcached's run 1 against
// `--ours` (grow-a-cache, or store for the store-level replay).
// `--beside FILE,FILE` prints instead, per case, these files' rows (e.g. the
// small-scale run) beside the positional files' rows (e.g. the scaled run):
// -m, memcached's malloced / -m, miss ratio and capacity ratio at each;
// `--malloced FILE` takes the beside rows' malloced from memcached lines
// there (a run that recorded it) when theirs lack it.
//   node dist/benchmarks/hitratio-wide-table.js [--ours grow-a-cache|store] [--noise X] [--beside FILE,FILE [--malloced FILE]] FILE...
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { WideLine } from './hitratio-wide.js';
import { capacityRatio, missRatio, renderWide, wideRows, type WideRow } from './hitratio/wide-table.js';

const { values, positionals } = parseArgs({
  options: { ours: { type: 'string', default: 'grow-a-cache' }, noise: { type: 'string', default: '0' }, beside: { type: 'string' }, malloced: { type: 'string' } },
  allowPositionals: true,
});
const read = (files: readonly string[]): WideLine[] => files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as WideLine));
const rows = wideRows(read(positionals), values.ours!);
if (values.beside === undefined) {
  console.log(renderWide(rows, values.ours!, Number(values.noise)));
} else {
  const small = new Map(wideRows(read(values.beside.split(',')), values.ours!).map((r) => [r.case, r]));
  const known = new Map<string, number>();
  for (const l of values.malloced ? read([values.malloced]) : []) if (l.server === 'memcached' && l.result.malloced !== undefined && !known.has(l.case)) known.set(l.case, l.result.malloced);
  const over = (r: WideRow): string => {
    const bytes = r.memcached.malloced ?? known.get(r.case);
    return bytes ? (bytes / (r.memoryMb * 1048576)).toFixed(2) : '-';
  };
  const miss = (r: WideRow): string => {
    const a = missRatio(r.ours);
    const b = missRatio(r.memcached);
    return (a === 0 && b === 0 ? 1 : a / b).toFixed(3);
  };
  const cap = (r: WideRow): string => (r.memcached.capacity === 0 ? (r.ours.capacity === 0 ? '1 (0/0)' : 'inf') : (capacityRatio(r.ours) / capacityRatio(r.memcached)).toFixed(2));
  console.log('| case | -m MB small / scaled | WSS/-m small / scaled | memcached malloced / -m small / scaled | miss ratio small / scaled | capacity ratio small / scaled |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const s = small.get(r.case);
    const pair = (f: (x: WideRow) => string): string => `${s ? f(s) : '-'} / ${f(r)}`;
    console.log(`| ${r.case} | ${pair((x) => String(x.memoryMb))} | ${pair((x) => x.multiple.toFixed(1))} | ${pair(over)} | ${pair(miss)} | ${pair(cap)} |`);
  }
}
