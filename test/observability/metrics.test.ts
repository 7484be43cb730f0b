// The /metrics endpoint: memcached_exporter's names fed from the same
// counters as `stats`, segment-store and Node process metrics, output that
// `promtool check metrics` accepts, and the small HTTP surface around it.

import t from 'tap';
import http from 'node:http';
import { createCacheRegistry, parseListenAddress, startMetricsServer } from '../../lib/observability/metrics.js';
import { renderStats } from '../../lib/observability/stats-report.js';
import { makeSources, run, statsMap } from './helpers.js';
import { needs, peerCommand } from '../peers.js';

const k = (s: string): Buffer => Buffer.from(s);

/** GET (or another method) on the loopback endpoint. */
function request(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Parse the text exposition format into `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** memcached_exporter metric names whose meaning we share. */
const EXPORTER_NAMES = [
  'memcached_up', 'memcached_version', 'memcached_uptime_seconds', 'memcached_time_seconds',
  'memcached_process_user_cpu_seconds_total', 'memcached_process_system_cpu_seconds_total', 'memcached_commands_total',
  'memcached_read_bytes_total', 'memcached_written_bytes_total', 'memcached_current_connections',
  'memcached_max_connections', 'memcached_connections_total', 'memcached_connections_rejected_total',
  'memcached_connections_yielded_total', 'memcached_connections_listener_disabled_total',
  'memcached_accepting_connections', 'memcached_current_bytes', 'memcached_limit_bytes', 'memcached_current_items',
  'memcached_malloced_bytes', 'memcached_items_total', 'memcached_items_evicted_total', 'memcached_items_reclaimed_total',
  'memcached_item_too_large_total', 'memcached_item_no_memory_total',
];

t.test('/metrics serves the cache, store and process metrics', async (t) => {
  const src = makeSources();
  const server = await startMetricsServer('127.0.0.1:0', src);
  t.teardown(() => server.close());

  src.store.store('set', k('a'), k('hello'), 0, 0, 0);
  src.store.store('set', k('b'), k('hello'), 0, 0, 0);
  src.store.get(k('a'));
  for (let i = 0; i < 3; i++) src.store.get(k('missing'));
  src.store.store('cas', k('a'), k('x'), 0, 0, 12345);
  src.counters.cmdSet = 3;
  src.counters.cmdGet = 4;
  src.counters.currConnections = 2;
  src.counters.bytesRead = 999;
  src.counters.textRequests = 9;

  const res = await request(server.port, '/metrics');
  t.equal(res.status, 200);
  t.equal(res.type, 'text/plain; version=0.0.4; charset=utf-8');
  const types = new Set([...res.body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  for (const name of EXPORTER_NAMES) t.ok(types.has(name), name);
  for (const name of ['memcached_segcache_segments_free', 'memcached_segcache_heap_segments', 'memcached_segcache_merge_evictions_total', 'memcached_segcache_segments_dropped_total', 'memcached_segcache_expired_segments_total'])
    t.ok(types.has(name), name);
  for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes'])
    t.ok(types.has(name), `process metric ${name}`);
  t.notOk([...types].some((n) => n?.startsWith('memcached_slab_')), 'no slab series');

  const v = samples(res.body);
  const stats = statsMap('', src);
  t.equal(v.get('memcached_up'), 1);
  t.equal(v.get('memcached_version{version="1.6.18-grow-a-cache-test"}'), 1);
  t.equal(v.get('memcached_commands_total{command="get",status="hit"}'), 1);
  t.equal(v.get('memcached_commands_total{command="get",status="miss"}'), 3);
  for (const [status, key] of [['hit', 'cas_hits'], ['miss', 'cas_misses'], ['badval', 'cas_badval']] as const)
    t.equal(v.get(`memcached_commands_total{command="cas",status="${status}"}`), Number(stats.get(key)), key);
  const casTotal = Number(stats.get('cas_hits')) + Number(stats.get('cas_misses')) + Number(stats.get('cas_badval'));
  t.equal(casTotal, 1, 'the cas counted once');
  t.equal(v.get('memcached_commands_total{command="set",status="hit"}'), 3 - casTotal, 'set = cmd_set - cas, as the exporter computes');
  t.equal(v.get('memcached_current_items'), Number(stats.get('curr_items')));
  t.equal(v.get('memcached_current_bytes'), Number(stats.get('bytes')));
  t.equal(v.get('memcached_items_total'), Number(stats.get('total_items')));
  t.equal(v.get('memcached_current_connections'), 2);
  t.equal(v.get('memcached_read_bytes_total'), 999);
  t.equal(v.get('memcached_limit_bytes'), 4 * 1024 * 1024);
  t.equal(v.get('memcached_max_connections'), 1024);
  t.equal(v.get('memcached_requests_total{protocol="text"}'), 9);
  t.equal(v.get('memcached_segcache_heap_segments'), Number(statsMap('segcache', src).get('segcache_segments_total')));
  t.equal(v.get('memcached_segcache_segments_free'), Number(statsMap('segcache', src).get('segcache_segments_free')));
  t.equal(v.get('memcached_malloced_bytes'), Number(statsMap('slabs', src).get('total_malloced')));

  // Counters are read at scrape time: a later scrape sees later values.
  src.store.get(k('missing'));
  const again = samples((await request(server.port, '/metrics')).body);
  t.equal(again.get('memcached_commands_total{command="get",status="miss"}'), 4);
});

t.test('promtool check metrics accepts the output', needs('promtool'), async (t) => {
  const src = makeSources();
  src.store.store('set', k('a'), k('1'), 0, 0, 0);
  const server = await startMetricsServer('127.0.0.1:0', src);
  t.teardown(() => server.close());
  const { body } = await request(server.port, '/metrics');
  const checked = await run(peerCommand('promtool'), ['check', 'metrics'], body);
  t.equal(checked.code, 0, checked.stdout + checked.stderr);
  t.equal(checked.stdout + checked.stderr, '', 'no lint findings');
});

t.test('each server has its own registry; two can run in one process', async (t) => {
  const one = makeSources();
  const two = makeSources();
  const a = await startMetricsServer('127.0.0.1:0', one);
  const b = await startMetricsServer('127.0.0.1:0', two);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  one.counters.bytesWritten = 11;
  two.counters.bytesWritten = 22;
  t.equal(samples((await request(a.port, '/metrics')).body).get('memcached_written_bytes_total'), 11);
  t.equal(samples((await request(b.port, '/metrics')).body).get('memcached_written_bytes_total'), 22);
  // A registry can also be rendered without HTTP.
  t.match(await createCacheRegistry(one).metrics(), /^memcached_written_bytes_total 11$/m);
});

t.test('a stats reset shows as a counter reset', async (t) => {
  const src = makeSources();
  const registry = createCacheRegistry(src);
  src.store.get(k('nope'));
  t.match(await registry.metrics(), /^memcached_commands_total\{command="get",status="miss"\} 1$/m);
  renderStats('reset', '', src);
  t.match(await registry.metrics(), /^memcached_commands_total\{command="get",status="miss"\} 0$/m);
});

t.test('HTTP surface: /, 404, 405, HEAD', async (t) => {
  const server = await startMetricsServer('127.0.0.1:0', makeSources());
  t.teardown(() => server.close());
  const root = await request(server.port, '/');
  t.equal(root.status, 200);
  t.match(root.body, '/metrics');
  t.equal((await request(server.port, '/nope')).status, 404);
  t.equal((await request(server.port, '/metrics', 'POST')).status, 405);
  const head = await request(server.port, '/metrics', 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body, '');
  t.equal((await request(server.port, '/metrics?x=1')).status, 200, 'query strings are ignored');
});

t.test('close() stops listening', async (t) => {
  const server = await startMetricsServer('127.0.0.1:0', makeSources());
  await server.close();
  await t.rejects(request(server.port, '/metrics'));
});

t.test('a busy port is an error, not a crash', async (t) => {
  const first = await startMetricsServer('127.0.0.1:0', makeSources());
  t.teardown(() => first.close());
  await t.rejects(startMetricsServer(`127.0.0.1:${first.port}`, makeSources()), { code: 'EADDRINUSE' });
});

t.test('listen addresses', async (t) => {
  t.same(parseListenAddress('127.0.0.1:9150'), { host: '127.0.0.1', port: 9150 });
  t.same(parseListenAddress(':9150'), { host: undefined, port: 9150 });
  t.same(parseListenAddress('[::1]:9150'), { host: '::1', port: 9150 });
  t.same(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
  for (const bad of ['9150', '127.0.0.1', '127.0.0.1:99999', 'host:port', '::1:9150', ''])
    t.throws(() => parseListenAddress(bad), /invalid metrics listen address/, bad);
});
