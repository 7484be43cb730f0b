// Reads of a plain TCP or Unix socket straight into one buffer per thread,
// bypassing Node's Readable stream (no 'data' event, no Buffer per read).
//
// Node offers this as the documented `onread` option of `new net.Socket()` /
// `net.connect()`: the handle reads into a user buffer and calls back with
// the byte count. It does not offer it for sockets a server accepts (or a
// worker receives by transfer): those are constructed inside node:net. So
// this module installs the same three things the constructor would (the
// buffer and callback under node:net's own symbols, then
// `handle.useUserBuffer()`), which means it relies on Node internals:
// - the symbols are found by description on the socket ('kBuffer',
//   'kBufferCb', 'kBufferGen', all own properties set to null by the
//   constructor); the handle's useUserBuffer() must exist;
// - anything unexpected (a symbol missing or already set, no such method,
//   a TLS socket, input already buffered by the stream) makes it decline,
//   and the caller reads through 'data' as before. Every accepted socket is
//   checked, so a Node that changes these internals only loses the speed-up.
// Pause/resume, 'end' and errors keep working: Socket.pause()/resume() stop
// and restart the handle's reads when a user buffer is set, and EOF still
// ends the Readable side (the read path pushes null and reads 0).
//
// The buffer is shared by every connection of the thread, so the callee
// must be done with the bytes when the callback returns: a connection runs
// what it can and copies a partial request into its own InputBuffer. The
// one request that outlives its read (the rest of a multi-get waiting for
// the client to read) already copies its keys (KeyList.rest).
//
// Not for TLS sockets: their reads are decrypted by TLSWrap and delivered
// through the stream layer; they keep the 'data' path.
//
// GROW_A_CACHE_STREAM_READS=1 turns it off (comparisons, and a way out).

import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** What one read delivered: a view of the shared buffer, valid until the callback returns. */
export type DirectRead = (chunk: Buffer) => void;

/** Bytes per read (what Node's stream path asks libuv for, too). */
const READ_BYTES = 64 * 1024;
/**
 * Views of the shared buffer are made once per length up to this many
 * bytes and handed out again (a request-sized read has one of a few
 * lengths): no view object per read. Longer reads get a fresh view.
 */
const CACHED_VIEWS = 4096;

interface Slots {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

/** The thread's read buffer, made on first use. */
let shared: Buffer | null = null;
/** views[n] = shared[0, n), made when first needed. */
const views: Array<Buffer | undefined> = [];

function viewOf(buf: Buffer, bytes: number): Buffer {
  if (bytes === buf.length) return buf;
  if (buf !== shared || bytes > CACHED_VIEWS) return buf.subarray(0, bytes);
  return (views[bytes] ??= buf.subarray(0, bytes));
}
const disabled = process.env.GROW_A_CACHE_STREAM_READS === '1';

type Internal = Record<symbol, unknown> & { _handle?: { useUserBuffer?: (buf: Uint8Array) => void } | null };

function slotsOf(socket: Socket): Slots | null {
  let buffer: symbol | undefined;
  let callback: symbol | undefined;
  let generator: symbol | undefined;
  for (const s of Object.getOwnPropertySymbols(socket)) {
    if (s.description === 'kBuffer') buffer = s;
    else if (s.description === 'kBufferCb') callback = s;
    else if (s.description === 'kBufferGen') generator = s;
  }
  if (buffer === undefined || callback === undefined || generator === undefined) return null;
  return { buffer, callback, generator };
}

/**
 * Deliver `socket`'s reads to `onRead` from the thread's shared buffer.
 * Call before the first read arrives (synchronously on accept or receipt).
 * Returns false when it did not apply; then nothing was changed.
 */
export function readDirect(socket: Socket, onRead: DirectRead): boolean {
  if (disabled || !(socket instanceof Socket) || socket instanceof TLSSocket) return false;
  const s = socket as unknown as Internal;
  const handle = s._handle;
  if (handle === undefined || handle === null || typeof handle.useUserBuffer !== 'function') return false;
  if (socket.readableLength > 0 || socket.readableEnded) return false;
  const slots = slotsOf(socket);
  if (slots === null) return false;
  if (s[slots.buffer] !== null || s[slots.callback] !== null || s[slots.generator] !== null) return false;
  const buf = (shared ??= Buffer.allocUnsafe(READ_BYTES));
  s[slots.buffer] = buf;
  s[slots.callback] = (bytes: number, into: Buffer): void => onRead(viewOf(into, bytes));
  handle.useUserBuffer(buf);
  return true;
}
