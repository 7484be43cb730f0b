// Writes to a plain TCP or Unix socket that skip Node's Writable layer.
//
// A reply leaves through socket.write(): Writable.write, its state machine,
// then Socket._writeGeneric, which hands the bytes to the handle (libuv
// tries the write at once), and, even when the kernel took every byte, a
// process.nextTick per write to finish the Writable's bookkeeping. A
// connection writes once per read, so that tick and bookkeeping are paid per
// request. This writer calls Socket._writeGeneric itself (a net.Socket
// method since Node's first releases, but undocumented) with one callback per
// connection, and keeps the Writable's accounting itself:
// - `queued` counts the bytes of writes the kernel has not finished
//   (libuv queued them), as socket.writableLength does for written chunks;
// - `onDrained` runs when the last of those finishes, where the socket
//   would emit 'drain';
// - a failed write destroys the socket with the error, as Writable does
//   ('error', then 'close').
// socket.end() still goes through the Writable, which has nothing buffered,
// and libuv sends the FIN after the queued writes.
//
// Used only on sockets whose reads are direct (direct-reads.ts: plain
// sockets); TLS sockets encrypt in their Writable path and keep it.
// Declines (returns null) when the method is missing.
// GROW_A_CACHE_STREAM_WRITES=1 turns it off (comparisons, and a way out).

import type { Socket } from 'node:net';

type Done = (err?: Error | null) => void;
interface Internal {
  _writeGeneric?: (writev: boolean, data: unknown, encoding: string, cb: Done) => void;
}

const disabled = process.env.GROW_A_CACHE_STREAM_WRITES === '1';

export class DirectWriter {
  /** Bytes of writes libuv has not finished yet. */
  queued = 0;
  /** Sizes of those writes, oldest first (they finish in order). */
  private readonly inFlight: number[] = [];
  /** True while _writeGeneric runs: a callback then is a write that finished at once. */
  private writing = false;
  private finishedNow = false;
  private readonly done: Done;

  private constructor(
    private readonly socket: Socket,
    private readonly writeGeneric: NonNullable<Internal['_writeGeneric']>,
    onDrained: () => void,
  ) {
    this.done = (err) => {
      if (this.writing) {
        this.finishedNow = true;
        if (err) this.fail(err);
        return;
      }
      this.queued -= this.inFlight.shift() ?? 0;
      if (err) this.fail(err);
      else if (this.queued === 0 && !this.socket.destroyed) onDrained();
    };
  }

  /** A writer for `socket`, or null when it cannot write directly. */
  static for(socket: Socket, onDrained: () => void): DirectWriter | null {
    const writeGeneric = (socket as unknown as Internal)._writeGeneric;
    if (disabled || typeof writeGeneric !== 'function') return null;
    return new DirectWriter(socket, writeGeneric, onDrained);
  }

  /** Write `data` (`bytes` long) after everything written before. */
  write(data: Buffer | Buffer[], bytes: number): void {
    this.writing = true;
    this.finishedNow = false;
    try {
      if (Array.isArray(data)) {
        // Socket's writev path takes Writable's entries; allBuffers says all are Buffers.
        const entries = Object.assign(
          data.map((chunk) => ({ chunk, encoding: 'buffer' })),
          { allBuffers: true },
        );
        this.writeGeneric.call(this.socket, true, entries, '', this.done);
      } else {
        this.writeGeneric.call(this.socket, false, data, 'buffer', this.done);
      }
    } finally {
      this.writing = false;
    }
    if (!this.finishedNow) {
      this.queued += bytes;
      this.inFlight.push(bytes);
    }
  }

  private fail(err: Error): void {
    if (!this.socket.destroyed) this.socket.destroy(err);
  }
}
