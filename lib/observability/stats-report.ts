// The `stats` command's groups, rendered as memcached 1.6 names and formats.
//
// Tools parse these lines (memcached_exporter, memcached-tool, libmemcached's
// memstat), so names, order and number formats follow memcached 1.6.18.
// Fields that describe memcached internals we do not have (slab mover, LRU
// maintainer, per-thread buffers) are left out rather than faked; the keys
// tools require to be present are ones we can fill honestly. Segment-store
// facts follow under `segcache_*` names. The caller writes `STAT name value`
// lines and `END` (or `RESET` for the 'reset' group, `ERROR` for null).

import type { CacheStore, Clock, StoreCounters } from '../../segments/types.js';
import type { Settings } from '../cli/settings.js';
import type { ServerCounters } from './server-stats.js';
import type { ConnectionInfo, StatLines } from '../server/context.js';
import type { PrefixStats } from './prefix-stats.js';
import { watchBus } from './watch-bus.js';
import type { CrawlerState } from '../respond/lru-crawler.js';
import { advisorOf } from '../../segments/advisor/advised-store.js';
import { advisorStats } from '../advisor/advisor-stats.js';

export interface StatsSources {
  store: CacheStore;
  /** The store's counters summed over every thread (-t N); `store.counters` when absent. */
  storeCounters?: () => StoreCounters;
  settings: Settings;
  /** With -t N, a view summing every thread's counters. */
  counters: ServerCounters;
  version: string;
  connections(): Iterable<ConnectionInfo>;
  /** Wall clock for `time` and `uptime`; Date.now() when absent (tests inject one). */
  clock?: Clock;
  /** `stats detail` counts (absent: detail answers as if nothing was counted). */
  prefixStats?: PrefixStats;
  /** LRU crawler state for lru_crawler_running / lru_crawler_starts. */
  crawler?: CrawlerState;
}

type Lines = Array<[name: string, value: string]>;

/**
 * Render one `stats` group. `group` is the first word after `stats` ('' for
 * plain stats), `args` the rest of the line. Returns null for a group
 * memcached would answer with ERROR (or one whose reply we cannot give).
 */
export function renderStats(group: string, args: string, src: StatsSources): StatLines {
  switch (group) {
    case '':
      return generalStats(src);
    case 'settings':
      return settingsStats(src.settings, src.store.shape().limitBytes);
    case 'advisor':
      // The sizing advisor's curve (-o advisor); advisor_enabled 0 when off.
      return advisorStats(advisorOf(src.store), src.settings.maxBytes, storeCountersOf(src));
    case 'items':
      // No slab classes: memcached prints nothing per class when none are in use.
      return [];
    case 'slabs':
      return slabsStats(src.store);
    case 'sizes':
      // memcached without -o track_sizes.
      return [['sizes_status', 'disabled']];
    case 'conns':
      return connsStats(src);
    case 'reset':
      src.counters.reset();
      src.store.resetCounters();
      src.prefixStats?.clear();
      return [];
    case 'extstore':
      // memcached built with extstore but not using it answers a bare END.
      return [];
    case 'detail':
      return detailStats(args.split(' ')[0] ?? '', src);
    case 'cachedump':
      // No slab classes hold items, so a well-formed dump is empty.
      return /^\s*\d+\s+\d+\s*$/.test(args) ? [] : 'CLIENT_ERROR bad command line';
    default:
      return null;
  }
}

/**
 * `stats detail on|off|dump`, as memcached: on/off switch per-prefix
 * counting (prefix-stats.ts) and answer OK; dump answers the PREFIX lines
 * and END; anything else the usage line.
 */
function detailStats(mode: string, src: StatsSources): StatLines {
  if (mode === 'on' || mode === 'off') {
    src.settings.detailEnabled = mode === 'on';
    return 'OK';
  }
  if (mode === 'dump') return src.prefixStats ? src.prefixStats.dump() : 'END';
  return 'CLIENT_ERROR usage: stats detail on|off|dump';
}

/** memcached's `rusage_*` format: whole seconds, a dot, six digits of microseconds. */
export function formatRusage(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const frac = Math.floor(micros % 1_000_000);
  return `${whole}.${String(frac).padStart(6, '0')}`;
}

function nowMs(src: StatsSources): number {
  return src.clock ? src.clock.nowMs() : Date.now();
}

/** The store's counters over every thread. */
export function storeCountersOf(src: StatsSources): StoreCounters {
  return src.storeCounters ? src.storeCounters() : src.store.counters;
}

function yesNo(on: boolean): string {
  return on ? 'yes' : 'no';
}

function generalStats(src: StatsSources): Lines {
  const { counters: c, store, settings } = src;
  const s = storeCountersOf(src);
  const shape = store.shape();
  const now = nowMs(src);
  const cpu = process.cpuUsage();
  const segmentsUsed = shape.segmentsTotal - shape.segmentsFree;
  const lines: Lines = [
    ['pid', String(process.pid)],
    ['uptime', String(Math.max(0, Math.floor((now - c.startedAtMs) / 1000)))],
    ['time', String(Math.floor(now / 1000))],
    ['version', src.version],
    // We run on libuv, not libevent; tools print the value, none parse it.
    ['libevent', `libuv-${process.versions.uv}`],
    ['pointer_size', process.arch.endsWith('64') ? '64' : '32'],
    ['rusage_user', formatRusage(cpu.user)],
    ['rusage_system', formatRusage(cpu.system)],
    ['max_connections', String(settings.maxConns)],
    ['curr_connections', String(c.currConnections)],
    ['total_connections', String(c.totalConnections)],
    ['rejected_connections', String(c.rejectedConnections)],
    ['connection_structures', String(c.connectionStructures)],
    ['cmd_get', String(c.cmdGet)],
    ['cmd_set', String(c.cmdSet)],
    ['cmd_flush', String(c.cmdFlush)],
    ['cmd_touch', String(c.cmdTouch)],
    ['cmd_meta', String(c.cmdMeta)],
    ['get_hits', String(s.getHits)],
    ['get_misses', String(s.getMisses)],
    ['get_expired', String(s.getExpired)],
    ['get_flushed', String(s.getFlushed)],
    ['delete_misses', String(s.deleteMisses)],
    ['delete_hits', String(s.deleteHits)],
    ['incr_misses', String(s.incrMisses)],
    ['incr_hits', String(s.incrHits)],
    ['decr_misses', String(s.decrMisses)],
    ['decr_hits', String(s.decrHits)],
    ['cas_misses', String(s.casMisses)],
    ['cas_hits', String(s.casHits)],
    ['cas_badval', String(s.casBadval)],
    ['touch_hits', String(s.touchHits)],
    ['touch_misses', String(s.touchMisses)],
    ['store_too_large', String(s.storeTooLarge)],
    ['store_no_memory', String(s.storeNoMemory)],
    ['auth_cmds', String(c.authCmds)],
    ['auth_errors', String(c.authErrors)],
  ];
  // memcached lists idle_kicks only when -o idle_timeout is on.
  if (settings.idleTimeout > 0) lines.push(['idle_kicks', String(c.idleKicks)]);
  lines.push(
    ['bytes_read', String(c.bytesRead)],
    ['bytes_written', String(c.bytesWritten)],
    ['limit_maxbytes', String(shape.limitBytes)],
    ['accepting_conns', String(c.acceptingConns)],
    ['listen_disabled_num', String(c.listenDisabledNum)],
    // Over -c we answer and close (maxconns_fast) and never stop accepting, so no time is spent disabled.
    ['time_in_listen_disabled_us', '0'],
    ['threads', String(settings.threads)],
    ['conn_yields', String(c.connYields)],
    ['hash_power_level', String(shape.hashPower)],
    ['hash_bytes', String(shape.hashBytes)],
    ['hash_is_expanding', shape.hashIsExpanding ? '1' : '0'],
  );
  // memcached lists the crawler's counters only while it is enabled.
  if (settings.lruCrawler) {
    lines.push(['lru_crawler_running', src.crawler?.running ? '1' : '0'], ['lru_crawler_starts', String(src.crawler?.starts ?? 0)]);
  }
  const logged = watchBus.workerCounts();
  lines.push(
    ['log_worker_dropped', String(logged.dropped)],
    ['log_worker_written', String(logged.written)],
    ['log_watcher_skipped', String(watchBus.skipped)],
    ['log_watcher_sent', String(watchBus.sent)],
    ['log_watchers', String(watchBus.watcherCount)],
    ['bytes', String(s.bytes)],
    ['curr_items', String(s.items)],
    ['total_items', String(s.totalItems)],
    ['expired_unfetched', String(s.expiredUnfetched)],
    ['evicted_unfetched', String(s.evictedUnfetched)],
    ['evictions', String(s.evictions)],
    ['reclaimed', String(s.expiredReclaimed)],
    ['crawler_reclaimed', String(s.crawlerReclaimed)],
    ['crawler_items_checked', String(s.crawlerItemsChecked)],
    // The segment store's own view (Segcache): no memcached equivalent.
    ['segcache_segment_size', String(shape.segmentSize)],
    ['segcache_segments_total', String(shape.segmentsTotal)],
    ['segcache_segments_free', String(shape.segmentsFree)],
    ['segcache_segments_used', String(segmentsUsed)],
    ['segcache_merges', String(s.merges)],
    // Writers that found no free segment and merged themselves (0 while the housekeeper keeps up).
    ['segcache_inline_merges', String(s.inlineMerges)],
    ['segcache_expired_segments', String(s.expiredSegments)],
    ['segcache_hash_load', shape.hashLoad.toFixed(4)],
    ['segcache_bytes_per_item', s.items > 0 ? (s.bytes / s.items).toFixed(1) : '0.0'],
    ['text_requests', String(c.textRequests)],
    ['binary_requests', String(c.binaryRequests)],
    ['meta_requests', String(c.metaRequests)],
    ['request_faults', String(c.requestFaults)],
    // -e warm restart: did this start restore the cache, and how many items.
    ['restart_warm', String(c.restartWarm)],
    ['restart_items_restored', String(c.restartItemsRestored)],
  );
  return lines;
}

const BINDING_PROTOCOL_NAMES: Record<Settings['bindingProtocol'], string> = {
  auto: 'auto-negotiate',
  ascii: 'ascii',
  binary: 'binary',
};

/** `limitBytes`: the store's limit now (cache_memlimit changes it in every thread). */
function settingsStats(st: Settings, limitBytes: number): Lines {
  return [
    ['maxbytes', String(limitBytes)],
    ['maxconns', String(st.maxConns)],
    ['tcpport', String(st.port)],
    ['udpport', String(st.udpPort)],
    ['inter', st.listen.length > 0 ? st.listen.join(',') : 'NULL'],
    ['verbosity', String(st.verbosity)],
    ['evictions', st.evictionPolicy === 'none' ? 'off' : 'on'],
    ['domain_socket', st.unixSocket ?? 'NULL'],
    ['umask', st.unixMask.toString(8)],
    ['shutdown_command', yesNo(st.shutdownEnabled)],
    ['num_threads', String(st.threads)],
    ['stat_key_prefix', st.prefixDelimiter],
    ['detail_enabled', yesNo(st.detailEnabled)],
    ['reqs_per_event', String(st.reqsPerEvent)],
    ['cas_enabled', yesNo(st.casEnabled)],
    ['tcp_backlog', String(st.backlog)],
    ['binding_protocol', BINDING_PROTOCOL_NAMES[st.bindingProtocol]],
    ['auth_enabled_sasl', yesNo(st.saslEnabled)],
    ['auth_enabled_ascii', st.authFile ?? 'no'],
    ['item_size_max', String(st.itemSizeMax)],
    ['maxconns_fast', yesNo(st.maxConnsFast)],
    ['hashpower_init', String(st.hashPowerInit)],
    // The crawler is the store's expiry sweep plus lru_crawler metadump.
    ['lru_crawler', yesNo(st.lruCrawler)],
    ['lru_crawler_sleep', String(st.lruCrawlerSleep)],
    ['lru_crawler_tocrawl', String(st.lruCrawlerTocrawl)],
    ['flush_enabled', yesNo(st.flushEnabled)],
    ['dump_enabled', yesNo(st.dumpEnabled)],
    ['idle_timeout', String(st.idleTimeout)],
    ['watcher_logbuf_size', String(st.watcherLogbufSize)],
    ['worker_logbuf_size', String(st.workerLogbufSize)],
    ['ssl_enabled', yesNo(st.tlsEnabled)],
    ['ssl_chain_cert', st.tlsChainCert ?? '(null)'],
    ['ssl_key', st.tlsKey ?? '(null)'],
    ['ssl_verify_mode', String(st.tlsVerifyMode)],
    ['ssl_ciphers', st.tlsCiphers ?? 'NULL'],
    ['ssl_ca_cert', st.tlsCaCert ?? 'NULL'],
    ['ssl_session_cache', yesNo(st.tlsSessionCache)],
    ['ssl_min_version', st.tlsMinVersion === 'TLSv1' ? 'tlsv1.0' : st.tlsMinVersion.toLowerCase()],
    ['eviction_policy', st.evictionPolicy],
    ['merge_segments', String(st.mergeSegments)],
    ['metrics_listen', st.metricsListen ?? 'NULL'],
  ];
}

function slabsStats(store: CacheStore): Lines {
  const shape = store.shape();
  // No slab classes to list; the segment heap is what is allocated.
  return [
    ['active_slabs', '0'],
    // The heap in circulation: cache_memlimit grows and shrinks it.
    ['total_malloced', String(shape.segmentsTotal * shape.segmentSize)],
  ];
}

function connsStats(src: StatsSources): Lines {
  const lines: Lines = [];
  for (const conn of src.connections()) {
    const prefix = `${conn.id}:`;
    if (conn.udp === true) lines.push([prefix + 'UDP', 'UDP']);
    lines.push([prefix + 'addr', conn.addr]);
    // Listeners and UDP sockets have no listen_addr line in memcached.
    if (conn.state !== 'conn_listening' && conn.udp !== true && conn.listenAddr !== '') lines.push([prefix + 'listen_addr', conn.listenAddr]);
    lines.push([prefix + 'state', conn.state]);
    lines.push([prefix + 'secs_since_last_cmd', String(Math.max(0, Math.floor(conn.secsSinceLastCmd)))]);
  }
  return lines;
}
