// Prints the issue-17 table from result files of hitratio-wide.ts (and/or
// the store-level replay's --wide --out): memcached's run 1 against
// `--ours` (grow-a-cache, or store for the store-level replay).
//   node dist/benchmarks/hitratio-wide-table.js [--ours grow-a-cache|store] [--noise X] FILE...
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { WideLine } from './hitratio-wide.js';
import { renderWide, wideRows } from './hitratio/wide-table.js';

const { values, positionals } = parseArgs({ options: { ours: { type: 'string', default: 'grow-a-cache' }, noise: { type: 'string', default: '0' } }, allowPositionals: true });
const lines: WideLine[] = positionals.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as WideLine));
console.log(renderWide(wideRows(lines, values.ours!), values.ours!, Number(values.noise)));
