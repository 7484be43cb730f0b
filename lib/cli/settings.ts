// Server settings: what the command line (lib/cli/main.ts) produces and what the
// server, the store and `stats settings` read. Names follow memcached's
// `settings` struct where one exists.

import type { EvictionPolicy } from '../../segments/types.js';
import { MERGE_SEGMENTS } from '../../segments/merge-eviction.js';

export type BindingProtocol = 'auto' | 'ascii' | 'binary';

/** -p -1 / -U -1: bind a port the kernel picks (memcached's value; -p 0 means no TCP). */
export const EPHEMERAL_PORT = -1;

export interface Settings {
  /** TCP port (-p); EPHEMERAL_PORT (-1) picks a free one, 0 = no TCP listener (as memcached). */
  port: number;
  /** UDP port (-U); EPHEMERAL_PORT (-1) picks a free one, 0 = off (memcached's default since 1.5.6). */
  udpPort: number;
  /** Addresses to listen on (-l, repeatable or comma-separated). */
  listen: string[];
  /** Unix socket path (-s); disables TCP when set. */
  unixSocket: string | undefined;
  /** Unix socket permission mask (-a), octal. */
  unixMask: number;
  /** Segment heap in bytes (-m MiB). */
  maxBytes: number;
  /** Bytes of -m counted as allocated before the heap (T_MEMD_INITIAL_MALLOC, lib/cli/initial-malloc.ts); 0 = none. */
  initialMallocBytes: number;
  /** Max simultaneous connections (-c). */
  maxConns: number;
  /** Worker threads (-t): N > 1 starts N worker threads over one shared store; 1 serves on the main thread. */
  threads: number;
  /** Largest item (-I), bytes. */
  itemSizeMax: number;
  /** 0 quiet, 1 errors/warnings (-v), 2 commands and replies (-vv), 3 (-vvv). */
  verbosity: number;
  /** -M: answer out of memory instead of evicting. */
  evictionPolicy: EvictionPolicy;
  /** -A: allow the `shutdown` command. */
  shutdownEnabled: boolean;
  /** -R: requests handled per connection per event before yielding. */
  reqsPerEvent: number;
  /** -C disables CAS. */
  casEnabled: boolean;
  /** -b: listen backlog. */
  backlog: number;
  /** -B */
  bindingProtocol: BindingProtocol;
  /** -F disables flush_all. */
  flushEnabled: boolean;
  /** -S: SASL over the binary protocol. */
  saslEnabled: boolean;
  /** SASL password file (MEMCACHED_SASL_PWDB or --sasl-pwdb). */
  saslPwdb: string | undefined;
  /** -Y: ASCII auth file. */
  authFile: string | undefined;
  /** -Z: TLS. */
  tlsEnabled: boolean;
  tlsChainCert: string | undefined;
  tlsKey: string | undefined;
  tlsCaCert: string | undefined;
  /** ssl_verify_mode 0..3 as memcached. */
  tlsVerifyMode: number;
  /** -o ssl_ciphers: OpenSSL cipher list (TLS 1.2 and below); undefined = Node's default. */
  tlsCiphers: string | undefined;
  /** -o ssl_min_version=0..3: lowest protocol accepted (default TLS 1.2, as memcached). */
  tlsMinVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** -o ssl_session_cache: allow session resumption (off: tickets disabled, as memcached's default). */
  tlsSessionCache: boolean;
  /** -o ssl_kernel_tls was given: refused with -Z (no kernel TLS offload here). */
  tlsKernelTls: boolean;
  /** -o idle_timeout=N seconds, 0 = never. */
  idleTimeout: number;
  /** -o watcher_logbuf_size (KiB on the command line): a watcher's buffer before it skips lines. */
  watcherLogbufSize: number;
  /** -o worker_logbuf_size (KiB): each thread's watch ring with -t N (rounded up to a power of two). */
  workerLogbufSize: number;
  /** -o hashpower=N, 0 = default. */
  hashPowerInit: number;
  /** -o merge_segments=N: segments per merge-eviction pass (2-8). */
  mergeSegments: number;
  /** -o advisor: run the sizing advisor on live traffic. */
  advisor: boolean;
  /** -o advisor_rate=R: share of keys the advisor samples (default 0.01). */
  advisorRate: number;
  /** -o maxconns_fast (on by default). */
  maxConnsFast: boolean;
  /** --metrics-listen host:port for the Prometheus endpoint, undefined = off. */
  metricsListen: string | undefined;
  /** -e / -o memory_file=FILE: warm restart image, saved on a graceful stop and restored at start. */
  memoryFile: string | undefined;
  /**
   * -o warm_restart_sync: fdatasync the image and fsync its directory before
   * the exit (off: a power cut or kernel crash right after a save may cost the
   * warm start, never a wrong value: the image is checksummed).
   */
  warmRestartSync: boolean;
  /** lru_crawler enable|disable, -o no_lru_crawler: `lru_crawler crawl|metadump` allowed. */
  lruCrawler: boolean;
  /** -o lru_crawler_sleep / `lru_crawler sleep`: microseconds between crawler slices. */
  lruCrawlerSleep: number;
  /** -o lru_crawler_tocrawl / `lru_crawler tocrawl`: items per class per crawl, 0 = all. */
  lruCrawlerTocrawl: number;
  /** -X turns off `lru_crawler metadump`. */
  dumpEnabled: boolean;
  /** -W turns off `watch`. */
  watchEnabled: boolean;
  /** -D: the byte ending a key's prefix for `stats detail`. */
  prefixDelimiter: string;
  /** `stats detail on|off`: per-prefix counting. */
  detailEnabled: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  port: 11211,
  udpPort: 0,
  listen: ['127.0.0.1'],
  unixSocket: undefined,
  unixMask: 0o700,
  maxBytes: 64 * 1024 * 1024,
  initialMallocBytes: 0,
  maxConns: 1024,
  threads: 4,
  itemSizeMax: 1024 * 1024,
  verbosity: 0,
  evictionPolicy: 'merge',
  shutdownEnabled: false,
  reqsPerEvent: 20,
  casEnabled: true,
  backlog: 1024,
  bindingProtocol: 'auto',
  flushEnabled: true,
  saslEnabled: false,
  saslPwdb: undefined,
  authFile: undefined,
  tlsEnabled: false,
  tlsChainCert: undefined,
  tlsKey: undefined,
  tlsCaCert: undefined,
  tlsVerifyMode: 0,
  tlsCiphers: undefined,
  tlsMinVersion: 'TLSv1.2',
  tlsSessionCache: false,
  tlsKernelTls: false,
  idleTimeout: 0,
  watcherLogbufSize: 256 * 1024,
  workerLogbufSize: 64 * 1024,
  hashPowerInit: 0,
  mergeSegments: MERGE_SEGMENTS,
  advisor: false,
  advisorRate: 0.01,
  maxConnsFast: true,
  metricsListen: undefined,
  memoryFile: undefined,
  warmRestartSync: false,
  lruCrawler: true,
  lruCrawlerSleep: 100,
  lruCrawlerTocrawl: 0,
  dumpEnabled: true,
  watchEnabled: true,
  prefixDelimiter: ':',
  detailEnabled: false,
};
