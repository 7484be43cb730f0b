// The Prometheus endpoint (--metrics-listen host:port, off by default).
//
// Metric names follow prometheus/memcached_exporter where the meaning is the
// same, so its dashboards and alerts keep working; Segcache facts get their
// own `memcached_segcache_*` names and no slab series are invented. Values
// are copied from the plain counter fields at scrape time through collect()
// callbacks: the request path never calls into prom-client. Each server has
// its own Registry (never prom-client's global one); Node's process metrics
// (CPU, memory, GC, event-loop lag) come from one registry per process,
// because they describe the process, not a server, and prom-client has no
// way to stop their collectors once started.
//
// The same listener serves the live page (/ and /ui, live/live-routes.ts).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { StatsSources } from './stats-report.js';
import { createLiveRoutes, type LiveRoutes } from './live/live-routes.js';
import type { StoreCounters } from '../../segments/types.js';
import { storeCountersOf } from './stats-report.js';
import { advisorOf } from '../../segments/advisor/advised-store.js';

/** Prometheus, a few humans with curl and a few live pages; more than this is a flood. */
const MAX_SCRAPE_CONNECTIONS = 64;

export interface MetricsServer {
  /** Stop listening and drop open scrape connections. */
  close(): Promise<void>;
  /** The port actually bound (useful with port 0). */
  port: number;
}

/** Serve /metrics on `listen` ('host:port', '[v6]:port' or ':port' for all interfaces). */
export async function startMetricsServer(listen: string, src: StatsSources): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(listen);
  const registry = Registry.merge([createCacheRegistry(src), processRegistry()]);
  const live = createLiveRoutes(src);
  const server = http.createServer((req, res) => {
    handleRequest(registry, live, req, res);
  });
  // A scrape is one small GET; anything slower than this is a stuck client.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  // Each open scrape holds a rendered body; bound how many can pile up.
  server.maxConnections = MAX_SCRAPE_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        live.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Split 'host:port'. An empty host means every interface, as ':9150' does for memcached_exporter. */
export function parseListenAddress(listen: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new Error(`invalid metrics listen address "${listen}" (want host:port)`);
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}

function handleRequest(registry: Registry, live: LiveRoutes, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  if (path !== '/metrics' && live.handle(path, new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1)), req, res)) return;
  if (path !== '/metrics') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  registry.metrics().then(
    (body) => {
      res.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    (err: unknown) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`scrape failed: ${String(err)}\n`);
    },
  );
}

let sharedProcessRegistry: Registry | undefined;

const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Node's default metrics, registered once per process on a private registry. */
function processRegistry(): Registry {
  if (!sharedProcessRegistry) {
    sharedProcessRegistry = new Registry();
    collectDefaultMetrics({ register: sharedProcessRegistry });
    // Gauges named *_total break Prometheus naming rules (promtool flags
    // them); the unsuffixed per-type gauges next to them carry the same data.
    for (const name of GAUGES_NAMED_LIKE_COUNTERS) sharedProcessRegistry.removeSingleMetric(name);
  }
  return sharedProcessRegistry;
}

type Read = () => number;

/**
 * A registry holding the cache's metrics, each read from `src` when scraped.
 * Exported so tests and embedders can render it without an HTTP server.
 */
export function createCacheRegistry(src: StatsSources): Registry {
  const registry = new Registry();
  const registers = [registry];
  const { counters: c, store, settings } = src;
  // Read at each scrape: with -t N these are sums over the threads.
  const totals = (): StoreCounters => storeCountersOf(src);

  const gauge = (name: string, help: string, read: Read): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  };
  const counter = (name: string, help: string, read: Read): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        // A counter cannot be set; reset and add the current total. A `stats
        // reset` thus shows as a counter reset, which rate() handles.
        this.reset();
        this.inc(Math.max(0, read()));
      },
    });
  };

  gauge('memcached_up', 'Could the memcached server be reached.', () => 1);
  new Gauge({
    name: 'memcached_version',
    help: 'The version of this memcached server.',
    labelNames: ['version'],
    registers,
    collect() {
      this.reset();
      this.set({ version: src.version }, 1);
    },
  });
  const nowMs = (): number => (src.clock ? src.clock.nowMs() : Date.now());
  // memcached_exporter types this a counter; a gauge keeps the name and value
  // and satisfies Prometheus naming rules (counters end in _total).
  gauge('memcached_uptime_seconds', 'Number of seconds since the server started.', () =>
    Math.floor((nowMs() - c.startedAtMs) / 1000),
  );
  gauge('memcached_time_seconds', 'Current UNIX time according to the server.', () => Math.floor(nowMs() / 1000));
  counter('memcached_process_user_cpu_seconds_total', 'Accumulated user time for this process.', () => process.cpuUsage().user / 1e6);
  counter('memcached_process_system_cpu_seconds_total', 'Accumulated system time for this process.', () => process.cpuUsage().system / 1e6);

  new Counter({
    name: 'memcached_commands_total',
    help: 'Total number of all requests broken down by command (get, set, etc.) and status.',
    labelNames: ['command', 'status'],
    registers,
    collect() {
      this.reset();
      const s = totals();
      const add = (command: string, status: string, value: number): void => {
        this.inc({ command, status }, Math.max(0, value));
      };
      add('get', 'hit', s.getHits);
      add('get', 'miss', s.getMisses);
      add('delete', 'hit', s.deleteHits);
      add('delete', 'miss', s.deleteMisses);
      add('incr', 'hit', s.incrHits);
      add('incr', 'miss', s.incrMisses);
      add('decr', 'hit', s.decrHits);
      add('decr', 'miss', s.decrMisses);
      add('cas', 'hit', s.casHits);
      add('cas', 'miss', s.casMisses);
      add('cas', 'badval', s.casBadval);
      add('touch', 'hit', s.touchHits);
      add('touch', 'miss', s.touchMisses);
      add('flush', 'hit', c.cmdFlush);
      // cmd_set counts cas commands too, as memcached's does; the exporter subtracts them.
      add('set', 'hit', c.cmdSet - s.casHits - s.casMisses - s.casBadval);
    },
  });

  counter('memcached_read_bytes_total', 'Total number of bytes read by this server from network.', () => c.bytesRead);
  counter('memcached_written_bytes_total', 'Total number of bytes sent by this server to network.', () => c.bytesWritten);
  gauge('memcached_current_connections', 'Current number of open connections.', () => c.currConnections);
  gauge('memcached_max_connections', 'Maximum number of clients allowed.', () => settings.maxConns);
  counter('memcached_connections_total', 'Total number of connections opened since the server started running.', () => c.totalConnections);
  counter('memcached_connections_rejected_total', 'Total number of connections rejected for hitting the -c limit.', () => c.rejectedConnections);
  counter('memcached_connections_yielded_total', 'Total number of times a connection yielded after -R requests.', () => c.connYields);
  counter(
    'memcached_connections_listener_disabled_total',
    'Number of times the server hit its connection limit and paused its listener.',
    () => c.listenDisabledNum,
  );
  gauge('memcached_accepting_connections', 'The server is currently accepting new connections.', () => c.acceptingConns);
  gauge('memcached_current_bytes', 'Current number of bytes used to store items.', () => totals().bytes);
  gauge('memcached_limit_bytes', 'Number of bytes this server is allowed to use for storage.', () => store.shape().limitBytes);
  gauge('memcached_current_items', 'Current number of items stored by this instance.', () => totals().items);
  gauge('memcached_malloced_bytes', 'Bytes of segment heap memory put to use (stats slabs total_malloced).', () => store.mallocedBytes());
  counter('memcached_items_total', 'Total number of items stored during the life of this instance.', () => totals().totalItems);
  counter('memcached_items_evicted_total', 'Total number of valid items removed from cache to free memory for new items.', () => totals().evictions);
  counter('memcached_items_reclaimed_total', 'Total number of expired items removed by the store.', () => totals().expiredReclaimed);
  counter('memcached_item_too_large_total', 'The number of times an item exceeded the max-item-size when being stored.', () => totals().storeTooLarge);
  counter('memcached_item_no_memory_total', 'The number of times an item could not be stored due to no more memory.', () => totals().storeNoMemory);

  // Segment store facts (no memcached_exporter equivalent).
  gauge('memcached_segcache_segment_size_bytes', 'Size of one segment.', () => store.shape().segmentSize);
  gauge('memcached_segcache_heap_segments', 'Segments in the heap.', () => store.shape().segmentsTotal);
  gauge('memcached_segcache_segments_free', 'Segments on the free list.', () => store.shape().segmentsFree);
  gauge('memcached_segcache_segments_used', 'Segments holding items.', () => {
    const shape = store.shape();
    return shape.segmentsTotal - shape.segmentsFree;
  });
  counter('memcached_segcache_merge_evictions_total', 'Merge-eviction passes.', () => totals().merges);
  counter('memcached_segcache_segments_dropped_total', 'Segments evicted whole, oldest first, from runs nothing had read.', () => totals().segmentsDropped);
  counter('memcached_segcache_inline_merges_total', 'Merges a writer ran itself because no segment was free.', () => totals().inlineMerges);
  counter('memcached_segcache_expired_segments_total', 'Segments freed whole by proactive expiry.', () => totals().expiredSegments);
  gauge('memcached_segcache_hash_power', 'Hash table size as a power of two of slots.', () => store.shape().hashPower);
  gauge('memcached_segcache_hash_bytes', 'Bytes of the hash table arrays.', () => store.shape().hashBytes);
  gauge('memcached_segcache_hash_load_ratio', 'Live items per hash slot.', () => store.shape().hashLoad);
  gauge('memcached_segcache_hash_expanding', '1 while the hash table is growing.', () => (store.shape().hashIsExpanding ? 1 : 0));

  // Our own server counters.
  new Counter({
    name: 'memcached_requests_total',
    help: 'Requests parsed, by wire protocol.',
    labelNames: ['protocol'],
    registers,
    collect() {
      this.reset();
      this.inc({ protocol: 'text' }, c.textRequests);
      this.inc({ protocol: 'meta' }, c.metaRequests);
      this.inc({ protocol: 'binary' }, c.binaryRequests);
    },
  });
  counter('memcached_auth_commands_total', 'Authentication commands processed.', () => c.authCmds);
  counter('memcached_auth_errors_total', 'Failed authentications.', () => c.authErrors);
  counter('memcached_idle_kicks_total', 'Connections closed by the idle timeout.', () => c.idleKicks);
  counter('memcached_request_faults_total', 'Requests that hit a server bug; each closed its connection.', () => c.requestFaults);
  counter('memcached_get_expired_total', 'Gets that found an expired item.', () => totals().getExpired);
  counter('memcached_get_flushed_total', 'Gets that found an item invalidated by flush_all.', () => totals().getFlushed);

  // The sizing advisor (-o advisor): predicted hit ratio per memory size.
  const advisor = advisorOf(store);
  if (advisor !== undefined) {
    new Gauge({
      name: 'memcached_segcache_advisor_hit_ratio',
      help: 'Hit ratio the sizing advisor predicts for this much memory (-o advisor).',
      labelNames: ['memory_bytes'],
      registers,
      collect() {
        this.reset();
        for (const p of advisor.curve()) if (!Number.isNaN(p.hitRatio)) this.set({ memory_bytes: String(p.memoryBytes) }, p.hitRatio);
      },
    });
    gauge('memcached_segcache_advisor_memory_bytes', 'Bytes the sizing advisor\'s miniature copies take.', () => advisor.memoryBytes());
  }

  return registry;
}
