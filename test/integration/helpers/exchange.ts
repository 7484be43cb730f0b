// Raw byte exchanges with a server over loopback, for the tables of exact
// request/reply bytes.
//
// Completion never depends on timing: each exchange ends with `mn\r\n`
// and the reply is read until its `MN\r\n` (meta no-op answers in order,
// after everything sent before it), or until the server closes the
// connection for exchanges that end in a close. (Before -Y authentication
// the sentinel's answer is `CLIENT_ERROR unauthenticated` instead.)

import net from 'node:net';

const SENTINEL = Buffer.from('mn\r\n');
const SENTINEL_REPLY = Buffer.from('MN\r\n');

export interface ExchangeResult {
  /** Reply bytes, sentinel removed. */
  reply: Buffer;
  /** The server closed the connection. */
  closed: boolean;
}

/** Open a connection to 127.0.0.1:port (or a unix socket path). */
export function connect(target: number | string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = typeof target === 'number' ? net.connect(target, '127.0.0.1') : net.connect(target);
    socket.once('connect', () => {
      socket.off('error', reject);
      // Resets show up as 'close'; the assertions look at the bytes.
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Read from `socket` until `done(received)` says so or the peer closes. */
export function readUntil(socket: net.Socket, done: (received: Buffer) => boolean): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    const finish = (closed: boolean): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ reply: Buffer.concat(parts, size), closed });
    };
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      size += chunk.length;
      if (done(Buffer.concat(parts, size))) finish(false);
    };
    const onClose = (): void => finish(true);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/**
 * Send `request` (plus the mn sentinel unless `untilClose`) on an open
 * socket and return the reply. With `untilClose` the reply is everything
 * until the server closes the connection.
 */
export async function send(
  socket: net.Socket,
  request: Buffer | string,
  untilClose = false,
  sentinelReply: Buffer = SENTINEL_REPLY,
): Promise<ExchangeResult> {
  const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
  const pending = readUntil(socket, (got) => !untilClose && endsWith(got, sentinelReply));
  socket.write(untilClose ? bytes : Buffer.concat([bytes, SENTINEL]));
  const result = await pending;
  if (!untilClose && !result.closed) result.reply = result.reply.subarray(0, result.reply.length - sentinelReply.length);
  return result;
}

/** One exchange on a fresh connection. */
export async function exchange(target: number | string, request: Buffer | string, untilClose = false): Promise<ExchangeResult> {
  const socket = await connect(target);
  try {
    return await send(socket, request, untilClose);
  } finally {
    socket.destroy();
  }
}

function endsWith(buf: Buffer, suffix: Buffer): boolean {
  return buf.length >= suffix.length && buf.subarray(buf.length - suffix.length).equals(suffix);
}

/** Readable form of bytes for assertion messages: CRLF shown as \r\n, long runs cut. */
export function show(buf: Buffer | string, max = 160): string {
  let text = typeof buf === 'string' ? buf : buf.toString('latin1');
  if (text.length > max) text = `${text.slice(0, max / 2)}...(${text.length} bytes)...${text.slice(-max / 2)}`;
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** Resolve once `cond()` holds, checking after each turn of the event loop. */
export function eventually(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (cond()) resolve();
      else setImmediate(check);
    };
    check();
  });
}
