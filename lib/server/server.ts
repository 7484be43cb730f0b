// The TCP (or unix socket) server: listens where the settings say (over TLS
// with -Z), accepts connections up to -c, and hands each one to a
// Connection. Also owns the store, the optional Prometheus endpoint and the
// -o idle_timeout sweep, and closes all of it gracefully: stop accepting,
// answer what was already received, close the connections, stop the
// store's timer.

import net from 'node:net';
import tls from 'node:tls';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { CacheStore, Clock } from '../../segments/types.js';
import type { CommandLog, ConnectionInfo, SaslVerifier } from './context.js';
import type { Settings } from '../cli/settings.js';
import { Connection } from './connection.js';
import type { ProtocolHandler } from './connection.js';
import { createServerContext } from './server-context.js';
import type { ServerContextWithSources } from './server-context.js';
import { createCommandLog } from '../observability/logger.js';
import type { LogSink } from '../observability/logger.js';
import { REPLY } from '../../protocol/text/replies.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import { parseBinaryRequest } from '../../protocol/binary/parse.js';
import { respondText } from '../respond/respond-text.js';
import { respondBinary } from '../respond/respond-binary.js';
import { createSaslVerifier } from '../auth/sasl.js';
import { asciiAuthHandler, loadAuthFile } from '../auth/ascii-auth.js';
import { startMetricsServer } from '../observability/metrics.js';
import type { MetricsServer } from '../observability/metrics.js';
import { createStore } from '../../segments/index.js';
import { acceptPeer, tlsServerOptions } from './tls.js';
import { startUdp } from './udp.js';
import type { UdpListener } from './udp.js';
import { WATCH, watchBus } from '../observability/watch-bus.js';
import { publishConnection } from '../respond/watch-command.js';

/** Keys longer than this are refused, as memcached. */
const MAX_KEY_BYTES = 250;
/** How long a refused connection may stay half-open before it is dropped. */
const REJECT_LINGER_MS = 2000;
/** How long close() waits for clients to take their last replies. */
const DEFAULT_CLOSE_TIMEOUT_MS = 3000;
/** How often -o idle_timeout looks for idle connections (memcached: about once a second). */
const IDLE_SWEEP_MS = 1000;
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
  /** Grace period for close(); connections still open after it are dropped. */
  closeTimeoutMs?: number;
}

export interface RunningServer {
  /** The TCP port bound (the ephemeral one when settings.port is 0); 0 for a unix socket. */
  readonly port: number;
  /** The first address bound (host, or the socket path). */
  readonly address: string;
  readonly context: ServerContextWithSources;
  /** Port of the Prometheus endpoint, when --metrics-listen is set. */
  readonly metricsPort: number | undefined;
  /** UDP port bound with -U (the first listener's), undefined when UDP is off. */
  readonly udpPort: number | undefined;
  /** Open client connections. */
  connections(): Iterable<Connection>;
  /** Stop accepting, answer what was read, close connections, stop the store. */
  close(): Promise<void>;
}

/** The handlers connections use; one set per process. */
const TEXT: ProtocolHandler = { parse: parseTextRequest, respond: respondText };
const BINARY: ProtocolHandler = { parse: parseBinaryRequest, respond: respondBinary };

export async function startServer(settings: Settings, opts: ServerOptions = {}): Promise<RunningServer> {
  const log: CommandLog = createCommandLog(settings.verbosity, opts.logSink);
  const store = opts.store ?? createStoreFor(settings, opts.clock);
  const sasl = opts.sasl ?? (settings.saslEnabled && settings.saslPwdb ? createSaslVerifier(settings.saslPwdb) : undefined);
  const auth = settings.authFile !== undefined ? asciiAuthHandler(loadAuthFile(settings.authFile)) : undefined;
  // -Z: certificates are read (and refused) before anything listens.
  const tlsOptions = settings.tlsEnabled && settings.unixSocket === undefined ? tlsServerOptions(settings) : undefined;
  const open = new Set<Connection>();
  /** Listening sockets as `stats conns` shows them (memcached lists them first). */
  const listenerInfos: ConnectionInfo[] = [];
  let closing: Promise<void> | undefined;
  /** Set while close() waits for the last connection to go. */
  let onLastClosed: (() => void) | undefined;

  /** TLS listeners, for refresh_certs. */
  const secureServers: tls.Server[] = [];
  const context = createServerContext({
    ...(tlsOptions !== undefined
      ? {
          refreshCerts: (): string | null => {
            try {
              const fresh = tlsServerOptions(settings);
              for (const secure of secureServers) secure.setSecureContext(fresh);
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
    connections: () => [...listenerInfos, ...open],
    onShutdown: (graceful) => {
      if (opts.onShutdown) {
        opts.onShutdown(graceful);
        return;
      }
      if (!graceful) for (const conn of open) conn.destroy();
      void close();
    },
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const { counters } = context;
  const limits = { maxValueBytes: settings.itemSizeMax, maxKeyBytes: MAX_KEY_BYTES };
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
      // memcached's maxconns_fast: tell the client and hang up.
      counters.rejectedConnections++;
      socket.on('error', () => {});
      socket.end(REPLY.ERROR_TOO_MANY_CONNECTIONS);
      socket.resume();
      setTimeout(() => socket.destroy(), REJECT_LINGER_MS).unref();
      return;
    }
    counters.currConnections++;
    counters.totalConnections++;
    counters.connectionStructures = Math.max(counters.connectionStructures, counters.currConnections);
    const id = nextId++;
    const conn = new Connection(socket, {
      ctx: context,
      text: TEXT,
      binary: BINARY,
      ...(auth ? { auth } : {}),
      limits,
      id,
      addr: describePeer(socket, listenAddr),
      listenAddr,
      onClose: (c) => {
        if (watchBus.flags & WATCH.CONNEVENTS) publishConnection('conn_close', c.addr, c.id, c.closeReason);
        open.delete(c);
        counters.currConnections--;
        log.line(2, `<${c.id} connection closed.`);
        if (open.size === 0 && onLastClosed) onLastClosed();
      },
    });
    open.add(conn);
    if (watchBus.flags & WATCH.CONNEVENTS) publishConnection('conn_new', conn.addr, id);
    log.line(2, `<${id} new auto-negotiating client connection`);
  };

  const listeners: Server[] = [];
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
    } else {
      // With -p 0, addresses without their own port share the first ephemeral one.
      let sharedPort = settings.port;
      for (const entry of settings.listen) {
        const { host, port: entryPort } = parseListenEntry(entry);
        const tlsListen = tlsOptions === undefined ? undefined : { options: tlsOptions, maxSockets: settings.maxConns + TLS_HANDSHAKE_SLACK };
        // Named once bound: a TLS handshake may complete after close() began, when address() is null.
        let listenAddr = '';
        const server = await listen({ host, port: entryPort ?? sharedPort, backlog: settings.backlog }, tlsListen, (s) =>
          onConnection(s, listenAddr),
        );
        listenAddr = `tcp:${formatHostPort(host, (server.address() as AddressInfo).port)}`;
        listeners.push(server);
        if (server instanceof tls.Server) secureServers.push(server);
        listenerInfos.push(listenerInfo(nextId++, `tcp:${formatHostPort(host, (server.address() as AddressInfo).port)}`));
        if (entryPort === undefined && sharedPort === 0) sharedPort = (server.address() as AddressInfo).port;
        if (address === '') {
          port = (server.address() as AddressInfo).port;
          address = host;
        }
      }
    }
  } catch (err) {
    for (const l of listeners) l.close();
    throw err;
  }

  // -U: the same requests over UDP, on the TCP listeners' addresses.
  const udpListeners: UdpListener[] = [];
  if (settings.udpPort !== 0 && settings.unixSocket === undefined) {
    try {
      for (const entry of settings.listen) {
        const { host } = parseListenEntry(entry);
        udpListeners.push(await startUdp(host, settings.udpPort, context, TEXT, BINARY, limits));
      }
    } catch (err) {
      for (const l of listeners) l.close();
      for (const u of udpListeners) void u.close();
      throw err;
    }
  }

  store.start();

  // -o idle_timeout: close TCP connections that sent no command for that
  // long (memcached leaves unix-socket connections alone).
  const idleMs = settings.idleTimeout * 1000;
  const idleSweep =
    idleMs > 0 && settings.unixSocket === undefined
      ? setInterval(() => {
          const now = Date.now();
          for (const conn of open) conn.closeIfIdle(now, idleMs);
        }, Math.min(IDLE_SWEEP_MS, idleMs)).unref()
      : undefined;

  let metrics: MetricsServer | undefined;
  if (settings.metricsListen !== undefined) {
    try {
      metrics = await startMetricsServer(settings.metricsListen, context.sources);
    } catch (err) {
      for (const l of listeners) l.close();
      if (idleSweep) clearInterval(idleSweep);
      store.stop();
      throw err;
    }
  }

  const close = (): Promise<void> => {
    closing ??= (async () => {
      counters.acceptingConns = 0;
      if (idleSweep) clearInterval(idleSweep);
      const stopped = listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
      for (const conn of open) conn.shutdown();
      if (open.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            // Clients that do not take their replies are cut off.
            for (const conn of open) conn.destroy();
          }, opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
          onLastClosed = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      // A listener's close completes once its last socket is gone; a TLS
      // client stuck in its handshake is not waited for beyond the grace period.
      await Promise.race([Promise.all(stopped), delay(opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS)]);
      if (metrics) await metrics.close();
      for (const u of udpListeners) await u.close();
      store.stop();
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
    connections: () => open,
    close,
  };
}

function createStoreFor(settings: Settings, clock: Clock | undefined): CacheStore {
  return createStore({
    memoryLimitBytes: settings.maxBytes,
    itemSizeMax: settings.itemSizeMax,
    evictionPolicy: settings.evictionPolicy,
    casEnabled: settings.casEnabled,
    mergeSegments: settings.mergeSegments,
    ...(settings.hashPowerInit > 0 ? { hashPower: settings.hashPowerInit } : {}),
    ...(clock ? { clock } : {}),
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** With TLS: the server options, and the cap on TCP sockets (handshaking or not). */
interface TlsListen {
  options: TlsOptions;
  maxSockets: number;
}

function listen(options: net.ListenOptions, tlsListen: TlsListen | undefined, onSocket: (s: Socket) => void): Promise<Server> {
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
      secure.on('tlsClientError', () => {});
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
function removeStaleSocket(path: string): void {
  try {
    if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Let listen report the real problem.
  }
}

function listenerInfo(id: number, addr: string): ConnectionInfo {
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

/** `-l` entries: `host`, `host:port`, `[v6]` or `[v6]:port`. */
export function parseListenEntry(entry: string): { host: string; port: number | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] === undefined ? undefined : Number(bracketed[2]) };
  const colon = entry.indexOf(':');
  if (colon >= 0 && colon === entry.lastIndexOf(':')) {
    const port = entry.slice(colon + 1);
    if (/^\d+$/.test(port)) return { host: entry.slice(0, colon), port: Number(port) };
  }
  return { host: entry, port: undefined };
}

function describePeer(socket: Socket, listenAddr: string): string {
  if (socket.remoteAddress === undefined) return listenAddr;
  return `tcp:${formatHostPort(socket.remoteAddress, socket.remotePort ?? 0)}`;
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
