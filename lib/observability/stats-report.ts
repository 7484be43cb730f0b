// The `stats` command's groups, rendered as memcached 1.6 names and formats.
//
// Tools parse these lines (memcached_exporter, memcached-tool, libmemcached's
// memstat), so names, order and number formats follow memcached 1.6.18: the
// general `stats` has exactly memcached's names (its own t/stats.t counts
// them). Where a name counts an event of memcached's design that cannot
// happen in ours (slab mover, refcount-locked LRU tails, NAPI-id thread
// selection) the value is a true 0, said so beside it; where we have the
// thing (read buffers) it is our real figure. The segment store's own facts
// and our per-protocol counters are in `stats segcache`, a group memcached
// does not have. The caller writes `STAT name value` lines and `END` (or
// `RESET` for the 'reset' group, `ERROR` for null).

import type { CacheStore, Clock, StoreCounters } from '../../segments/types.js';
import type { Settings } from '../cli/settings.js';
import type { ServerCounters } from './server-stats.js';
import type { ConnectionInfo, StatLines } from '../server/context.js';
import type { PrefixStats } from './prefix-stats.js';
import { watchBus } from './watch-bus.js';
import type { CrawlerState } from '../respond/lru-crawler.js';
import { advisorOf } from '../../segments/advisor/advised-store.js';
import { advisorStats } from '../advisor/advisor-stats.js';
import { chunkSizeOf } from '../../segments/slab-classes.js';

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
  /** -Z: when the certificate in use was read, unix ms (time_since_server_cert_refresh). */
  tlsCertsLoadedAtMs?: () => number;
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
    case 'segcache':
      return segcacheStats(src);
    case 'settings':
      return settingsStats(src.settings, src.store.shape().limitBytes);
    case 'advisor':
      // The sizing advisor's curve (-o advisor); advisor_enabled 0 when off.
      return advisorStats(advisorOf(src.store), src.settings.maxBytes, storeCountersOf(src));
    case 'items':
      return itemsStats(src);
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
    // Replies are written straight into the socket's buffers: there are no
    // response objects to count, and none fails to be allocated.
    ['response_obj_oom', '0'],
    ['response_obj_count', '0'],
    ['response_obj_bytes', '0'],
    // Real: connection input buffers held now (input-buffer.ts). None sit in
    // a free pool, and there is no read-buffer memory limit to run out of.
    ['read_buf_count', String(c.readBufCount)],
    ['read_buf_bytes', String(c.readBufBytes)],
    ['read_buf_bytes_free', '0'],
    ['read_buf_oom', '0'],
    // -c counts client connections only: no descriptors are held back from it.
    ['reserved_fds', '0'],
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
    // No slab classes, so no slab mover: nothing is ever reassigned or moved.
    ['slab_reassign_rescues', '0'],
    ['slab_reassign_chunk_rescues', '0'],
    ['slab_reassign_evictions_nomem', '0'],
    ['slab_reassign_inline_reclaim', '0'],
    ['slab_reassign_busy_items', '0'],
    ['slab_reassign_busy_deletes', '0'],
    ['slab_reassign_running', '0'],
    ['slabs_moved', '0'],
  );
  // memcached lists the crawler's counters only while it is enabled.
  if (settings.lruCrawler) {
    lines.push(['lru_crawler_running', src.crawler?.running ? '1' : '0'], ['lru_crawler_starts', String(src.crawler?.starts ?? 0)]);
  }
  const logged = watchBus.workerCounts();
  lines.push(
    // Items live in segments reserved whole; no allocation is made per item that could fail.
    ['malloc_fails', '0'],
    ['log_worker_dropped', String(logged.dropped)],
    ['log_worker_written', String(logged.written)],
    ['log_watcher_skipped', String(watchBus.skipped)],
    ['log_watcher_sent', String(watchBus.sent)],
    ['log_watchers', String(watchBus.watcherCount)],
  );
  // memcached's TLS figures, only under -Z. Not ssl_new_sessions (which it
  // lists with ssl_session_cache): sessions resume here by ticket only, and
  // there is no server-side session cache whose additions it would count.
  if (settings.tlsEnabled) {
    const loadedAt = src.tlsCertsLoadedAtMs?.() ?? c.startedAtMs;
    lines.push(
      ['ssl_handshake_errors', String(c.sslHandshakeErrors)],
      ['time_since_server_cert_refresh', String(Math.max(0, Math.floor((now - loadedAt) / 1000)))],
    );
  }
  lines.push(
    // No NAPI-id thread selection (memcached's -N): connections go round robin.
    ['unexpected_napi_ids', '0'],
    ['round_robin_fallback', '0'],
    ['bytes', String(s.bytes)],
    ['curr_items', String(s.items)],
    ['total_items', String(s.totalItems)],
    // Segments never belong to a slab class, so none returns to a global page pool.
    ['slab_global_page_pool', '0'],
    ['expired_unfetched', String(s.expiredUnfetched)],
    ['evicted_unfetched', String(s.evictedUnfetched)],
    ['evictions', String(s.evictions)],
    ['reclaimed', String(s.expiredReclaimed)],
    ['crawler_reclaimed', String(s.crawlerReclaimed)],
    ['crawler_items_checked', String(s.crawlerItemsChecked)],
    // Readers never pin an item with a reference count, so no LRU tail is ever found locked.
    ['lrutail_reflocked', '0'],
  );
  return lines;
}

/**
 * `stats segcache`: the segment store's own view (Segcache) and our
 * per-protocol counters, none of which memcached has. Kept out of the
 * general `stats` so that one has memcached's names exactly.
 */
function segcacheStats(src: StatsSources): Lines {
  const c = src.counters;
  const s = storeCountersOf(src);
  const shape = src.store.shape();
  return [
    ['segcache_segment_size', String(shape.segmentSize)],
    ['segcache_segments_total', String(shape.segmentsTotal)],
    ['segcache_segments_free', String(shape.segmentsFree)],
    ['segcache_segments_used', String(shape.segmentsTotal - shape.segmentsFree)],
    // Free segments the housekeeper keeps ahead of writers (1/32 of the heap, 2 to 64; 1 below 64 segments; 0 with -M).
    ['segcache_reserve_segments', String(shape.reserveSegments)],
    ['segcache_merges', String(s.merges)],
    // Segments evicted whole, oldest first: runs nothing had read (set-only loads), so there was nothing to rank.
    ['segcache_segments_dropped', String(s.segmentsDropped)],
    // Writers that found no free segment and merged themselves (0 while the housekeeper keeps up).
    ['segcache_inline_merges', String(s.inlineMerges)],
    ['segcache_expired_segments', String(s.expiredSegments)],
    // 1 once the housekeeping thread runs (a server listens only after that); 0 when writers evict inline.
    ['segcache_housekeeper', shape.housekeeperStarted ? '1' : '0'],
    // The housekeeper's pace ratio: it rests this many times each step's time; 0 = flat out (cores to spare).
    ['segcache_housekeeper_pace', String(shape.housekeeperPace)],
    ['segcache_hash_load', shape.hashLoad.toFixed(4)],
    ['segcache_bytes_per_item', s.items > 0 ? (s.bytes / s.items).toFixed(1) : '0.0'],
    ['text_requests', String(c.textRequests)],
    ['binary_requests', String(c.binaryRequests)],
    ['meta_requests', String(c.metaRequests)],
    ['request_faults', String(c.requestFaults)],
    // -e warm restart: did this start restore the cache, and how many items.
    ['restart_warm', String(c.restartWarm)],
    ['restart_items_restored', String(c.restartItemsRestored)],
  ];
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
    // OpenSSL's PEM file type: the only key format accepted (-o ssl_keyformat=1).
    ['ssl_keyformat', '1'],
    ['ssl_ciphers', st.tlsCiphers ?? 'NULL'],
    ['ssl_ca_cert', st.tlsCaCert ?? 'NULL'],
    ['ssl_session_cache', yesNo(st.tlsSessionCache)],
    // Never: -Z with ssl_kernel_tls is refused at start.
    ['ssl_kernel_tls', 'no'],
    ['ssl_min_version', st.tlsMinVersion === 'TLSv1' ? 'tlsv1.0' : st.tlsMinVersion.toLowerCase()],
    // No -N (NAPI ids): unset, printed as memcached prints its unset string.
    ['num_napi_ids', '(null)'],
    // -e / -o memory_file: the warm-restart image.
    ['memory_file', st.memoryFile ?? '(null)'],
    ['eviction_policy', st.evictionPolicy],
    ['merge_segments', String(st.mergeSegments)],
    ['metrics_listen', st.metricsListen ?? 'NULL'],
  ];
}

// ---- stats items / stats slabs, per memcached slab class ----------------
//
// Nothing is allocated by class here: items of every size share segments.
// Each item is counted under the class memcached would give it (the `cls=`
// of `me` and metadump; segments/slab-classes.ts), so the per-class tables
// tools read hold our real figures. Names and order are memcached 1.6.18's
// with its LRU maintainer off (items.c item_stats, slabs.c do_slabs_stats),
// as our general `stats` is: we have no HOT/WARM/COLD LRU segments, so
// number_hot/warm/cold, age_hot/warm, evicted_active, moves_* and hits_to_*
// are left out rather than shown as zeros.

/** `stats items`: `items:<class>:<name>` for each class holding live items. */
function itemsStats(src: StatsSources): Lines {
  const nowS = Math.floor(nowMs(src) / 1000);
  const lines: Lines = [];
  for (const c of src.store.slabClasses()) {
    if (c.items <= 0) continue;
    const p = `items:${c.cls}:`;
    lines.push(
      [p + 'number', String(c.items)],
      // Seconds since the oldest segment holding the class's records was
      // opened: the oldest item was written no earlier (memcached: since
      // its LRU tail was last read).
      [p + 'age', String(c.oldestSegmentS < 0 ? 0 : Math.max(0, nowS - Math.floor(c.oldestSegmentS)))],
      // Bytes our records of the class take (headers included; sums to `bytes`).
      [p + 'mem_requested', String(c.bytes)],
      [p + 'evicted', String(c.evicted)],
      [p + 'evicted_nonzero', String(c.evictedNonzero)],
      [p + 'evicted_time', String(c.evictedTime)],
      // Sets of the class refused for want of memory (-M, or nothing left to evict).
      [p + 'outofmemory', String(c.outOfMemory)],
      // No reference counts, so no leaked LRU tail to repair or find locked.
      [p + 'tailrepairs', '0'],
      [p + 'reclaimed', String(c.reclaimed)],
      [p + 'expired_unfetched', String(c.expiredUnfetched)],
      [p + 'evicted_unfetched', String(c.evictedUnfetched)],
      [p + 'crawler_reclaimed', String(c.crawlerReclaimed)],
      [p + 'crawler_items_checked', String(c.crawlerItemsChecked)],
      [p + 'lrutail_reflocked', '0'],
    );
  }
  return lines;
}

/**
 * `stats slabs`: `<class>:<name>` for each class with live items or
 * records in segments in use, then active_slabs and total_malloced.
 */
function slabsStats(store: CacheStore): Lines {
  const lines: Lines = [];
  const classes = store.slabClasses();
  for (const c of classes) {
    const p = `${c.cls}:`;
    lines.push(
      [p + 'chunk_size', String(chunkSizeOf(c.cls))],
      // A segment holds records of every class, each exactly its size: no
      // class has a number of chunks per page.
      [p + 'chunks_per_page', '0'],
      // Our pages are segments: those in use holding records (live or not
      // yet reclaimed) of the class. One segment counts in every class it holds.
      [p + 'total_pages', String(c.segments)],
      // A chunk is a record written to its exact size: every one is used,
      // none waits free in the class.
      [p + 'total_chunks', String(c.items)],
      [p + 'used_chunks', String(c.items)],
      [p + 'free_chunks', '0'],
      // Dead in memcached too (always 0 there).
      [p + 'free_chunks_end', '0'],
      [p + 'get_hits', String(c.getHits)],
      [p + 'cmd_set', String(c.cmdSet)],
      [p + 'delete_hits', String(c.deleteHits)],
      [p + 'incr_hits', String(c.incrHits)],
      [p + 'decr_hits', String(c.decrHits)],
      [p + 'cas_hits', String(c.casHits)],
      [p + 'cas_badval', String(c.casBadval)],
      [p + 'touch_hits', String(c.touchHits)],
    );
  }
  lines.push(
    ['active_slabs', String(classes.length)],
    // The heap memory put to use: what segments in circulation were ever
    // written to, in whole pages (what the OS backs), plus any preallocation.
    // Grows as writes first reach memory, stays as it is reused, falls when
    // cache_memlimit retires segments: as memcached's slab pages.
    ['total_malloced', String(store.mallocedBytes())],
  );
  return lines;
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
