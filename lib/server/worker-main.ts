// A worker thread of a -t N server: its own event loop and connections,
// the shared store attached under its own thread slot. Sockets arrive from
// the main thread (threaded-server.ts), already accepted and untouched; the
// worker applies -c (one counter in shared memory for all workers), wraps
// TLS, and serves them like the single-loop server does. `stats` here sums
// every thread (CounterBlocks, the store's totals()), `stats conns` reads
// the shared ConnTable, `verbosity` and `stats detail on|off` write shared
// cells, `stats detail dump` reads the shared prefix table, and `watch`
// events go to this worker's watch ring while its watchers read every
// thread's (lib/observability/watch-rings.ts). Log
// lines go to the main thread whole, one message each, so lines from
// different workers never interleave.

import { parentPort, workerData } from 'node:worker_threads';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Connection } from './connection.js';
import { BINARY, ConnectionHost, TEXT, describePeer, rejectOverLimit } from './connection-host.js';
import { createServerContext } from './server-context.js';
import { CounterBlocks } from '../observability/server-stats.js';
import { createSharedCommandLog } from '../observability/logger.js';
import { ConnTable } from './conn-table.js';
import { CONTROL_DETAIL, CONTROL_NEXT_ID, CONTROL_OPEN, CONTROL_VERBOSITY } from './thread-protocol.js';
import { WatchRings } from '../observability/watch-rings.js';
import { watchBus } from '../observability/watch-bus.js';
import { PrefixStats } from '../observability/prefix-stats.js';
import { watchEvictions } from '../respond/watch-command.js';
import type { FromWorker, ToWorker, WorkerData } from './thread-protocol.js';
import { attachAdvisedStore } from '../advisor/threaded-advisor.js';
import { acceptPeer, splitNoTls, tlsServerOptions } from './tls.js';
import { asciiAuthHandler, loadAuthFile } from '../auth/ascii-auth.js';
import { createSaslVerifier } from '../auth/sasl.js';
import type { ConnectionInfo } from './context.js';
import { startUdp, udpInfo } from './udp.js';
import { configureLoopYield, yieldBudgetMs } from './loop-yield.js';
import type { UdpListener } from './udp.js';
import { adoptTransferred } from './adopt-transferred.js';

/** A TLS client must finish its handshake within this long. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How often connection states are published for other threads' `stats conns`. */
const PUBLISH_MS = 1000;

const port = parentPort;
if (port === null) throw new Error('worker-main.ts runs only as a worker thread');
const data = workerData as WorkerData;
const { settings } = data;
// More workers than cores: each gives its core away after a stretch of unbroken work (loop-yield.ts).
configureLoopYield(yieldBudgetMs(process.env, availableParallelism(), data.workers));
/** Shared by every worker (structured clone hands over a Uint8Array; tls wants a Buffer). */
const ticketKeys = data.tlsTicketKeys === undefined ? undefined : Buffer.from(data.tlsTicketKeys);
const send = (msg: FromWorker): void => port.postMessage(msg);

const control = new Int32Array(data.control);
// `verbosity` on any thread changes the level (and `stats settings`) for all.
Object.defineProperty(settings, 'verbosity', {
  get: () => control[CONTROL_VERBOSITY],
  set: (v: number) => {
    control[CONTROL_VERBOSITY] = v;
  },
});
// `stats detail on|off` on any thread switches per-prefix counting for all.
Object.defineProperty(settings, 'detailEnabled', {
  enumerable: true,
  get: () => control[CONTROL_DETAIL] === 1,
  set: (v: boolean) => {
    control[CONTROL_DETAIL] = v ? 1 : 0;
  },
});
// watch: this worker's events go to its ring; its watchers read every thread's.
watchBus.attachShared(new WatchRings(data.watch, data.index), data.index);
const log = createSharedCommandLog(control, CONTROL_VERBOSITY, (line) => send({ t: 'log', line }));
const blocks = new CounterBlocks(data.workers, data.counters, data.startedAtMs);
const counters = blocks.block(1 + data.index);
const table = new ConnTable(settings.maxConns, data.conns);
const store = attachAdvisedStore(data.store, data.index, data.advisor, data.index);
// Inline evictions (when the housekeeper falls behind) reach watchers in any worker.
watchEvictions(store);
const listenAddrs = data.listeners.map((l) => l.addr);
const listenerInfos: ConnectionInfo[] = data.listeners.map((l) => ({
  id: l.id,
  addr: l.addr,
  listenAddr: '',
  state: 'conn_listening',
  get secsSinceLastCmd(): number {
    return Math.floor((Date.now() - data.startedAtMs) / 1000);
  },
}));

/** Slot in the ConnTable of each of this worker's connections. */
const slots = new Map<Connection, number>();

function publish(): void {
  const now = Date.now();
  for (const [conn, slot] of slots) table.update(slot, conn.state, Math.floor(now / 1000) - conn.secsSinceLastCmd);
}

const context = createServerContext({
  settings,
  store,
  log,
  sasl: settings.saslEnabled && settings.saslPwdb ? createSaslVerifier(settings.saslPwdb) : undefined,
  counters,
  reportedCounters: blocks.totals(),
  storeCounters: () => store.totals(),
  prefixStats: new PrefixStats(settings.prefixDelimiter.charCodeAt(0), data.prefixes, data.index),
  connections: () => {
    publish();
    return [...listenerInfos, ...table.list(Math.floor(Date.now() / 1000), listenAddrs)];
  },
  onShutdown: (graceful) => send({ t: 'shutdown', graceful }),
  // refresh_certs: read the files here, and hand what was read to every
  // worker through the main thread, so all serve the same certificate.
  ...(settings.tlsEnabled && settings.unixSocket === undefined
    ? {
        tlsCertsLoadedAtMs: () => certsLoadedAtMs,
        refreshCerts: (): string | null => {
          try {
            const fresh = tlsServerOptions(settings, ticketKeys);
            useCerts(fresh);
            send({ t: 'certs', options: fresh });
            return null;
          } catch (err) {
            return `${err instanceof Error ? err.message : String(err)}\r\n`;
          }
        },
      }
    : {}),
});
const auth = settings.authFile !== undefined ? asciiAuthHandler(loadAuthFile(settings.authFile)) : undefined;
const host = new ConnectionHost(context, auth);
const publisher = setInterval(publish, PUBLISH_MS).unref();
let draining = false;

/** -c over all workers: one shared count, taken before a connection is served. */
function admit(socket: Socket, listener: number): void {
  if (draining) {
    socket.destroy();
    return;
  }
  if (Atomics.add(control, CONTROL_OPEN, 1) >= settings.maxConns) {
    Atomics.sub(control, CONTROL_OPEN, 1);
    rejectOverLimit(socket, counters);
    return;
  }
  const id = Atomics.add(control, CONTROL_NEXT_ID, 1);
  const listenAddr = listenAddrs[listener] ?? '';
  const addr = describePeer(socket, listenAddr);
  const slot = table.claim(id, data.index, addr, listener, Math.floor(Date.now() / 1000));
  const conn = host.adopt(socket, {
    id,
    addr,
    listenAddr,
    onClose: (c) => {
      slots.delete(c);
      if (slot >= 0) table.release(slot);
      Atomics.sub(control, CONTROL_OPEN, 1);
    },
  });
  if (slot >= 0) slots.set(conn, slot);
}

// -Z: per listener a TLS server that never listens; each handed-over socket
// is fed to the one of its listener.
// Listener i is -l entry i; one with `notls:` has no front (plain TCP).
const tlsOptions = settings.tlsEnabled && settings.unixSocket === undefined ? tlsServerOptions(settings, ticketKeys) : undefined;
const secure =
  tlsOptions === undefined
    ? undefined
    : listenAddrs.map((_, listener) => (splitNoTls(settings.listen[listener] ?? '').noTls ? undefined : tlsFront(tlsOptions, listener)));
/** When the certificate in use was read (time_since_server_cert_refresh). */
let certsLoadedAtMs = data.startedAtMs;
/** New handshakes on every TLS front use `options` (refresh_certs). */
function useCerts(options: tls.TlsOptions): void {
  for (const front of secure ?? []) front?.setSecureContext(options);
  certsLoadedAtMs = Date.now();
}

function tlsFront(options: tls.TlsOptions, listener: number): tls.Server {
  const server = tls.createServer({ ...options, allowHalfOpen: true, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS });
  server.on('secureConnection', (s: TLSSocket) => {
    if (!acceptPeer(s, settings.tlsVerifyMode)) {
      log.line(1, 'TLS client certificate did not verify, closing');
      s.destroy();
      return;
    }
    admit(s, listener);
  });
  // Failed handshakes (wrong certificate, plain text on the TLS port) only close that socket.
  server.on('tlsClientError', () => counters.sslHandshakeErrors++);
  return server;
}

port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'conn': {
      // Out of deserialization the socket has slow (dictionary) properties: served as a fresh one.
      const sock = adoptTransferred(msg.sock);
      // A client that shuts down its side still gets the replies to everything it sent.
      sock.allowHalfOpen = true;
      const front = secure?.[msg.listener];
      if (front) front.emit('connection', sock);
      else admit(sock, msg.listener);
      break;
    }
    case 'certs':
      useCerts(msg.options);
      break;
    case 'drain':
      draining = true;
      // The shared fd: the first close ends accepting for every worker.
      unixServer?.close();
      for (const u of udpListeners) void u.close();
      clearInterval(publisher);
      void host.drain(data.closeTimeoutMs).then(() => send({ t: 'drained' }));
      break;
  }
});

// -s: accept on the shared unix listener (see WorkerData.unixListen).
let unixServer: net.Server | undefined;
let unixFd: number | undefined;
if (data.unixListen !== undefined) {
  const where = data.unixListen;
  unixServer = net.createServer({ allowHalfOpen: true }, (s) => admit(s, 0));
  unixServer.on('error', () => {
    // Accept errors (EMFILE...) must not crash the worker.
  });
  await new Promise<void>((resolve, reject) => {
    const server = unixServer as net.Server;
    server.once('error', reject);
    const options = 'fd' in where ? { fd: where.fd } : { path: where.path, backlog: where.backlog };
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (!('fd' in data.unixListen)) unixFd = (unixServer as unknown as { _handle: { fd: number } })._handle.fd;
}

// -U: this worker's share of the UDP port (see udp.ts).
const udpListeners: UdpListener[] = [];
if (data.udp !== undefined) {
  const { hosts, port: udpPort, ids } = data.udp;
  const seconds = new Int32Array(data.udp.lastRequest);
  for (const [h, udpHost] of hosts.entries()) {
    const stamp = { seconds, index: h * data.workers + data.index };
    udpListeners.push(await startUdp(udpHost, udpPort, context, TEXT, BINARY, host.limits, true, stamp));
  }
  // `stats conns` lists every worker's sockets, as memcached lists every thread's.
  for (let i = 0; i < ids.length; i++) {
    listenerInfos.push(udpInfo(ids[i]!, hosts[Math.floor(i / data.workers)]!, udpPort, () => seconds[i]! * 1000));
  }
}

send(unixFd === undefined ? { t: 'ready' } : { t: 'ready', unixFd });
