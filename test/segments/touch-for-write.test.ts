// touchForWrite (segments/shared-memory.ts): a writer's own segment is
// faulted in before the shared lock (segment-store.ts prefaultOwn). It must
// bring every page of the range in without changing a byte, at any offset.

import t from 'tap';
import { randomFillSync } from 'node:crypto';
import { touchForWrite } from '../../segments/shared-memory.js';

t.test('no byte changes, whatever the range and its alignment', (t) => {
  const bytes = new Uint8Array(new SharedArrayBuffer(5 * 4096 + 300));
  randomFillSync(bytes);
  const before = Uint8Array.from(bytes);
  touchForWrite(bytes, 0, bytes.length);
  // A view that starts mid-page, and a range shorter than a page.
  const view = bytes.subarray(123);
  touchForWrite(view, 7, view.length - 9);
  touchForWrite(view, 4000, 4100);
  touchForWrite(view, 50, 50);
  touchForWrite(view, 60, 10);
  t.same(bytes, before);
  t.end();
});

t.test('the pages of the range become resident; the pages past it do not', (t) => {
  // Linux backs an untouched anonymous mapping lazily, so resident memory
  // grows by what was touched. Margins: other allocations of this process.
  const mib = 1 << 20;
  const bytes = new Uint8Array(new SharedArrayBuffer(96 * mib));
  const rss0 = process.memoryUsage().rss;
  touchForWrite(bytes, 0, 48 * mib);
  const rss1 = process.memoryUsage().rss;
  t.ok(rss1 - rss0 >= 44 * mib, `48 MiB touched: resident memory grew ${((rss1 - rss0) / mib).toFixed(1)} MiB`);
  t.ok(rss1 - rss0 <= 60 * mib, 'and not by the 96 MiB of the whole buffer');
  t.equal(bytes[0]! + bytes[48 * mib - 1]! + bytes[96 * mib - 1]!, 0, 'still zero');
  t.end();
});
