// What a protocol responder needs from the server: the store, settings,
// counters, and the few server-wide actions (stats, flush, shutdown). One
// `ServerContext` per server; one `Session` per connection.
//
// Responders (lib/respond/respond-text.ts, lib/respond/respond-meta.ts,
// lib/respond/respond-binary.ts) take a parsed Request, act through the context,
// and write reply bytes into the connection's ReplyWriter.

import type { CacheStore } from '../../segments/types.js';
import type { Request } from '../../protocol/request.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { ServerCounters } from '../observability/server-stats.js';
import type { Settings } from '../cli/settings.js';
import type { CrawlerState } from '../respond/lru-crawler.js';
import type { PrefixStats } from '../observability/prefix-stats.js';

/**
 * A stats group's answer: ordered name/value pairs (sent as STAT lines then
 * END), a single reply line without CRLF for the few sub-commands memcached
 * answers that way (`stats detail on` -> 'OK'), or null for an unknown group.
 */
export type StatLines = Array<[name: string, value: string]> | string | null;

export interface ServerContext {
  readonly store: CacheStore;
  readonly settings: Settings;
  readonly counters: ServerCounters;
  /** memcached-style version string, e.g. '1.6.18-grow-a-cache-0.1.0'. */
  readonly version: string;
  /** `stats` and its groups ('' = general, 'settings', 'items', 'slabs', 'sizes', 'conns'). 'reset' resets. */
  stats(group: string, args: string): StatLines;
  /** flush_all with memcached's delay rules; false when disabled by -F. */
  flushAll(delay: number): boolean;
  /**
   * `shutdown` was accepted (only with -A): `graceful` (shutdown graceful,
   * memcached's SIGUSR1) answers what was read and then stops; otherwise
   * (plain shutdown, memcached's SIGINT) the process stops at once.
   */
  shutdown(graceful: boolean): void;
  /** SASL PLAIN check; undefined when SASL is off. */
  readonly sasl: SaslVerifier | undefined;
  /** Logging at -vv: one line per command/reply, never values or secrets. */
  readonly log: CommandLog;
  /** Unix time in whole seconds on the server's clock (the store's; tests inject one). */
  nowSeconds(): number;
  /** The one LRU crawler's state (lru_crawler crawl / metadump). */
  readonly crawler: CrawlerState;
  /** `refresh_certs`: reload the TLS certificate and key; null when done, else memcached's error line (CRLF included). */
  refreshCerts(): string | null;
  /** `stats detail` counts; fed only while settings.detailEnabled. */
  readonly prefixStats: PrefixStats;
}

export interface SaslVerifier {
  /** Mechanisms offered, space separated ('PLAIN'). */
  readonly mechanisms: string;
  /** Verify a PLAIN message `authzid\0user\0password`; returns the user or undefined. Constant-time. */
  verifyPlain(message: Buffer): string | undefined;
}

export interface CommandLog {
  /** Verbosity level now (changes with the `verbosity` command). */
  level: number;
  /** Print a line to stderr when level >= `minLevel`. */
  line(minLevel: number, text: string): void;
}

/** Per-connection state a responder may read and change. */
export interface Session {
  /** Stable id for logs and `stats conns` (memcached prints the fd). */
  readonly id: number;
  /** SASL / ASCII-auth state: true when no auth is required or it succeeded. */
  authenticated: boolean;
  /** Close the connection once pending replies are written (quit, fatal errors). */
  closeAfterWrite(): void;
  /**
   * Reply bytes a request may write before the connection's bound on unsent
   * replies (OUTPUT_LIMIT in connection.ts) is reached. A multi-key reply that
   * passes it calls makeRoom().
   */
  readonly replyRoom: number;
  /**
   * Send what is written so far. False when the client is not reading and
   * the reply must stop here: the responder then hands the rest of its
   * request to resumeAfterDrain().
   */
  makeRoom(): boolean;
  /** Answer `rest` (what remains of a stopped multi-key reply) once the client reads. */
  resumeAfterDrain(rest: Request): void;
  /**
   * Hand the connection to a long-running reply (lru_crawler metadump,
   * watch): no further request is answered until the stream is done.
   * Returns `wake`, which asks for a pump after the stream said 'idle'.
   * Absent where a session cannot stream (UDP, test harnesses).
   */
  startStream?(stream: ReplyStream): () => void;
}

/** A reply written over many event-loop turns (see Session.startStream). */
export interface ReplyStream {
  /**
   * Write the next slice into `out`: 'more' = call again on a later turn,
   * 'idle' = wait for wake(), 'done' = finished, requests resume.
   */
  pump(out: ReplyWriter): 'more' | 'idle' | 'done';
  /** The stream finished or its connection closed: release what it holds. */
  end(): void;
  /** Input arriving meanwhile is dropped (watch) instead of kept for afterwards (metadump). */
  readonly dropsInput: boolean;
}

/** A responder: executes one request and writes its reply (possibly none). */
export type Responder = (req: Request, ctx: ServerContext, session: Session, out: ReplyWriter) => void;

/** One open connection as `stats conns` shows it. */
export interface ConnectionInfo {
  readonly id: number;
  /** e.g. 'tcp:127.0.0.1:46678' or 'unix:/tmp/mc.sock'. */
  readonly addr: string;
  readonly listenAddr: string;
  /** memcached state name, e.g. 'conn_new_cmd', 'conn_nread', 'conn_listening'. */
  readonly state: string;
  readonly secsSinceLastCmd: number;
  /** A UDP socket (-U): memcached lists it with a `UDP UDP` line and no listen_addr. */
  readonly udp?: boolean;
}
