// The connections one event loop serves: turns accepted sockets into
// Connections, keeps the open set, runs the -o idle_timeout sweep and drains
// them all on shutdown. The single-loop server (server.ts) and each worker
// thread (worker-main.ts) own one; the -c check and listening are theirs.

import type { Socket } from 'node:net';
import { Connection } from './connection.js';
import type { ProtocolHandler } from './connection.js';
import type { ServerContext } from './context.js';
import type { ServerCounters } from '../observability/server-stats.js';
import { REPLY } from '../../protocol/text/replies.js';
import { formatConnectionClosed, formatNewConnection } from '../observability/logger.js';
import { WATCH, watchBus } from '../observability/watch-bus.js';
import { publishConnection } from '../respond/watch-command.js';
import { parseTextRequest } from '../../protocol/text/parse.js';
import { parseBinaryRequest } from '../../protocol/binary/parse.js';
import { respondText } from '../respond/respond-text.js';
import { respondBinary } from '../respond/respond-binary.js';
import type { ParserLimits } from '../../protocol/request.js';

/** Keys longer than this are refused, as memcached. */
const MAX_KEY_BYTES = 250;
/** How often -o idle_timeout looks for idle connections (memcached: about once a second). */
const IDLE_SWEEP_MS = 1000;

/** How long a refused connection may stay half-open before it is dropped. */
const REJECT_LINGER_MS = 2000;

/** The handlers connections use; one set per thread. */
export const TEXT: ProtocolHandler = { parse: parseTextRequest, respond: respondText };
export const BINARY: ProtocolHandler = { parse: parseBinaryRequest, respond: respondBinary };

export interface AdoptedSocket {
  /** Unique in the process (memcached prints the fd): logs and `stats conns`. */
  id: number;
  addr: string;
  listenAddr: string;
  /** Called once after the connection has closed and left the set. */
  onClose?: (conn: Connection) => void;
}

export class ConnectionHost {
  readonly open = new Set<Connection>();
  private readonly ctx: ServerContext;
  private readonly auth: ProtocolHandler | undefined;
  readonly limits: ParserLimits;
  private readonly idleSweep: NodeJS.Timeout | undefined;
  /** Set while drain() waits for the last connection to go. */
  private onLastClosed: (() => void) | undefined;

  constructor(ctx: ServerContext, auth: ProtocolHandler | undefined) {
    this.ctx = ctx;
    this.auth = auth;
    this.limits = { maxValueBytes: ctx.settings.itemSizeMax, maxKeyBytes: MAX_KEY_BYTES, itemSizeMax: ctx.settings.itemSizeMax, casEnabled: ctx.settings.casEnabled };
    // -o idle_timeout: close TCP connections that sent no command for that
    // long (memcached leaves unix-socket connections alone).
    const idleMs = ctx.settings.idleTimeout * 1000;
    this.idleSweep =
      idleMs > 0 && ctx.settings.unixSocket === undefined
        ? setInterval(() => {
            const now = Date.now();
            for (const conn of this.open) conn.closeIfIdle(now, idleMs);
          }, Math.min(IDLE_SWEEP_MS, idleMs)).unref()
        : undefined;
  }

  /** Serve `socket` (already accepted and counted against -c by the caller). */
  adopt(socket: Socket, info: AdoptedSocket): Connection {
    const { counters, log } = this.ctx;
    counters.currConnections++;
    counters.totalConnections++;
    counters.connectionStructures = Math.max(counters.connectionStructures, counters.currConnections);
    const conn = new Connection(socket, {
      ctx: this.ctx,
      text: TEXT,
      binary: BINARY,
      ...(this.auth ? { auth: this.auth } : {}),
      limits: this.limits,
      id: info.id,
      addr: info.addr,
      listenAddr: info.listenAddr,
      onClose: (c) => {
        if (watchBus.flags & WATCH.CONNEVENTS) publishConnection('conn_close', c.addr, c.id, c.closeReason);
        this.open.delete(c);
        counters.currConnections--;
        log.line(2, formatConnectionClosed(c.id));
        info.onClose?.(c);
        if (this.open.size === 0 && this.onLastClosed) this.onLastClosed();
      },
    });
    this.open.add(conn);
    if (watchBus.flags & WATCH.CONNEVENTS) publishConnection('conn_new', conn.addr, info.id);
    log.line(2, formatNewConnection(info.id));
    return conn;
  }

  /**
   * Answer what every connection already sent, close them, and resolve once
   * the last is gone; clients still open after `timeoutMs` are cut off.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.idleSweep) clearInterval(this.idleSweep);
    for (const conn of this.open) conn.shutdown();
    if (this.open.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // Clients that do not take their replies are cut off.
        for (const conn of this.open) conn.destroy();
      }, timeoutMs);
      this.onLastClosed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Over -c: memcached's maxconns_fast, tell the client and hang up. */
export function rejectOverLimit(socket: Socket, counters: ServerCounters): void {
  counters.rejectedConnections++;
  socket.on('error', () => {});
  socket.end(REPLY.ERROR_TOO_MANY_CONNECTIONS);
  socket.resume();
  setTimeout(() => socket.destroy(), REJECT_LINGER_MS).unref();
}

/** `tcp:host:port` of the peer; a unix-socket peer is shown as its listener, as memcached does. */
export function describePeer(socket: Socket, listenAddr: string): string {
  if (socket.remoteAddress === undefined) return listenAddr;
  return `tcp:${formatHostPort(socket.remoteAddress, socket.remotePort ?? 0)}`;
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
