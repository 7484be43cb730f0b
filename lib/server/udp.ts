// -U: the text (and binary) protocol over UDP, framed as memcached frames
// it: every datagram starts with 8 bytes, request id, sequence number,
// datagram count and two reserved bytes (big-endian 16-bit fields).
//
// Requests must fit one datagram (memcached drops multi-datagram requests:
// count != 1). Each request of a datagram is answered by its own reply,
// cut into datagrams of at most 1400 bytes (1392 of data) numbered
// 0..count-1 and all carrying the request id, as memcached's transmit_udp.
// Nothing streams over UDP (lru_crawler metadump and watch are refused) and
// a reply is bounded by the get reply cap of the text responder.
//
// With -t N every worker thread binds the port with SO_REUSEPORT (the kernel
// gives each client address to one of them, so a client's replies come from
// one thread); the main thread first checks, with a plain bind, that nobody
// else holds the port (probeUdpPort), since SO_REUSEPORT would otherwise let
// a second server of the same user share it silently.

import dgram from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import type { ConnectionInfo, ServerContext, Session } from './context.js';
import { formatHostPort } from './connection-host.js';
import type { ProtocolHandler } from './connection.js';
import type { ParserLimits } from '../../protocol/request.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';
import { batchClock } from '../../segments/batch-clock.js';

export const UDP_HEADER_BYTES = 8;
/** memcached's UDP_MAX_PAYLOAD_SIZE, header included. */
export const UDP_MAX_PAYLOAD = 1400;
export const UDP_DATA_BYTES = UDP_MAX_PAYLOAD - UDP_HEADER_BYTES;
const MAX_DATAGRAMS = 0xffff;

export interface UdpListener {
  readonly port: number;
  /** When the last request datagram came (ms; the bind time before any): `stats conns` secs_since_last_cmd. */
  readonly lastRequestMs: number;
  close(): Promise<void>;
}

/**
 * A -U socket as memcached's `stats conns` shows it: its local address,
 * waiting to read, and the seconds since its last request (`lastRequestMs`).
 */
export function udpInfo(id: number, host: string, port: number, lastRequestMs: () => number): ConnectionInfo {
  return {
    id,
    addr: `udp:${formatHostPort(host, port)}`,
    listenAddr: '',
    state: 'conn_read',
    udp: true,
    get secsSinceLastCmd(): number {
      return Math.max(0, Math.floor((Date.now() - lastRequestMs()) / 1000));
    },
  };
}

/** One worker's socket among all workers' (-t N): where it stamps the second of its last request. */
export interface UdpStamp {
  readonly seconds: Int32Array;
  readonly index: number;
}

/** Split one reply into framed datagrams for request `requestId`. */
export function frameReply(requestId: number, reply: Buffer): Buffer[] {
  const total = Math.min(MAX_DATAGRAMS, Math.max(1, Math.ceil(reply.length / UDP_DATA_BYTES)));
  const out: Buffer[] = [];
  for (let seq = 0; seq < total; seq++) {
    const body = reply.subarray(seq * UDP_DATA_BYTES, (seq + 1) * UDP_DATA_BYTES);
    const datagram = Buffer.allocUnsafe(UDP_HEADER_BYTES + body.length);
    datagram.writeUInt16BE(requestId, 0);
    datagram.writeUInt16BE(seq, 2);
    datagram.writeUInt16BE(total, 4);
    datagram.writeUInt16BE(0, 6);
    body.copy(datagram, UDP_HEADER_BYTES);
    out.push(datagram);
  }
  return out;
}

function udpType(host: string): 'udp4' | 'udp6' {
  return host.includes(':') ? 'udp6' : 'udp4';
}

/** The address family a UDP socket on `host` binds (memcached's port file: INET or INET6). */
export function udpFamily(host: string): 'INET' | 'INET6' {
  return udpType(host) === 'udp6' ? 'INET6' : 'INET';
}

/** Bind `host:port` without SO_REUSEPORT and let go: rejects (EADDRINUSE...) when another socket holds it. */
export function probeUdpPort(host: string, port: number): Promise<void> {
  const socket = dgram.createSocket({ type: udpType(host), reuseAddr: false });
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, host, () => socket.close(() => resolve()));
  });
}

/**
 * -U -1 with worker threads: a port the kernel picks, held with SO_REUSEPORT
 * so each worker can bind it too; released once they have. A datagram the
 * holder takes meanwhile is lost, but none is sent to a port nobody was told.
 */
export function holdEphemeralUdpPort(host: string): Promise<{ port: number; release: () => void }> {
  const socket = dgram.createSocket({ type: udpType(host), reuseAddr: false, reusePort: true });
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(0, host, () => resolve({ port: socket.address().port, release: () => socket.close() }));
  });
}

export function startUdp(
  host: string,
  port: number,
  ctx: ServerContext,
  text: ProtocolHandler,
  binary: ProtocolHandler,
  limits: ParserLimits,
  reusePort = false,
  stamp?: UdpStamp,
): Promise<UdpListener> {
  const socket: UdpSocket = dgram.createSocket({ type: udpType(host), reuseAddr: false, reusePort });
  // One session for every datagram: UDP has no connection state.
  const session: Session = { id: 0, authenticated: true, closeAfterWrite: () => {}, replyRoom: Infinity, makeRoom: () => true, resumeAfterDrain: () => {} };
  const out = new ReplyWriter();
  let lastRequestMs = Date.now();
  socket.on('message', (msg, rinfo) => {
    ctx.counters.bytesRead += msg.length;
    // memcached ignores datagrams of 8 bytes or less and multi-datagram requests.
    if (msg.length <= UDP_HEADER_BYTES || msg.readUInt16BE(4) !== 1) return;
    const requestId = msg.readUInt16BE(0);
    const payload = msg.subarray(UDP_HEADER_BYTES);
    const handler = payload[0] === 0x80 ? binary : text;
    batchClock.hold();
    lastRequestMs = batchClock.nowMs();
    if (stamp !== undefined) stamp.seconds[stamp.index] = Math.floor(lastRequestMs / 1000);
    try {
      let offset = 0;
      while (offset < payload.length) {
        const result = handler.parse(payload, offset, limits);
        if (result.kind === 'incomplete') break;
        offset += result.consumed;
        if (result.kind === 'ok') {
          if (result.request.protocol === 'binary') ctx.counters.binaryRequests++;
          else ctx.counters.textRequests++;
          handler.respond(result.request, ctx, session, out);
        } else {
          out.writeBuffer(result.reply);
          if (result.kind === 'swallow' || result.close) break;
        }
        const taken = out.take();
        if (taken === null) continue;
        const reply = Array.isArray(taken) ? Buffer.concat(taken) : Buffer.from(taken);
        for (const datagram of frameReply(requestId, reply)) {
          ctx.counters.bytesWritten += datagram.length;
          socket.send(datagram, rinfo.port, rinfo.address);
        }
      }
    } finally {
      batchClock.release();
    }
  });
  socket.on('error', () => {
    // A failed send to one peer must not stop the listener.
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve({
        port: socket.address().port,
        get lastRequestMs(): number {
          return lastRequestMs;
        },
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}
