// `stats` groups against a real store: memcached 1.6.18's names, order and
// number formats, values that follow the counters the test moves, and the
// groups memcached answers with END, RESET or ERROR.

import t from 'tap';
import { formatRusage, renderStats } from '../../lib/observability/stats-report.js';
import { makeSources, statPairs, statsMap } from './helpers.js';

const k = (s: string): Buffer => Buffer.from(s);

/** memcached 1.6.18's first keys, in its order (the ones every tool prints first). */
const MEMCACHED_HEAD = ['pid', 'uptime', 'time', 'version', 'libevent', 'pointer_size', 'rusage_user', 'rusage_system'];

/** Keys libmemcached's memstat reads (stats.cc). */
const MEMSTAT_KEYS = [
  'pid', 'uptime', 'time', 'version', 'pointer_size', 'rusage_user', 'rusage_system', 'curr_items', 'total_items',
  'bytes', 'curr_connections', 'total_connections', 'connection_structures', 'cmd_get', 'cmd_set', 'get_hits',
  'get_misses', 'evictions', 'bytes_read', 'bytes_written', 'limit_maxbytes', 'threads',
];

/** Keys memcached_exporter turns into metrics from `stats`; it parses each as a float. */
const EXPORTER_NUMERIC_KEYS = [
  'uptime', 'time', 'get_hits', 'get_misses', 'delete_hits', 'delete_misses', 'incr_hits', 'incr_misses', 'decr_hits',
  'decr_misses', 'cas_hits', 'cas_misses', 'cas_badval', 'touch_hits', 'touch_misses', 'cmd_flush', 'cmd_set', 'bytes',
  'limit_maxbytes', 'curr_items', 'total_items', 'bytes_read', 'bytes_written', 'curr_connections', 'total_connections',
  'rejected_connections', 'conn_yields', 'listen_disabled_num', 'evictions', 'reclaimed', 'store_too_large',
  'store_no_memory', 'accepting_conns',
];

t.test('general stats: memcached names, order and single-token values', async (t) => {
  const src = makeSources();
  const lines = statPairs('', src);
  t.same(lines.slice(0, MEMCACHED_HEAD.length).map(([name]) => name), MEMCACHED_HEAD);
  const names = lines.map(([name]) => name);
  t.equal(new Set(names).size, names.length, 'no duplicate keys');
  for (const [name, value] of lines) {
    t.match(name, /^[a-z_0-9]+$/, `name ${name}`);
    t.match(value, /^\S+$/, `${name} value has no spaces`);
  }
  const map = new Map(lines);
  for (const key of MEMSTAT_KEYS) t.ok(map.has(key), `memstat key ${key}`);
  for (const key of EXPORTER_NUMERIC_KEYS) t.ok(Number.isFinite(Number(map.get(key))), `exporter key ${key} = ${map.get(key)}`);
  t.equal(map.get('pid'), String(process.pid));
  t.equal(map.get('version'), '1.6.18-grow-a-cache-test');
  t.match(map.get('pointer_size'), /^(32|64)$/);
  t.match(map.get('rusage_user'), /^\d+\.\d{6}$/);
  t.match(map.get('rusage_system'), /^\d+\.\d{6}$/);
  t.equal(map.get('limit_maxbytes'), String(4 * 1024 * 1024));
  t.equal(map.get('max_connections'), '1024');
  t.equal(map.get('threads'), '4');
  t.equal(map.get('accepting_conns'), '1');
  // memcached's names for events our design never has are a true 0; those
  // memcached prints only with its LRU maintainer (which we do not have) are absent.
  for (const zero of ['slab_reassign_rescues', 'slabs_moved', 'slab_global_page_pool', 'lrutail_reflocked', 'malloc_fails']) t.equal(map.get(zero), '0', zero);
  for (const absent of ['lru_maintainer_juggles', 'moves_to_cold', 'segcache_inline_merges', 'text_requests']) t.notOk(map.has(absent), absent);
});

t.test('uptime and time follow the clock', async (t) => {
  const src = makeSources();
  src.clock.ms = src.counters.startedAtMs + 42_900;
  const map = statsMap('', src);
  t.equal(map.get('uptime'), '42');
  t.equal(map.get('time'), String(Math.floor(src.clock.ms / 1000)));
});

t.test('rusage is seconds, a dot and six digits of microseconds', async (t) => {
  t.equal(formatRusage(0), '0.000000');
  t.equal(formatRusage(15_645), '0.015645');
  t.equal(formatRusage(1_500_000), '1.500000');
  t.equal(formatRusage(12_000_001), '12.000001');
});

t.test('store and server counters show up under memcached names', async (t) => {
  const src = makeSources();
  const { store, counters } = src;
  t.equal(store.store('set', k('a'), k('hello'), 0, 0, 0), 'stored');
  t.equal(store.store('set', k('b'), k('world!'), 0, 0, 0), 'stored');
  t.equal(store.store('set', k('a'), k('again'), 0, 0, 0), 'stored');
  t.not(store.get(k('a')), -1);
  t.equal(store.get(k('nope')), -1);
  t.equal(store.get(k('nope2')), -1);
  t.equal(store.delete(k('b'), 0), 'deleted');
  t.equal(store.delete(k('b'), 0), 'not_found');
  t.equal(store.touch(k('a'), 100), 'touched');
  t.equal(store.touch(k('zz'), 100), 'not_found');
  t.equal(store.store('set', k('n'), k('5'), 0, 0, 0), 'stored');
  t.equal(store.arith(k('n'), true, 2n, undefined, 0, 0), 'ok');
  t.equal(store.arith(k('missing'), false, 2n, undefined, 0, 0), 'not_found');
  counters.cmdGet = 3;
  counters.cmdSet = 4;
  counters.cmdTouch = 2;
  counters.currConnections = 2;
  counters.totalConnections = 7;
  counters.bytesRead = 1234;
  counters.bytesWritten = 5678;
  counters.authCmds = 1;
  counters.authErrors = 1;

  const map = statsMap('', src);
  const want: Record<string, string> = {
    get_hits: '1',
    get_misses: '2',
    delete_hits: '1',
    delete_misses: '1',
    touch_hits: '1',
    touch_misses: '1',
    incr_hits: '1',
    decr_misses: '1',
    curr_items: '2',
    cmd_get: '3',
    cmd_set: '4',
    cmd_touch: '2',
    curr_connections: '2',
    total_connections: '7',
    bytes_read: '1234',
    bytes_written: '5678',
    auth_cmds: '1',
    auth_errors: '1',
  };
  for (const [name, value] of Object.entries(want)) t.equal(map.get(name), value, name);
  t.ok(Number(map.get('total_items')) >= 4, 'total_items counts every store');
  const bytes = Number(map.get('bytes'));
  t.ok(bytes >= 'a'.length + 'again'.length + 'n'.length + 1, 'bytes counts live items');
  t.equal(statsMap('segcache', src).get('segcache_bytes_per_item'), (bytes / 2).toFixed(1));
});

t.test('segment store fields describe the heap and hash table', async (t) => {
  const src = makeSources({ maxBytes: 8 * 1024 * 1024 });
  const map = new Map([...statsMap('', src), ...statsMap('segcache', src)]);
  const shape = src.store.shape();
  t.equal(map.get('segcache_segment_size'), String(shape.segmentSize));
  t.equal(map.get('segcache_segments_total'), String(shape.segmentsTotal));
  t.equal(Number(map.get('segcache_segments_free')) + Number(map.get('segcache_segments_used')), shape.segmentsTotal);
  t.equal(map.get('hash_power_level'), String(shape.hashPower));
  t.equal(map.get('hash_bytes'), String(shape.hashBytes));
  t.equal(map.get('hash_is_expanding'), shape.hashIsExpanding ? '1' : '0');
  t.match(map.get('segcache_hash_load'), /^\d+\.\d{4}$/);
  t.equal(map.get('segcache_bytes_per_item'), '0.0', 'empty store');
  t.equal(map.get('segcache_merges'), '0');
  t.equal(map.get('segcache_segments_dropped'), '0');
  t.equal(map.get('segcache_expired_segments'), '0');

  // Filling segments moves segments from free to used.
  for (let i = 0; i < 2000; i++) src.store.store('set', k(`key-${i}`), Buffer.alloc(1000, 1), 0, 0, 0);
  const after = statsMap('segcache', src);
  t.ok(Number(after.get('segcache_segments_used')) > Number(map.get('segcache_segments_used')));
  t.not(after.get('segcache_hash_load'), map.get('segcache_hash_load'));
});

t.test('stats settings: memcached names and value spellings', async (t) => {
  const defaults = statsMap('settings', makeSources({ port: 11211 }));
  const want: Record<string, string> = {
    maxbytes: String(4 * 1024 * 1024),
    maxconns: '1024',
    tcpport: '11211',
    udpport: '0',
    inter: '127.0.0.1',
    verbosity: '0',
    evictions: 'on',
    domain_socket: 'NULL',
    umask: '700',
    shutdown_command: 'no',
    num_threads: '4',
    detail_enabled: 'no',
    reqs_per_event: '20',
    cas_enabled: 'yes',
    tcp_backlog: '1024',
    binding_protocol: 'auto-negotiate',
    auth_enabled_sasl: 'no',
    auth_enabled_ascii: 'no',
    item_size_max: '1048576',
    maxconns_fast: 'yes',
    hashpower_init: '0',
    lru_crawler: 'yes',
    lru_crawler_sleep: '100',
    lru_crawler_tocrawl: '0',
    flush_enabled: 'yes',
    idle_timeout: '0',
    ssl_enabled: 'no',
    ssl_chain_cert: '(null)',
    ssl_key: '(null)',
    ssl_verify_mode: '0',
    ssl_ca_cert: 'NULL',
  };
  for (const [name, value] of Object.entries(want)) t.equal(defaults.get(name), value, name);

  const changed = statsMap(
    'settings',
    makeSources({
      evictionPolicy: 'none',
      shutdownEnabled: true,
      unixSocket: '/tmp/mc.sock',
      unixMask: 0o755,
      listen: ['10.0.0.1', '10.0.0.2'],
      bindingProtocol: 'binary',
      casEnabled: false,
      saslEnabled: true,
      authFile: '/etc/mc-auth',
      tlsEnabled: true,
      tlsChainCert: '/c.pem',
      flushEnabled: false,
      verbosity: 2,
      metricsListen: '127.0.0.1:9150',
      mergeSegments: 2,
    }),
  );
  const wantChanged: Record<string, string> = {
    evictions: 'off',
    shutdown_command: 'yes',
    domain_socket: '/tmp/mc.sock',
    umask: '755',
    inter: '10.0.0.1,10.0.0.2',
    binding_protocol: 'binary',
    cas_enabled: 'no',
    auth_enabled_sasl: 'yes',
    auth_enabled_ascii: '/etc/mc-auth',
    ssl_enabled: 'yes',
    ssl_chain_cert: '/c.pem',
    flush_enabled: 'no',
    verbosity: '2',
    eviction_policy: 'none',
    merge_segments: '2',
    metrics_listen: '127.0.0.1:9150',
  };
  for (const [name, value] of Object.entries(wantChanged)) t.equal(changed.get(name), value, name);
  t.equal(statsMap('settings', makeSources({ listen: [] })).get('inter'), 'NULL');
  t.equal(statsMap('settings', makeSources({ bindingProtocol: 'ascii' })).get('binding_protocol'), 'ascii');
  // memcached prints its unset strings as (null); restart.t reads memory_file.
  t.equal(statsMap('settings', makeSources()).get('memory_file'), '(null)');
  t.equal(statsMap('settings', makeSources({ memoryFile: '/tmp/mc.image' })).get('memory_file'), '/tmp/mc.image');
  t.equal(statsMap('settings', makeSources()).get('num_napi_ids'), '(null)');
});

t.test('items, slabs and sizes: one series per memcached slab class, never ERROR', async (t) => {
  const src = makeSources();
  t.same(renderStats('items', '', src), [], 'no class has held an item yet');
  const totals = [
    ['active_slabs', '0'],
    ['total_malloced', '0'],
  ];
  t.same(renderStats('slabs', '', src), totals, 'nothing written: nothing malloced, as a fresh memcached');
  src.store.store('set', k('x'), k('y'), 0, 0, 0);
  src.store.store('set', k('big'), Buffer.alloc(3000), 0, 0, 0);
  src.clock.ms += 5000;
  src.store.get(k('x'));
  const items = statsMap('items', src);
  t.same(
    [...items.keys()].filter((n) => n.startsWith('items:1:')).map((n) => n.slice(8)),
    ['number', 'age', 'mem_requested', 'evicted', 'evicted_nonzero', 'evicted_time', 'outofmemory', 'tailrepairs', 'reclaimed', 'expired_unfetched', 'evicted_unfetched', 'crawler_reclaimed', 'crawler_items_checked', 'lrutail_reflocked'],
    "memcached's names, in its order (LRU maintainer off)",
  );
  t.equal(items.get('items:1:number'), '1');
  t.equal(items.get('items:17:number'), '1', 'a 3000-byte value is in class 17, as memcached puts it');
  t.equal(items.get('items:1:age'), '5', 'seconds since its segment was opened');
  t.equal(Number(items.get('items:1:mem_requested')) + Number(items.get('items:17:mem_requested')), src.store.counters.bytes, 'our record bytes, summing to bytes');
  const slabs = statsMap('slabs', src);
  t.equal(slabs.get('1:chunk_size'), '96');
  t.equal(slabs.get('17:chunk_size'), '3632');
  t.equal(slabs.get('1:used_chunks'), '1');
  t.equal(slabs.get('1:total_pages'), '1', 'one segment holds its record');
  t.equal(slabs.get('1:get_hits'), '1');
  t.equal(slabs.get('17:get_hits'), '0');
  t.equal(slabs.get('active_slabs'), '2');
  t.equal(slabs.get('total_malloced'), '4096', 'both records in one segment: its first page');
  t.same(renderStats('sizes', '', src), [['sizes_status', 'disabled']]);
  // memcached ignores arguments after these groups.
  t.same(renderStats('items', 'extra', src), renderStats('items', '', src));
  t.same(renderStats('slabs', '1', src), renderStats('slabs', '', src));
});

t.test('stats conns: one block per connection, listeners without listen_addr', async (t) => {
  const src = makeSources();
  src.conns.push(
    { id: 23, addr: 'tcp:127.0.0.1:11211', listenAddr: '', state: 'conn_listening', secsSinceLastCmd: 5 },
    { id: 24, addr: 'tcp:127.0.0.1:58930', listenAddr: 'tcp:127.0.0.1:11211', state: 'conn_parse_cmd', secsSinceLastCmd: 0.7 },
  );
  t.same(renderStats('conns', '', src), [
    ['23:addr', 'tcp:127.0.0.1:11211'],
    ['23:state', 'conn_listening'],
    ['23:secs_since_last_cmd', '5'],
    ['24:addr', 'tcp:127.0.0.1:58930'],
    ['24:listen_addr', 'tcp:127.0.0.1:11211'],
    ['24:state', 'conn_parse_cmd'],
    ['24:secs_since_last_cmd', '0'],
  ]);
  src.conns.length = 0;
  t.same(renderStats('conns', '', src), []);
});

t.test('stats reset zeroes counters but not gauges', async (t) => {
  const src = makeSources();
  src.store.store('set', k('a'), k('1'), 0, 0, 0);
  src.store.get(k('a'));
  src.store.get(k('b'));
  src.counters.cmdGet = 2;
  src.counters.totalConnections = 5;
  src.counters.currConnections = 1;
  t.same(renderStats('reset', '', src), []);
  const map = statsMap('', src);
  for (const name of ['get_hits', 'get_misses', 'cmd_get', 'total_connections']) t.equal(map.get(name), '0', name);
  t.equal(map.get('curr_items'), '1', 'items stay');
  t.equal(map.get('curr_connections'), '1', 'open connections stay');
});

t.test('other groups answer as memcached 1.6.18 does where we can', async (t) => {
  const src = makeSources();
  t.equal(renderStats('foo', '', src), null, 'unknown group: ERROR');
  t.equal(renderStats('SETTINGS', '', src), null, 'groups are case-sensitive');
  t.same(renderStats('detail', 'dump', src), 'END', 'nothing counted: a bare END');
  t.equal(renderStats('detail', 'on', src), 'OK', 'detail on/off answer OK as memcached');
  t.equal(renderStats('detail', 'off', src), 'OK');
  t.equal(renderStats('detail', '', src), 'CLIENT_ERROR usage: stats detail on|off|dump');
  t.same(renderStats('cachedump', '1 10', src), [], 'no slab class holds items');
  t.equal(renderStats('cachedump', '', src), 'CLIENT_ERROR bad command line');
  t.equal(renderStats('cachedump', 'x y', src), 'CLIENT_ERROR bad command line');
  t.same(renderStats('extstore', '', src), [], 'no extstore: bare END');
});

t.test('idle_kicks is listed only with an idle timeout, as memcached does', async (t) => {
  t.notOk(statsMap('', makeSources()).has('idle_kicks'));
  const src = makeSources({ idleTimeout: 30 });
  src.counters.idleKicks = 3;
  const lines = statPairs('', src);
  const at = lines.findIndex(([name]) => name === 'idle_kicks');
  t.same(lines[at], ['idle_kicks', '3']);
  t.equal(lines[at - 1]![0], 'auth_errors', 'after auth_errors');
  t.equal(lines[at + 1]![0], 'bytes_read', 'before bytes_read');
});
