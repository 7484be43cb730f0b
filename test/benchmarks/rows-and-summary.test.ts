import t from 'tap';
import { formatCell, formatRatio, formatValue, missingCell, targetText, verdictOf, verdictText, type Row } from '../../benchmarks/harness/rows.js';
import { renderTable } from '../../benchmarks/harness/table.js';
import { geometricMean, median, ratio, spread } from '../../benchmarks/core/summary.js';

function row(partial: Partial<Row>): Row {
  return {
    bench: 'b',
    metric: 'm',
    unit: 'ops/s',
    memcached: { value: 100 },
    ours: { value: 120 },
    ratio: 1.2,
    target: { kind: 'info' },
    ...partial,
  };
}

t.test('median, spread, geometric mean, ratio', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 2, 3]), 2.5);
  t.equal(median([NaN, 5]), 5);
  t.ok(Number.isNaN(median([])));
  t.equal(spread([90, 100, 110]), 0.2);
  t.equal(spread([7]), 0);
  t.ok(Number.isNaN(spread([0, 0])));
  t.ok(Math.abs(geometricMean([0.5, 2]) - 1) < 1e-12);
  t.ok(Number.isNaN(geometricMean([1, 0])));
  t.ok(Number.isNaN(geometricMean([])));
  t.equal(ratio(3, 2), 1.5);
  t.ok(Number.isNaN(ratio(3, 0)));
  t.ok(Number.isNaN(ratio(NaN, 2)));
});

t.test('verdicts against targets', async (t) => {
  t.equal(verdictOf(row({ target: { kind: 'ratio-min', value: 1 } })), 'met');
  t.equal(verdictOf(row({ ratio: 0.8, target: { kind: 'ratio-min', value: 1 } })), 'missed');
  t.equal(verdictText(row({ ratio: 0.8, target: { kind: 'ratio-min', value: 1 } })), 'missed (-20%)');
  t.equal(verdictText(row({ ratio: 1.004, target: { kind: 'ratio-max', value: 1 } })), 'missed (+0.40%)');
  t.equal(verdictOf(row({ ratio: 1.2, target: { kind: 'ratio-max', value: 1.2 } })), 'met', 'bounds are inclusive');
  t.equal(verdictOf(row({ ours: { value: 1.5 }, target: { kind: 'ours-max', value: 2 } })), 'met');
  t.equal(verdictText(row({ ours: { value: 3 }, target: { kind: 'ours-max', value: 0 } })), 'missed (3)');
  t.equal(verdictOf(row({ ours: { value: 0.98 }, target: { kind: 'ours-min', value: 0.99 } })), 'missed');
  t.equal(verdictOf(row({ ratio: NaN, target: { kind: 'ratio-min', value: 1 } })), 'n/a', 'no ratio, no verdict');
  t.equal(verdictOf(row({})), 'n/a', 'info rows');
});

t.test('formatting', async (t) => {
  t.equal(formatValue(98183.6, 'ops/s'), '98.2k');
  t.equal(formatValue(1234567, 'ops/s'), '1.23M');
  t.equal(formatValue(479, 'us'), '479 µs');
  t.equal(formatValue(1471, 'us'), '1.47 ms');
  t.equal(formatValue(441472, 'items'), '441,472');
  t.equal(formatValue(0.8123, 'percent'), '81.23%');
  t.equal(formatValue(0.0123, 'percent'), '1.23%');
  t.equal(formatValue(NaN, 'bytes'), '–');
  t.equal(formatCell({ value: 100000, spread: 0.1 }, 'ops/s'), '100.0k ±5%');
  t.equal(formatCell(missingCell('not built'), 'ops/s'), 'not built');
  t.equal(formatRatio(row({ ratio: 1.234, ratioSpread: 0.2 })), '1.23 ±10%');
  t.equal(formatRatio(row({ ratio: NaN })), '–');
  t.equal(targetText({ kind: 'ratio-min', value: 1.5 }, 'ops/s'), 'ratio >= 1.5');
  t.equal(targetText({ kind: 'ours-max', value: 2 }, 'seconds'), 'ours <= 2.0 s');
});

t.test('one Markdown table, pipes escaped', async (t) => {
  const text = renderTable([row({ bench: 'a|b', target: { kind: 'ratio-min', value: 1 } }), row({ ratio: 0.5, target: { kind: 'ratio-min', value: 1 } })]);
  const lines = text.split('\n');
  t.equal(lines.length, 4);
  t.match(lines[0], /^\| Benchmark +\| Metric/);
  t.match(lines[1], /^\|-+\|/);
  t.match(lines[2], /a\\\|b/);
  t.match(lines[3], /missed \(-50%\)/);
  t.equal(new Set(lines.map((l) => l.length)).size, 1, 'columns aligned');
});
