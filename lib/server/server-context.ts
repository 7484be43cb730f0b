// Builds the ServerContext every responder works through: the store, the
// settings, counters, version, stats rendering, flush_all, shutdown, SASL
// and the -v/-vv log. One per server.

import type { CommandLog, ConnectionInfo, SaslVerifier, ServerContext, StatLines } from './context.js';
import type { CacheStore, Clock, StoreCounters } from '../../segments/types.js';
import type { Settings } from '../cli/settings.js';
import { ServerCounters } from '../observability/server-stats.js';
import { renderStats } from '../observability/stats-report.js';
import type { StatsSources } from '../observability/stats-report.js';
import { SERVER_VERSION } from '../cli/version.js';
import { newCrawlerState } from '../respond/lru-crawler.js';
import { PrefixStats } from '../observability/prefix-stats.js';

export interface ServerContextParts {
  settings: Settings;
  store: CacheStore;
  log: CommandLog;
  sasl: SaslVerifier | undefined;
  /** Open connections, for `stats conns`. */
  connections(): Iterable<ConnectionInfo>;
  /** refresh_certs (absent: TLS is off). */
  refreshCerts?: () => string | null;
  /** -Z: when the certificate in use was read, unix ms (absent: TLS is off). */
  tlsCertsLoadedAtMs?: () => number;
  /** A client's `shutdown` was accepted (-A); graceful for `shutdown graceful`. */
  onShutdown(graceful: boolean): void;
  counters?: ServerCounters;
  /** What `stats` shows as server counters (with -t N, the sum over threads); `counters` when absent. */
  reportedCounters?: ServerCounters;
  /** The store's counters summed over threads (-t N). */
  storeCounters?: () => StoreCounters;
  clock?: Clock;
  version?: string;
  /** `stats detail` counts shared with the other threads (-t N); a private table when absent. */
  prefixStats?: PrefixStats;
}

export interface ServerContextWithSources extends ServerContext {
  /** What `stats` and /metrics read. */
  readonly sources: StatsSources;
}

export function createServerContext(parts: ServerContextParts): ServerContextWithSources {
  const counters = parts.counters ?? new ServerCounters();
  const version = parts.version ?? SERVER_VERSION;
  const prefixStats = parts.prefixStats ?? new PrefixStats(parts.settings.prefixDelimiter.charCodeAt(0));
  const crawler = newCrawlerState();
  const sources: StatsSources = {
    prefixStats,
    crawler,
    store: parts.store,
    settings: parts.settings,
    counters: parts.reportedCounters ?? counters,
    version,
    connections: parts.connections,
    ...(parts.storeCounters ? { storeCounters: parts.storeCounters } : {}),
    ...(parts.clock ? { clock: parts.clock } : {}),
    ...(parts.tlsCertsLoadedAtMs ? { tlsCertsLoadedAtMs: parts.tlsCertsLoadedAtMs } : {}),
  };
  return {
    crawler,
    prefixStats,
    refreshCerts: () => (parts.refreshCerts ? parts.refreshCerts() : 'Error TLS not enabled\r\n'),
    store: parts.store,
    settings: parts.settings,
    counters,
    version,
    sasl: parts.sasl,
    log: parts.log,
    sources,
    stats(group: string, args: string): StatLines {
      return renderStats(group, args, sources);
    },
    flushAll(delay: number): boolean {
      // memcached counts the attempt even when -F refuses it.
      counters.cmdFlush++;
      if (!parts.settings.flushEnabled) return false;
      parts.store.flushAll(delay);
      return true;
    },
    shutdown(graceful: boolean): void {
      parts.onShutdown(graceful);
    },
    nowSeconds(): number {
      return Math.floor((parts.clock ? parts.clock.nowMs() : Date.now()) / 1000);
    },
  };
}
