// A pipelined memcached text-protocol connection for benchmark clients:
// send many requests without waiting, get each reply through its callback
// in order. Writes issued in one tick leave in one segment (cork/uncork).

import { connect, type Socket } from 'node:net';
import { ReplyParser, type Reply, type ReplyKind } from './reply-parser.js';

export type ReplyCallback = (reply: Reply) => void;

export class TextConnection {
  private readonly parser: ReplyParser;
  private readonly callbacks: Array<ReplyCallback | undefined> = [];
  private cbHead = 0;
  private corked = false;
  private failure: Error | null = null;
  private readonly failureListeners: Array<(err: Error) => void> = [];
  /** Rejecters of request() promises still waiting. */
  private readonly waiters = new Set<(err: Error) => void>();
  /** A single whenPendingBelow() waiter. */
  private lowWater: { n: number; resolve: () => void; reject: (err: Error) => void } | null = null;

  private constructor(private readonly socket: Socket) {
    this.parser = new ReplyParser((reply) => this.dispatch(reply));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.feed(chunk);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      if (this.pending > 0) this.fail(new Error(`connection closed with ${this.pending} replies pending`));
    });
  }

  static open(host: string, port: number): Promise<TextConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TextConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Requests sent whose replies have not arrived. */
  get pending(): number {
    return this.parser.pending;
  }

  /** Called once if the connection breaks (error, unparseable reply, early close). */
  onFailure(listener: (err: Error) => void): void {
    if (this.failure) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  /** Send one request that gets exactly one reply of `kind`. */
  send(request: Buffer | string, kind: ReplyKind, callback?: ReplyCallback): void {
    this.sendMany(request, kind, 1, callback);
  }

  /** Send bytes holding `count` requests, each answered by one reply of `kind`. */
  sendMany(requests: Buffer | string, kind: ReplyKind, count: number, callback?: ReplyCallback): void {
    if (this.failure) throw this.failure;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (let i = 0; i < count; i++) {
      this.parser.expect(kind);
      this.callbacks.push(callback);
    }
    this.socket.write(requests);
  }

  /** Send one request and wait for its reply. */
  request(request: Buffer | string, kind: ReplyKind): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiters.add(reject);
      this.send(request, kind, (reply) => {
        this.waiters.delete(reject);
        resolve(reply);
      });
    });
  }

  /** Resolve once fewer than `n` replies are pending (flow control without a round trip). */
  whenPendingBelow(n: number): Promise<void> {
    if (this.pending < n) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.lowWater = { n, resolve, reject };
    });
  }

  /** Wait until every reply sent so far has arrived. */
  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending === 0) return Promise.resolve();
    return this.request('version\r\n', 'line').then(() => undefined);
  }

  close(): void {
    this.socket.destroy();
  }

  private dispatch(reply: Reply): void {
    const cb = this.callbacks[this.cbHead];
    this.callbacks[this.cbHead] = undefined;
    this.cbHead++;
    if (this.cbHead > 4096 && this.cbHead * 2 > this.callbacks.length) {
      this.callbacks.splice(0, this.cbHead);
      this.cbHead = 0;
    }
    if (cb) cb(reply);
    if (this.lowWater !== null && this.pending < this.lowWater.n) {
      const { resolve } = this.lowWater;
      this.lowWater = null;
      resolve();
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
    for (const l of this.failureListeners.splice(0)) l(err);
    for (const w of this.waiters) w(err);
    this.waiters.clear();
    if (this.lowWater !== null) this.lowWater.reject(err);
    this.lowWater = null;
  }
}

/** Fetch and parse `stats` (or `stats <group>`) over a connection. */
export async function fetchStatsText(conn: TextConnection, group = ''): Promise<string> {
  const reply = await conn.request(group ? `stats ${group}\r\n` : 'stats\r\n', 'stats');
  if (reply.kind !== 'stats') throw new Error('stats reply expected');
  return reply.lines.join('\r\n');
}
