// The live page's HTTP side (lib/observability/live/): the page and its
// assets on the metrics listener, the snapshot/summary/segment endpoints
// against the store they describe, and the chart sampler that runs only
// while someone watches. The browser side is live-browser.test.ts.

import t, { type Test } from 'tap';
import http from 'node:http';
import vm from 'node:vm';
import { startMetricsServer } from '../../lib/observability/metrics.js';
import { LiveData, SERIES } from '../../lib/observability/live/live-data.js';
import { PAGE_JS } from '../../lib/observability/live/page-js.js';
import { MAP_FREE, decodeSegmentMap } from '../../segments/segment-map.js';
import { makeSources } from './helpers.js';
import type { CacheStore } from '../../segments/types.js';

const SEG = 1024;
const k = (s: string): Buffer => Buffer.from(s);

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject)
      .end();
  });
}

async function startWith(t: Test) {
  const src = makeSources({ maxBytes: 16 * SEG }, { segmentSize: SEG, itemSizeMax: 512 });
  const server = await startMetricsServer('127.0.0.1:0', src);
  t.teardown(() => server.close());
  return { src, port: server.port };
}

t.test('the page and everything it loads come from the server', async (t) => {
  const { port } = await startWith(t);
  for (const path of ['/', '/ui', '/ui/']) {
    const page = await get(port, path);
    t.equal(page.status, 200, path);
    t.match(page.headers['content-type'], /^text\/html/);
    t.match(page.headers['content-security-policy'], /default-src 'self'/, 'nothing from elsewhere');
    const html = page.body.toString();
    t.match(html, '<canvas id="map">');
    t.match(html, 'href="/metrics"', 'links Prometheus');
    // Every src/href is a local path: no CDN, works offline.
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) t.match(url, /^\/[^/]/, `local asset ${url}`);
  }
  const js = await get(port, '/ui/app.js');
  t.equal(js.status, 200);
  t.match(js.headers['content-type'], /^text\/javascript/);
  t.equal(js.body.toString(), PAGE_JS);
  t.doesNotThrow(() => new vm.Script(PAGE_JS, { filename: 'app.js' }), 'the script parses');
  const css = await get(port, '/ui/style.css');
  t.equal(css.status, 200);
  t.match(css.headers['content-type'], /^text\/css/);
  t.equal((await get(port, '/ui/nope')).status, 404);
  t.equal((await get(port, '/ui/app.js', 'HEAD')).body.length, 0, 'HEAD has no body');
  t.equal((await get(port, '/metrics')).status, 200, '/metrics still answers');
});

t.test('snapshot, summary and segment describe the store', async (t) => {
  const { src, port } = await startWith(t);
  for (let i = 0; i < 20; i++) src.store.store('set', k(`a${i}`), Buffer.alloc(100, 'x'), 0, 60, 0);
  for (let i = 0; i < 5; i++) src.store.store('set', k(`b${i}`), Buffer.alloc(100, 'y'), 0, 0, 0);
  src.store.get(k('a1'));

  const snap = await get(port, '/ui/snapshot');
  t.equal(snap.status, 200);
  t.equal(snap.headers['content-type'], 'application/octet-stream');
  t.equal(snap.headers['cache-control'], 'no-store');
  const map = decodeSegmentMap(new Uint8Array(snap.body));
  const shape = src.store.shape();
  t.equal(map.segmentCount, shape.segmentsTotal);
  t.equal([...map.bucket].filter((b) => b === MAP_FREE).length, shape.segmentsFree);

  const summary = JSON.parse((await get(port, '/ui/summary')).body.toString());
  t.equal(summary.segmentsTotal, 16);
  t.equal(summary.segmentSize, SEG);
  t.equal(summary.items, 25);
  t.equal(summary.memory.liveBytes, src.store.counters.bytes);
  t.equal(summary.memory.heapBytes, 16 * SEG);
  t.equal(summary.memory.hashBytes, shape.hashBytes);
  t.ok(summary.memory.rssBytes > 0);
  t.same(
    summary.buckets.map((r: { items: number }) => r.items),
    [20, 5],
  );
  t.equal(summary.buckets[1].never, true);
  t.equal(summary.totals.hits, 1);
  t.equal(summary.totals.gets, 1);
  t.same(Object.keys(summary.rates.series), [...SERIES]);
  t.ok(summary.build.slices >= 1);
  t.notMatch(JSON.stringify(summary), /"a1"|xxxx|yyyy/, 'no key or value');

  const used = [...map.bucket].findIndex((b) => b !== MAP_FREE);
  const seg = JSON.parse((await get(port, `/ui/segment?id=${used}`)).body.toString());
  t.equal(seg.segment, used);
  t.equal(seg.free, false);
  t.ok(seg.liveItems > 0);
  t.equal((await get(port, '/ui/segment?id=99')).status, 404);
  t.equal((await get(port, '/ui/segment?id=x')).status, 404);
  t.equal((await get(port, '/ui/segment')).status, 404);
});

t.test('the chart sampler runs only while the page is watched', async (t) => {
  const src = makeSources({ maxBytes: 16 * SEG }, { segmentSize: SEG, itemSizeMax: 512 });
  const server = await startMetricsServer('127.0.0.1:0', src);
  t.teardown(() => server.close());
  // Scrapes and the page's static files start nothing.
  await get(server.port, '/metrics');
  await get(server.port, '/');
  await get(server.port, '/ui/app.js');
  const data = new LiveData(src);
  t.equal(data.sampling, false, 'idle until asked');
  data.touch();
  t.equal(data.sampling, true, 'a page request starts it');
  data.stop();
  t.equal(data.sampling, false);
});

t.test('the ring keeps per-second deltas and serves what is new', (t) => {
  const src = makeSources({ maxBytes: 16 * SEG }, { segmentSize: SEG, itemSizeMax: 512 });
  const data = new LiveData(src);
  data.sample(); // the first sample only sets the baseline
  t.same(data.ratesSince(0).next, 0);
  for (let i = 0; i < 7; i++) src.store.get(k(`miss${i}`));
  src.store.store('set', k('x'), Buffer.from('1'), 0, 0, 0);
  src.store.get(k('x'));
  src.counters.cmdSet += 1;
  data.sample();
  const first = data.ratesSince(0);
  t.equal(first.next, 1);
  // Deltas divided by the elapsed time: positive where counters moved, zero elsewhere.
  t.ok(first.series.gets![0]! > 0);
  t.ok(first.series.hits![0]! > 0);
  t.equal(first.series.gets![0]! / first.series.hits![0]!, 8, 'gets:hits as counted (8 gets, 1 hit)');
  t.ok(first.series.sets![0]! > 0);
  t.equal(first.series.evictions![0], 0);
  data.sample();
  t.same(data.ratesSince(1).series.gets, [0], 'only the sample after `since`');
  t.same(data.ratesSince(2).series.gets, []);
  // A stats reset lowers counters: no negative rate.
  src.store.resetCounters();
  data.sample();
  t.same(data.ratesSince(2).series.gets, [0]);
  t.end();
});

t.test('a pause in watching drops the old history', (t) => {
  const src = makeSources({ maxBytes: 16 * SEG }, { segmentSize: SEG, itemSizeMax: 512 });
  const data = new LiveData(src);
  t.teardown(() => data.stop());
  data.touch(); // baseline sample
  data.sample();
  data.sample();
  t.equal(data.ratesSince(0).series.gets!.length, 2);
  data.stop();
  data.touch(); // watching again: a new baseline, no samples yet
  t.equal(data.ratesSince(0).series.gets!.length, 0);
  data.sample();
  t.equal(data.ratesSince(0).series.gets!.length, 1);
  t.equal(data.ratesSince(0).next, 3, 'sample numbers keep counting');
  t.end();
});

t.test('a store without segment headers: no map, the rest still answers', async (t) => {
  const src = makeSources({ maxBytes: 16 * SEG }, { segmentSize: SEG, itemSizeMax: 512 });
  const real = src.store;
  // Not a segment store: the counters and shape of one, none of its headers.
  const opaque = { counters: real.counters, options: real.options, shape: () => real.shape() } as unknown as CacheStore;
  const server = await startMetricsServer('127.0.0.1:0', { ...src, store: opaque });
  t.teardown(() => server.close());
  const snap = await get(server.port, '/ui/snapshot');
  t.equal(snap.status, 404);
  t.match(snap.body.toString(), /no segment headers/);
  const summary = JSON.parse((await get(server.port, '/ui/summary')).body.toString());
  t.same(summary.buckets, []);
  t.equal(summary.build, null);
  t.equal(summary.memory.liveBytes, null);
  t.equal((await get(server.port, '/ui/segment?id=0')).status, 404);
  t.equal(new LiveData({ ...src, store: opaque }).available, false);
  t.equal(new LiveData(src).available, true);
});
