// The -t N server (N > 1): N worker threads (worker-main.ts), each with its
// own event loop and connections, over one store in shared memory, plus a
// housekeeping thread (housekeeper-main.ts) that runs the store's expiry and
// merges off the request path. The main thread listens, hands each accepted
// socket to a worker, serves /metrics, relays log lines and runs shutdown.
//
// Spreading connections, the choice: the main thread accepts (listen with
// pauseOnConnect) and transfers the untouched socket to a worker
// (postMessage with a transfer list, Node 24+), round robin, as memcached's
// dispatcher does. Measured against each worker listening with reusePort
// (node dist/benchmarks/thread-spread.js 4 200: 200 connections opened one
// at a time, 4 workers, 2 busy vCPUs, two runs): hand-off splits them
// exactly 50/50/50/50 where reusePort's 4-tuple hash gave 57/44/40/59 and
// 41/53/48/58; hand-off costs more per new connection (connect to first
// answer, median 0.9 and 3.1 ms against reusePort's 0.36 and 0.40 ms and a
// single loop's 0.17-0.21 ms; the machine was loaded, the spread is wide).
// memcached clients keep their connections, so that one-time cost is not on
// the request path, while an uneven split is paid on every request for the
// connection's life. Hand-off also works the same for TLS (the worker does
// the handshake) and does not depend on a Linux-only socket option.
// UDP (-U): every worker binds the port itself with SO_REUSEPORT (udp.ts).
// Unix sockets (-s) are the exception: Node transfers only TCP handles and
// reusePort does not apply to them, so with -s worker 0 listens on the path
// and the other workers listen on the same fd (the kernel gives each
// connection to one of them). Closing that fd at shutdown ends accepting for
// all workers at once, which is what shutdown wants; a crash of worker 0
// would end it too (a restarted worker cannot reopen it).
//
// Shared memory: the store (createSharedStore/attachStore), the server
// counters (CounterBlocks: one block per thread, summed on read), the open
// connections (ConnTable, for `stats conns` on any thread) and a few control
// cells (thread-protocol.ts: the global -c count, the log level, the next
// connection id, `stats detail on|off`), the `stats detail` table
// (prefix-stats.ts) and the watch rings (watch-rings.ts: every thread's
// watch events, read by the workers that hold watchers). Log lines from workers arrive here as whole lines and are
// written one by one, so they never interleave.
//
// Faults: a worker that throws is logged (always, whatever -v says), its
// connections are dropped and forgotten, and a new worker takes its place;
// the others keep serving. SIGTERM and friends (lib/cli/main.ts) call close():
// stop accepting, let every worker answer what it read and close, exit.

import net from 'node:net';
import { chmodSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Settings } from '../cli/settings.js';
import type { ConnectionInfo } from './context.js';
import type { RunningServer, ServerOptions } from './server.js';
import { boundTcp, DEFAULT_CLOSE_TIMEOUT_MS, startMetricsServerLazily, delay, listenerInfo, listenPort, parseListenEntry, removeStaleSocket, storeOptionsFor } from './server.js';
import type { BoundPort } from './server.js';
import { EPHEMERAL_PORT } from '../cli/settings.js';
import { formatHostPort } from './connection-host.js';
import { createServerContext } from './server-context.js';
import { CounterBlocks } from '../observability/server-stats.js';
import { createSharedCommandLog, stderrSink } from '../observability/logger.js';
import type { MetricsServer } from '../observability/metrics.js';
import { ConnTable } from './conn-table.js';
import { CONTROL_CELLS, CONTROL_DETAIL, CONTROL_NEXT_ID, CONTROL_OPEN, CONTROL_VERBOSITY } from './thread-protocol.js';
import { newWatchRingsMemory, ringBytesFor, WatchRings } from '../observability/watch-rings.js';
import { newPrefixStatsMemory, PrefixStats } from '../observability/prefix-stats.js';
import type { FromWorker, HousekeeperData, ListenerInfo, ToWorker, WorkerData } from './thread-protocol.js';
import { createSharedStore } from '../../segments/shared-store.js';
import { attachAdvisedStore, newThreadedAdvisor } from '../advisor/threaded-advisor.js';
import { restoreAtStart } from './warm-restart.js';
import { newTicketKeys, tlsServerOptions } from './tls.js';
import { holdEphemeralUdpPort, probeUdpPort, udpFamily } from './udp.js';
import { createSaslVerifier } from '../auth/sasl.js';
import { loadAuthFile } from '../auth/ascii-auth.js';
import { THREAD_OPTIONS, threadEntry } from './thread-entry.js';
import { startHousekeeperThread } from './housekeeper-thread.js';

const WORKER_URL = threadEntry('worker-main');

export async function startThreadedServer(settings: Settings, opts: ServerOptions): Promise<RunningServer> {
  const sink = opts.logSink ?? stderrSink;
  const workers = settings.threads;
  const closeTimeoutMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  // Files are read (and refused, with the CLI's exit codes) before any thread starts.
  if (settings.saslEnabled && settings.saslPwdb) createSaslVerifier(settings.saslPwdb);
  if (settings.authFile !== undefined) loadAuthFile(settings.authFile);
  if (settings.tlsEnabled && settings.unixSocket === undefined) tlsServerOptions(settings);
  // One set for the server's life: a respawned worker resumes the others' sessions.
  const tlsTicketKeys = settings.tlsEnabled ? newTicketKeys() : undefined;

  const control = new Int32Array(new SharedArrayBuffer(CONTROL_CELLS * Int32Array.BYTES_PER_ELEMENT));
  control[CONTROL_VERBOSITY] = settings.verbosity;
  control[CONTROL_DETAIL] = settings.detailEnabled ? 1 : 0;
  // `stats detail on|off` from any worker switches counting for all (and `stats settings` here).
  Object.defineProperty(settings, 'detailEnabled', {
    enumerable: true,
    configurable: true,
    get: () => control[CONTROL_DETAIL] === 1,
    set: (v: boolean) => {
      control[CONTROL_DETAIL] = v ? 1 : 0;
    },
  });
  // watch: a ring per worker and one for the housekeeper; workers read them (watch-rings.ts).
  const watchMemory = newWatchRingsMemory(workers + 1, workers, ringBytesFor(settings.workerLogbufSize));
  const watchRings = new WatchRings(watchMemory, -1);
  const prefixMemory = newPrefixStatsMemory(workers);
  const log = createSharedCommandLog(control, CONTROL_VERBOSITY, sink);
  const blocks = new CounterBlocks(workers);
  /** This thread's block: accepting_conns. */
  const counters = blocks.block(0);
  const table = new ConnTable(settings.maxConns);
  const storeHandle = createSharedStore(storeOptionsFor(settings, undefined), { maxThreads: workers + 2, writerThreads: workers });
  // Thread slots: workers 0..N-1, the housekeeper N, this thread N + 1.
  // -o advisor: one ring per worker plus this thread's, drained by the housekeeper.
  const advisor = settings.advisor ? newThreadedAdvisor(workers + 1, settings.advisorRate) : undefined;
  const store = attachAdvisedStore(storeHandle, workers + 1, advisor, workers);
  // -e: restored before any thread serves or anything listens, so connections are refused until it is done.
  const warmRestart = settings.memoryFile !== undefined ? restoreAtStart(store, settings.memoryFile, log, counters, settings.warmRestartSync) : undefined;
  /** Save under the store lock: a stop that cannot wait may save while workers still serve. */
  const saveImage = (): void => {
    if (warmRestart === undefined) return;
    // Quiet: optimistic readers make no marks while the image is checksummed and written.
    store.beginWrite(true);
    try {
      warmRestart.save();
    } finally {
      store.endWrite();
    }
  };

  const listenerInfos: ConnectionInfo[] = [];
  const listenAddrs: string[] = [];
  let closing: Promise<void> | undefined;
  let next = 0;
  const pool: Array<Worker | undefined> = [];

  /**
   * Connections accepted before the workers are up: the port is bound (and
   * connectable) before the workers start, and a client that connects at
   * once (memcached's test suite does) must be served, not closed.
   */
  let early: Array<[Socket, number]> | undefined = [];
  const handOver = (socket: Socket, listener: number): void => {
    if (closing) {
      socket.destroy();
      return;
    }
    if (early !== undefined) {
      // Bounded by -c: more than that could not be served anyway.
      if (early.length < settings.maxConns) early.push([socket, listener]);
      else socket.destroy();
      return;
    }
    // Round robin over the live workers, as memcached's dispatcher.
    for (let n = 0; n < workers; n++) {
      const worker = pool[next];
      next = (next + 1) % workers;
      if (worker === undefined) continue;
      const msg: ToWorker = { t: 'conn', sock: socket, listener };
      // A net.Socket is transferable from Node 24 (Unix); @types/node does not know it yet.
      worker.postMessage(msg, [socket] as never[]);
      return;
    }
    socket.destroy();
  };

  const listeners: Server[] = [];
  const boundPorts: BoundPort[] = [];
  let port = 0;
  let address = '';
  try {
    if (settings.unixSocket !== undefined) {
      // Workers listen themselves (see spawnWorker); here only the name.
      removeStaleSocket(settings.unixSocket);
      listenAddrs.push(`unix:${settings.unixSocket}`);
      address = settings.unixSocket;
    } else if (settings.port !== 0) {
      // With -p -1, addresses without their own port share the first ephemeral one.
      let sharedPort = listenPort(settings.port);
      for (const entry of settings.listen) {
        const { host, port: entryPort } = parseListenEntry(entry);
        const index = listeners.length;
        const server = await listenPaused({ host, port: entryPort ?? sharedPort, backlog: settings.backlog }, (s) => handOver(s, index));
        const bound = (server.address() as AddressInfo).port;
        listeners.push(server);
        boundPorts.push(boundTcp(server));
        listenAddrs.push(`tcp:${formatHostPort(host, bound)}`);
        if (entryPort === undefined && sharedPort === 0) sharedPort = bound;
        if (address === '') {
          port = bound;
          address = host;
        }
      }
    }
  } catch (err) {
    for (const l of listeners) l.close();
    throw err;
  }
  // -U: on the TCP listeners' addresses, as the single loop; refused here if another socket holds the port.
  const udpHosts = settings.udpPort !== 0 && settings.unixSocket === undefined ? settings.listen.map((e) => parseListenEntry(e).host) : [];
  // One UDP socket per host and worker, as memcached (SO_REUSEPORT per thread); in
  // `stats conns` they follow the TCP listeners, as memcached opens them after.
  const udpSockets = workers * udpHosts.length;
  // -U -1: held here until every worker has bound it (all hosts share it, as TCP's with -p -1).
  let udpHolder: { port: number; release: () => void } | undefined;
  try {
    if (udpHosts.length > 0 && settings.udpPort === EPHEMERAL_PORT) udpHolder = await holdEphemeralUdpPort(udpHosts[0]!);
  } catch (err) {
    for (const l of listeners) l.close();
    throw err;
  }
  const udpPort = udpHolder?.port ?? settings.udpPort;
  const udp =
    udpHosts.length > 0
      ? {
          hosts: udpHosts,
          port: udpPort,
          ids: Array.from({ length: udpSockets }, (_, i) => listenAddrs.length + 1 + i),
          lastRequest: new SharedArrayBuffer(4 * udpSockets),
        }
      : undefined;
  if (udp) new Int32Array(udp.lastRequest).fill(Math.floor(Date.now() / 1000));
  try {
    for (const [i, host] of (udp?.hosts ?? []).entries()) {
      if (i > 0 || udpHolder === undefined) await probeUdpPort(host, udpPort);
      boundPorts.push({ transport: 'UDP', family: udpFamily(host), port: udpPort });
    }
  } catch (err) {
    for (const l of listeners) l.close();
    udpHolder?.release();
    throw err;
  }
  opts.onListening?.(boundPorts);
  // Listeners take the first ids, as memcached lists its listening fds first.
  listenAddrs.forEach((addr, i) => listenerInfos.push(listenerInfo(i + 1, addr)));
  control[CONTROL_NEXT_ID] = listenAddrs.length + udpSockets + 1;
  const listenerList: ListenerInfo[] = listenerInfos.map((l) => ({ id: l.id, addr: l.addr }));

  const context = createServerContext({
    settings,
    store,
    log,
    sasl: undefined,
    // This thread serves no requests: its context (RunningServer.context, /metrics) reads the sums.
    counters: blocks.totals(),
    storeCounters: () => store.totals(),
    prefixStats: new PrefixStats(settings.prefixDelimiter.charCodeAt(0), prefixMemory, 0),
    connections: () => [...listenerInfos, ...table.list(Math.floor(Date.now() / 1000), listenAddrs)],
    // Graceful or not, the workers drain: they own the connections, and a
    // plain `shutdown` still answers nothing more once the stop begins.
    onShutdown: (graceful) => {
      if (opts.onShutdown) opts.onShutdown(graceful);
      else void close();
    },
  });

  const drained: Array<(() => void) | undefined> = [];

  /** -s: the listening fd worker 0 opened, shared by the others. */
  let unixFd: number | undefined;
  const unixListen = (): WorkerData['unixListen'] => {
    if (settings.unixSocket === undefined) return undefined;
    return unixFd === undefined ? { path: settings.unixSocket, backlog: settings.backlog } : { fd: unixFd };
  };

  const spawnWorker = (index: number): Promise<void> => {
    const listen = unixListen();
    const data: WorkerData = {
      ...(listen ? { unixListen: listen } : {}),
      ...(udp ? { udp } : {}),
      index,
      settings,
      store: storeHandle,
      ...(advisor ? { advisor } : {}),
      counters: blocks.buffer,
      watch: watchMemory,
      prefixes: prefixMemory,
      workers,
      conns: table.buffer,
      control: control.buffer as SharedArrayBuffer,
      listeners: listenerList,
      startedAtMs: counters.startedAtMs,
      closeTimeoutMs,
      ...(tlsTicketKeys ? { tlsTicketKeys } : {}),
    };
    const worker = new Worker(WORKER_URL, { ...THREAD_OPTIONS, workerData: data });
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: FromWorker) => {
        switch (msg.t) {
          case 'ready':
            if (msg.unixFd !== undefined) unixFd = msg.unixFd;
            ready = true;
            pool[index] = worker;
            resolve();
            break;
          case 'log':
            sink(msg.line);
            break;
          case 'shutdown':
            context.shutdown(msg.graceful);
            break;
          case 'certs': {
            // refresh_certs in one worker: every other worker takes the same certificate.
            const relay: ToWorker = { t: 'certs', options: msg.options };
            for (const w of pool) if (w !== undefined && w !== worker) w.postMessage(relay);
            break;
          }
          case 'drained':
            drained[index]?.();
            break;
        }
      });
      worker.on('error', (err) => {
        sink(`worker thread ${index} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        if (!ready) reject(err);
      });
      worker.on('exit', () => {
        if (pool[index] === worker) pool[index] = undefined;
        drained[index]?.();
        if (!ready || closing) return;
        // Its connections are gone with it: free their slots and the -c count.
        const freed = table.releaseWorker(index);
        Atomics.sub(control, CONTROL_OPEN, freed);
        blocks.block(1 + index).currConnections = 0;
        // Its watchers are gone too: producers stop writing for them.
        watchRings.forgetReader(index);
        sink(`worker thread ${index} exited; ${freed} connection(s) dropped, starting a new worker`);
        spawnWorker(index).catch(() => {});
      });
    });
  };

  const housekeeperData: HousekeeperData = { store: storeHandle, threadSlot: workers, watch: watchMemory, requestThreads: workers, ...(advisor ? { advisor } : {}) };
  const housekeeper = startHousekeeperThread(housekeeperData, sink);

  let metrics: MetricsServer | undefined;
  try {
    // Worker 0 first: with -s it opens the listener the others share.
    await spawnWorker(0);
    if (settings.unixSocket !== undefined) chmodSync(settings.unixSocket, settings.unixMask);
    await Promise.all(Array.from({ length: workers - 1 }, (_, i) => spawnWorker(i + 1)));
    // No request before the housekeeper runs: the first writes that need a refill find it.
    await housekeeper.ready;
    const waiting = early;
    early = undefined;
    for (const [socket, listener] of waiting) handOver(socket, listener);
    udpHolder?.release();
    if (settings.metricsListen !== undefined) metrics = await startMetricsServerLazily(settings.metricsListen, context.sources);
  } catch (err) {
    for (const [socket] of early ?? []) socket.destroy();
    for (const l of listeners) l.close();
    udpHolder?.release();
    for (const w of pool) void w?.terminate();
    void housekeeper.stop();
    throw err;
  }

  const close = (): Promise<void> => {
    closing ??= (async () => {
      counters.acceptingConns = 0;
      const stopped = listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
      // Every worker answers what it has read, closes its connections and says so.
      await Promise.all(
        pool.map(
          (worker, index) =>
            new Promise<void>((resolve) => {
              if (worker === undefined) return resolve();
              drained[index] = resolve;
              const msg: ToWorker = { t: 'drain' };
              worker.postMessage(msg);
            }),
        ),
      );
      await Promise.race([Promise.all(stopped), delay(closeTimeoutMs)]);
      // The housekeeper finishes its step first (housekeeper-thread.ts).
      await housekeeper.stop();
      await Promise.all(pool.map((w) => (w === undefined ? Promise.resolve(0) : w.terminate())));
      saveImage();
      if (metrics) await metrics.close();
      if (settings.unixSocket !== undefined) removeStaleSocket(settings.unixSocket);
    })();
    return closing;
  };

  return {
    port,
    address,
    context,
    metricsPort: metrics?.port,
    udpPort: udp?.port,
    bound: boundPorts,
    connections: () => [],
    close,
    saveImage,
  };
}

/** Listen without reading: accepted sockets go to a worker untouched. */
function listenPaused(options: net.ListenOptions, onSocket: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: a client that shuts down its side still gets the replies to everything it sent.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, onSocket);
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
