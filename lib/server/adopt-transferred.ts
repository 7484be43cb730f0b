// A socket another thread handed over, rebuilt as an ordinary net.Socket
// around the same handle before this thread serves it.
//
// Why: a net.Socket that arrives through postMessage (Node 24 transfers TCP
// sockets; threaded-server.ts hands each accepted connection to a worker
// this way) is made by deserialization: `new Socket()`, then its handle and
// flags installed. The object that comes out keeps its properties in V8's
// dictionary mode (checked with %HasFastProperties; a socket the thread
// accepts or constructs itself has fast properties). Every property load on
// it, in Node's read and write paths (onStreamRead, _writeGeneric) and in
// ours, is then a hash lookup through V8's generic load handlers instead of
// an inline cache: a worker's profile had `Builtins_LoadIC` and
// `KeyedLoadIC_PolymorphicName` at 5% of its samples, the main thread's at
// none (benchmarks/RESULTS.md, "Session 16").
//
// What it does: `new Socket({ handle })` over the received socket's handle
// (the constructor points the handle's owner and read callback at the new
// object), with the same allowHalfOpen, and `manualStart` so that nothing
// is read before the caller sets up its reads, as with the received socket.
// The received object gives up its handle and is dropped: it has no
// listeners, has read nothing and never will.
// Relies on Node internals: `_handle`, and the undocumented `handle` and
// `manualStart` options of the Socket constructor.
// Anything unexpected (no handle, data already buffered, the stream already
// ended or destroyed) leaves the received socket as it is, which only loses
// the speed-up. GROW_A_CACHE_KEEP_TRANSFERRED=1 keeps it always (the
// measured alternative).
//
// Not for Unix sockets (Node transfers only TCP handles; workers listen on
// a path themselves) nor for what happens to the socket next (worker-main.ts).

import { Socket, type SocketConstructorOpts } from 'node:net';

const disabled = process.env.GROW_A_CACHE_KEEP_TRANSFERRED === '1';

interface Internal {
  _handle?: object | null;
}

/** The socket to serve for `received`: a fresh one over its handle, or `received` itself when that cannot apply. */
export function adoptTransferred(received: Socket): Socket {
  const internal = received as unknown as Internal;
  const handle = internal._handle;
  if (disabled || handle === undefined || handle === null) return received;
  if (received.destroyed || received.readableEnded || received.readableLength > 0 || received.writableLength > 0) return received;
  const options = { handle, allowHalfOpen: received.allowHalfOpen, manualStart: true } as SocketConstructorOpts;
  const adopted = new Socket(options);
  // The handle is the new socket's now; the old object must never close it.
  internal._handle = null;
  return adopted;
}
