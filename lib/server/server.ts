// The TCP (or unix socket) server: listens where the settings say (over TLS
// with -Z), accepts connections up to -c, and hands each one to a
// Connection (through a ConnectionHost). Also owns the store, the optional
// Prometheus endpoint, and closes all of it gracefully: stop accepting,
// answer what was already received, close the connections, stop the
// store's timer.
//
// With -t N > 1, startServer() starts the threaded server instead
// (threaded-server.ts: N worker threads over one shared store), unless the
// caller injects a store, a clock or a SASL verifier, which cannot cross
// threads: then, and with -t 1, one event loop serves everything as here.
// That loop has a housekeeping thread too (housekeeper-thread.ts, as -t N):
// it keeps a reserve of free segments so a set does not wait for an
// eviction. Chosen over running -t 1 as the threaded server with one worker
// (which also has no inline merges): that cost more server CPU per request
// and a hand-over per new connection (benchmarks/RESULTS.md, issue 11,
// "-t 1 housekeeping"). Unless the caller injects the store or the clock:
// then the store's own timer sweeps expired items and a writer that finds
// no free segment evicts inline.

import net from 'node:net';
import { availableParallelism } from 'node:os';
import tls from 'node:tls';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { CacheStore, Clock, StoreOptions } from '../../segments/types.js';
import type { CommandLog, ConnectionInfo, SaslVerifier } from './context.js';
import type { Settings } from '../cli/settings.js';
import { EPHEMERAL_PORT } from '../cli/settings.js';
import type { Connection } from './connection.js';
import { BINARY, ConnectionHost, TEXT, describePeer, formatHostPort, rejectOverLimit } from './connection-host.js';
import { startThreadedServer } from './threaded-server.js';
import { createServerContext } from './server-context.js';
import type { ServerContextWithSources } from './server-context.js';
import { createCommandLog, stderrSink } from '../observability/logger.js';
import type { LogSink } from '../observability/logger.js';
import { createSaslVerifier } from '../auth/sasl.js';
import { asciiAuthHandler, loadAuthFile } from '../auth/ascii-auth.js';
import type { MetricsServer, startMetricsServer as StartMetricsServer } from '../observability/metrics.js';
import { SegmentStore } from '../../segments/index.js';
import { createAdvisedStore } from '../advisor/live-advisor.js';
import { acceptPeer, newTicketKeys, splitNoTls, tlsServerOptions } from './tls.js';
import { restoreAtStart, savedHashSeed } from './warm-restart.js';
import { startUdp, udpFamily, udpInfo } from './udp.js';
import type { UdpListener } from './udp.js';
import { startHousekeeperThread } from './housekeeper-thread.js';
import { configureLoopYield, yieldBudgetMs } from './loop-yield.js';
import { claimHousekeeperRing } from './loop-watch.js';

/** How long close() waits for clients to take their last replies. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 3000;
/** A TLS client must finish its handshake within this long (it does not count against -c until then). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** TCP sockets a TLS listener keeps beyond -c, so over-limit clients can still be told why. */
const TLS_HANDSHAKE_SLACK = 64;

export interface ServerOptions {
  /** Use this store instead of creating one from the settings. */
  store?: CacheStore;
  /** Clock for the store and stats (tests). */
  clock?: Clock;
  /** Where -v/-vv lines go (stderr by default). */
  logSink?: LogSink;
  /** SASL verifier to use instead of reading settings.saslPwdb. */
  sasl?: SaslVerifier;
  /**
   * A client's accepted `shutdown` (graceful for `shutdown graceful`);
   * default: close this server, at once (connections dropped) unless graceful.
   */
  onShutdown?: (graceful: boolean) => void;
  /**
   * Called once every TCP and UDP port is bound (with worker threads: before
   * they are up; TCP connections wait for them, a UDP datagram is lost until
   * then): main.ts writes memcached's port file here.
   */
  onListening?: (bound: readonly BoundPort[]) => void;
  /** Grace period for close(); connections still open after it are dropped. */
  closeTimeoutMs?: number;
}

export interface RunningServer {
  /** The TCP port bound (the ephemeral one when settings.port is -1); 0 for a unix socket or with -p 0 (no TCP). */
  readonly port: number;
  /** The first address bound (host, or the socket path). */
  readonly address: string;
  readonly context: ServerContextWithSources;
  /** Port of the Prometheus endpoint, when --metrics-listen is set. */
  readonly metricsPort: number | undefined;
  /** UDP port bound with -U (the first listener's), undefined when UDP is off. */
  readonly udpPort: number | undefined;
  /** Every TCP and UDP socket bound, in binding order (MEMCACHED_PORT_FILENAME's lines: port-file.ts). */
  readonly bound: readonly BoundPort[];
  /** Open client connections (this thread's: none when worker threads serve them). */
  connections(): Iterable<Connection>;
  /** Stop accepting, answer what was read, close connections, stop the store (and save it, with -e). */
  close(): Promise<void>;
  /** With -e: save the store now if close() has not yet (a stop that cannot wait any longer). */
  saveImage(): void;
}

export async function startServer(settings: Settings, opts: ServerOptions = {}): Promise<RunningServer> {
  if (settings.threads > 1 && opts.store === undefined && opts.clock === undefined && opts.sasl === undefined) {
    return startThreadedServer(settings, opts);
  }
  return startSingleLoopServer(settings, opts);
}

async function startSingleLoopServer(settings: Settings, opts: ServerOptions): Promise<RunningServer> {
  const log: CommandLog = createCommandLog(settings.verbosity, opts.logSink);
  /** Our own store on the batch clock (not the caller's store or clock): a housekeeping thread can serve it. */
  const housekept = opts.store === undefined && opts.clock === undefined ? createStoreFor(settings, undefined) : undefined;
  const store = opts.store ?? housekept ?? createStoreFor(settings, opts.clock);
  const sasl = opts.sasl ?? (settings.saslEnabled && settings.saslPwdb ? createSaslVerifier(settings.saslPwdb) : undefined);
  const auth = settings.authFile !== undefined ? asciiAuthHandler(loadAuthFile(settings.authFile)) : undefined;
  // -Z: certificates are read (and refused) before anything listens.
  const ticketKeys = newTicketKeys();
  const tlsOptions = settings.tlsEnabled && settings.unixSocket === undefined ? tlsServerOptions(settings, ticketKeys) : undefined;
  /** Listening sockets as `stats conns` shows them (memcached lists them first). */
  const listenerInfos: ConnectionInfo[] = [];
  let closing: Promise<void> | undefined;

  /** TLS listeners, for refresh_certs. */
  const secureServers: tls.Server[] = [];
  /** When the certificate in use was read (time_since_server_cert_refresh). */
  let certsLoadedAtMs = Date.now();
  const context = createServerContext({
    ...(tlsOptions !== undefined
      ? {
          tlsCertsLoadedAtMs: () => certsLoadedAtMs,
          refreshCerts: (): string | null => {
            try {
              const fresh = tlsServerOptions(settings, ticketKeys);
              for (const secure of secureServers) secure.setSecureContext(fresh);
              certsLoadedAtMs = Date.now();
              return null;
            } catch (err) {
              return `${err instanceof Error ? err.message : String(err)}\r\n`;
            }
          },
        }
      : {}),
    settings,
    store,
    log,
    sasl,
    connections: () => [...listenerInfos, ...conns.open],
    // Every thread slot: the housekeeping thread counts its evictions and merges in its own.
    storeCounters: () => store.totals(),
    onShutdown: (graceful) => {
      if (opts.onShutdown) {
        opts.onShutdown(graceful);
        return;
      }
      if (!graceful) for (const conn of conns.open) conn.destroy();
      void close();
    },
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const { counters } = context;
  // -e: restored before anything listens, so connections are refused until it is done.
  const warmRestart = settings.memoryFile !== undefined ? restoreAtStart(store, settings.memoryFile, log, counters, settings.warmRestartSync) : undefined;
  const conns = new ConnectionHost(context, auth);
  let nextId = 1;

  const onConnection = (socket: Socket, listenAddr: string): void => {
    if (closing) {
      socket.destroy();
      return;
    }
    if (tlsOptions !== undefined && !acceptPeer(socket as TLSSocket, settings.tlsVerifyMode)) {
      log.line(1, 'TLS client certificate did not verify, closing');
      socket.destroy();
      return;
    }
    if (counters.currConnections >= settings.maxConns) {
      rejectOverLimit(socket, counters);
      return;
    }
    conns.adopt(socket, { id: nextId++, addr: describePeer(socket, listenAddr), listenAddr });
  };

  // One request loop never shares its core with another (loop-yield.ts), unless GROW_A_CACHE_YIELD_US says so.
  configureLoopYield(yieldBudgetMs(process.env, availableParallelism(), 1));
  // The housekeeper runs before anything listens: the first writes that need a refill find it.
  const housekeeping = housekept !== undefined ? startLoopHousekeeper(housekept, settings, opts.logSink ?? stderrSink) : undefined;
  if (housekeeping === undefined) store.start();
  await housekeeping?.ready;
  const stopHousekeeping = async (): Promise<void> => {
    await housekeeping?.stop();
    store.stop();
  };

  const listeners: Server[] = [];
  const bound: BoundPort[] = [];
  let port = 0;
  let address = '';
  try {
    if (settings.unixSocket !== undefined) {
      const path = settings.unixSocket;
      removeStaleSocket(path);
      const server = await listen({ path, backlog: settings.backlog }, undefined, (s) => onConnection(s, `unix:${path}`));
      chmodSync(path, settings.unixMask);
      listeners.push(server);
      listenerInfos.push(listenerInfo(nextId++, `unix:${path}`));
      address = path;
    } else if (settings.port !== 0) {
      // With -p -1, addresses without their own port share the first ephemeral one.
      let sharedPort = listenPort(settings.port);
      for (const entry of settings.listen) {
        const { host, port: entryPort, noTls } = parseListenEntry(entry);
        const tlsListen =
          tlsOptions === undefined || noTls
            ? undefined
            : { options: tlsOptions, maxSockets: settings.maxConns + TLS_HANDSHAKE_SLACK, onHandshakeError: () => counters.sslHandshakeErrors++ };
        // Named once bound: a TLS handshake may complete after close() began, when address() is null.
        let listenAddr = '';
        const server = await listen({ host, port: entryPort ?? sharedPort, backlog: settings.backlog }, tlsListen, (s) =>
          onConnection(s, listenAddr),
        );
        listenAddr = `tcp:${formatHostPort(host, (server.address() as AddressInfo).port)}`;
        listeners.push(server);
        if (server instanceof tls.Server) secureServers.push(server);
        listenerInfos.push(listenerInfo(nextId++, `tcp:${formatHostPort(host, (server.address() as AddressInfo).port)}`));
        bound.push(boundTcp(server));
        if (entryPort === undefined && sharedPort === 0) sharedPort = (server.address() as AddressInfo).port;
        if (address === '') {
          port = (server.address() as AddressInfo).port;
          address = host;
        }
      }
    }
  } catch (err) {
    for (const l of listeners) l.close();
    await stopHousekeeping();
    // The image was consumed at start: put the cache back for the next try.
    warmRestart?.save();
    throw err;
  }

  // -U: the same requests over UDP, on the TCP listeners' addresses.
  const udpListeners: UdpListener[] = [];
  if (settings.udpPort !== 0 && settings.unixSocket === undefined) {
    try {
      // With -U -1 the other addresses share the first ephemeral port, as TCP's do.
      let udpPort = listenPort(settings.udpPort);
      for (const entry of settings.listen) {
        const { host } = parseListenEntry(entry);
        const udp = await startUdp(host, udpPort, context, TEXT, BINARY, conns.limits);
        udpPort = udp.port;
        udpListeners.push(udp);
        listenerInfos.push(udpInfo(nextId++, host, udp.port, () => udp.lastRequestMs));
        bound.push({ transport: 'UDP', family: udpFamily(host), port: udp.port });
      }
    } catch (err) {
      for (const l of listeners) l.close();
      for (const u of udpListeners) void u.close();
      await stopHousekeeping();
      throw err;
    }
  }

  opts.onListening?.(bound);

  let metrics: MetricsServer | undefined;
  if (settings.metricsListen !== undefined) {
    try {
      metrics = await startMetricsServerLazily(settings.metricsListen, context.sources);
    } catch (err) {
      for (const l of listeners) l.close();
      void conns.drain(0);
      await stopHousekeeping();
      throw err;
    }
  }

  const close = (): Promise<void> => {
    closing ??= (async () => {
      counters.acceptingConns = 0;
      const stopped = listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
      await conns.drain(opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      // A listener's close completes once its last socket is gone; a TLS
      // client stuck in its handshake is not waited for beyond the grace period.
      await Promise.race([Promise.all(stopped), delay(opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS)]);
      if (metrics) await metrics.close();
      for (const u of udpListeners) await u.close();
      // The housekeeper ends its merge first, so a save sees whole segments.
      await housekeeping?.stop();
      store.stop();
      warmRestart?.save();
      if (settings.unixSocket !== undefined) removeStaleSocket(settings.unixSocket);
    })();
    return closing;
  };

  return {
    port,
    address,
    context,
    metricsPort: metrics?.port,
    udpPort: udpListeners[0]?.port,
    bound,
    connections: () => conns.open,
    close,
    saveImage: () => {
      if (warmRestart === undefined) return;
      // Under the store lock: the housekeeper may be between two slices of a merge.
      store.beginWrite();
      try {
        warmRestart.save();
      } finally {
        store.endWrite();
      }
    },
  };
}

function createStoreFor(settings: Settings, clock: Clock | undefined): SegmentStore {
  // -o advisor: the store that also feeds the sizing advisor (off: the plain store).
  if (settings.advisor) return createAdvisedStore(storeOptionsFor(settings, clock), settings.advisorRate, { optimisticReads: false });
  // Gets take the shared lock here, not the optimistic path: the loop's only other thread is its
  // housekeeper, and a 10-key get measured 3% over main this way against 8% optimistic
  // (benchmarks/RESULTS.md, "Session 5: optimistic reads", lead's quiet check).
  return new SegmentStore(storeOptionsFor(settings, clock), { optimisticReads: false });
}

/** The single loop's store thread slot is 0; its housekeeper attaches as 1. */
const LOOP_HOUSEKEEPER_SLOT = 1;

/**
 * The single loop's housekeeping thread over `store` (its evictions reach
 * this thread's watchers: loop-watch.ts). Should the thread fail, the
 * store's own timer takes over the expiry sweep and writers merge inline.
 */
function startLoopHousekeeper(store: SegmentStore, settings: Settings, sink: LogSink): { ready: Promise<void>; stop(): Promise<void> } {
  const ring = claimHousekeeperRing(settings.workerLogbufSize);
  const thread = startHousekeeperThread({ store: store.handle, threadSlot: LOOP_HOUSEKEEPER_SLOT, watch: ring.memory, watchRing: ring.ring, requestThreads: 1 }, (line) => {
    sink(line);
    store.start();
  });
  return {
    ready: thread.ready,
    stop: async () => {
      await thread.stop();
      ring.release();
    },
  };
}

/** The store the settings ask for (-m, -I, -M, -C, -o hashpower, -o merge_segments). */
export function storeOptionsFor(settings: Settings, clock: Clock | undefined): StoreOptions {
  // -e: the saved hash index is usable only with the hash seed it was built with.
  const hashSeed = settings.memoryFile !== undefined ? savedHashSeed(settings.memoryFile) : undefined;
  return {
    ...(hashSeed !== undefined ? { hashSeed } : {}),
    memoryLimitBytes: settings.maxBytes,
    ...(settings.initialMallocBytes > 0 ? { preallocatedBytes: settings.initialMallocBytes } : {}),
    itemSizeMax: settings.itemSizeMax,
    evictionPolicy: settings.evictionPolicy,
    casEnabled: settings.casEnabled,
    mergeSegments: settings.mergeSegments,
    ...(settings.hashPowerInit > 0 ? { hashPower: settings.hashPowerInit } : {}),
    ...(clock ? { clock } : {}),
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** With TLS: the server options, and the cap on TCP sockets (handshaking or not). */
export interface TlsListen {
  options: TlsOptions;
  maxSockets: number;
  /** A handshake failed (ssl_handshake_errors). */
  onHandshakeError(): void;
}

export function listen(options: net.ListenOptions, tlsListen: TlsListen | undefined, onSocket: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: a client that shuts down its side still gets the
    // replies to everything it sent.
    let server: Server;
    if (tlsListen === undefined) {
      server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, onSocket);
    } else {
      const secure = tls.createServer({ ...tlsListen.options, allowHalfOpen: true, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS });
      secure.on('secureConnection', onSocket);
      // Failed handshakes (wrong certificate, plain text on the TLS port) only close that socket.
      secure.on('tlsClientError', () => tlsListen.onHandshakeError());
      secure.maxConnections = tlsListen.maxSockets;
      server = secure;
    }
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      server.on('error', () => {
        // Accept errors (EMFILE...) must not crash the process.
      });
      resolve(server);
    });
  });
}

/** A socket file left by an earlier run would make listen fail with EADDRINUSE. */
export function removeStaleSocket(path: string): void {
  try {
    if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Let listen report the real problem.
  }
}

export function listenerInfo(id: number, addr: string): ConnectionInfo {
  const since = Date.now();
  return {
    id,
    addr,
    listenAddr: '',
    state: 'conn_listening',
    get secsSinceLastCmd(): number {
      return Math.floor((Date.now() - since) / 1000);
    },
  };
}

/**
 * --metrics-listen only: prom-client is loaded when asked for, not at every
 * start (it is half of the modules a start loads before it binds, and
 * memcached's t/issue_67.t gives a start 2 s to write its port file).
 */
export async function startMetricsServerLazily(...args: Parameters<typeof StartMetricsServer>): Promise<MetricsServer> {
  const { startMetricsServer } = await import('../observability/metrics.js');
  return startMetricsServer(...args);
}

/** A bound TCP or UDP socket, as memcached's port file names it. */
export interface BoundPort {
  readonly transport: 'TCP' | 'UDP';
  readonly family: 'INET' | 'INET6';
  readonly port: number;
}

/** The port to bind for a -p / -U value: the kernel's pick (0) for EPHEMERAL_PORT. */
export function listenPort(setting: number): number {
  return setting === EPHEMERAL_PORT ? 0 : setting;
}

export function boundTcp(server: Server): BoundPort {
  const where = server.address() as AddressInfo;
  return { transport: 'TCP', family: where.family === 'IPv6' ? 'INET6' : 'INET', port: where.port };
}

/** `-l` entries: `host`, `host:port`, `[v6]` or `[v6]:port`, each may start with `notls:` (plain TCP under -Z). */
export function parseListenEntry(listed: string): { host: string; port: number | undefined; noTls: boolean } {
  const { entry, noTls } = splitNoTls(listed);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] === undefined ? undefined : Number(bracketed[2]), noTls };
  const colon = entry.indexOf(':');
  if (colon >= 0 && colon === entry.lastIndexOf(':')) {
    const port = entry.slice(colon + 1);
    if (/^\d+$/.test(port)) return { host: entry.slice(0, colon), port: Number(port), noTls };
  }
  return { host: entry, port: undefined, noTls };
}
