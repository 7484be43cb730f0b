// One client connection: reads bytes, parses requests, runs them through a
// responder and writes the replies, like memcached's per-connection state
// machine (conn_new_cmd / conn_nread / conn_swallow / conn_mwrite /
// conn_closing).
//
// - The protocol is chosen on the first byte (0x80 = binary), or fixed by -B.
// - All complete requests of a read are answered in order and their replies
//   leave in one socket write.
// - Partial input waits in an InputBuffer (no re-copy per chunk).
// - Backpressure: when unsent replies pass OUTPUT_LIMIT bytes the connection
//   stops parsing and reading, and resumes on 'drain' (plain sockets write
//   past the Writable, direct-writes.ts, and count their own); a client that
//   pipelines without reading cannot make the server buffer without bound.
//   The bound holds inside one multi-get too: the responder sends what it
//   has when it passes `replyRoom`, and if the client still is not reading
//   it stops and hands back the rest of its keys, answered after 'drain'. So
//   unsent replies stay under OUTPUT_LIMIT plus one item's reply.
// - -R: after `reqsPerEvent` requests in one turn the connection yields to
//   other connections (setImmediate) and counts conn_yields.
// - Requests may hold views into the read buffer; they are executed before
//   the read callback returns (plain sockets read into one buffer shared by
//   the thread's connections: direct-reads.ts); what must wait is copied.
// - Fault containment: an exception escaping a parser or responder ends only
//   this connection (replies of earlier requests, then SERVER_ERROR, then
//   close), is logged once without values and counted (request_faults).

import { Socket } from 'node:net';
import type { ConnectionInfo, ReplyStream, Responder, ServerContext, Session } from './context.js';
import type { ParseResult, ParserLimits, Request } from '../../protocol/request.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';
import { InputBuffer } from './input-buffer.js';
import { readDirect } from './direct-reads.js';
import { DirectWriter } from './direct-writes.js';
import { loopYield } from './loop-yield.js';
import { formatCommandLine, formatReplyLine, formatRequestFault } from '../observability/logger.js';
import { MAX_GET_LINE_BYTES } from '../../protocol/text/parse.js';
import { batchClock } from '../../segments/batch-clock.js';
import { writeBodyReply } from '../../protocol/binary/encode.js';
import { STATUS_EINTERNAL } from '../../protocol/binary/status.js';

/** A wire protocol: a pure parser plus the responder for its requests. */
export interface ProtocolHandler {
  parse(buf: Buffer, offset: number, limits: ParserLimits): ParseResult;
  respond: Responder;
}

export interface ConnectionOptions {
  ctx: ServerContext;
  /** Text and meta requests (one parser handles both). */
  text: ProtocolHandler;
  binary: ProtocolHandler;
  /** -Y: what a text connection speaks until it has authenticated (lib/auth/ascii-auth.ts). */
  auth?: ProtocolHandler;
  limits: ParserLimits;
  id: number;
  /** e.g. 'tcp:127.0.0.1:46678' */
  addr: string;
  listenAddr: string;
  /** Called once when the socket has closed. */
  onClose(conn: Connection): void;
}

/** Unsent reply bytes above which the connection stops reading (backpressure). */
export const OUTPUT_LIMIT = 4 * 1024 * 1024;
/** Reply chunk size per connection; bigger replies get their own chunk. */
const REPLY_CHUNK = 16 * 1024;
/**
 * Unparsed input allowed beyond the largest legal request: an item of -I
 * bytes plus its command line, or the longest multi-get line the parser
 * accepts. More than that without a complete request closes the connection
 * (the parsers normally refuse first, with memcached's error).
 */
const INPUT_SLACK = 64 * 1024;

const FIRST_BINARY_BYTE = 0x80;
/** How long a closing connection waits for the peer to close its side. */
const LINGER_MS = 5000;
const LOG_COMMANDS = 2;

/** What a client whose request hit a bug in the server is told before the close. */
const FAULT_REPLY = Buffer.from('SERVER_ERROR internal error\r\n', 'latin1');
const FAULT_TEXT = Buffer.from('SERVER_ERROR internal error', 'latin1');

type Phase = 'new_cmd' | 'swallow' | 'closing' | 'closed';

export class Connection implements Session, ConnectionInfo {
  readonly id: number;
  readonly addr: string;
  readonly listenAddr: string;
  authenticated: boolean;

  /** Why the connection closed, as memcached's conn_close log line says it. */
  closeReason: 'normal' | 'error' | 'idle_timeout' | 'shutdown' = 'normal';

  /** Largest amount of unsent reply bytes seen (socket queue + writer). */
  peakPendingOutput = 0;

  private readonly socket: Socket;
  private readonly ctx: ServerContext;
  private readonly opts: ConnectionOptions;
  private readonly out = new ReplyWriter(REPLY_CHUNK);
  /**
   * A kernel socket (TCP, Unix, TLS): a write it reports complete has been
   * copied out of our buffers, so the reply chunk can be reused. A plain
   * Duplex (tests) may keep the Buffers it is given, so it never is.
   */
  private readonly copiesOnWrite: boolean;
  private readonly input: InputBuffer;
  private readonly maxPendingInput: number;
  /** Plain sockets: replies bypass the Writable (direct-writes.ts); null = socket.write(). */
  private readonly writer: DirectWriter | null = null;

  private handler: ProtocolHandler | null = null;
  private phase: Phase = 'new_cmd';
  private swallowRemaining = 0;
  /**
   * Why requests are not being run now: 'drain' while the client is not
   * reading our replies (reading paused until the socket drains), 'yield'
   * after -R's budget until the setImmediate continuation runs.
   */
  private paused: 'no' | 'drain' | 'yield' = 'no';
  /** The client half-closed; finish what was read, then close. */
  private inputEnded = false;
  /** Stop after the replies now pending (quit, fatal errors, shutdown). */
  private closeRequested = false;
  private lastCommandMs = Date.now();
  /** The request being answered (stats conns: conn_parse_cmd; fault context). */
  private current: Request | null = null;
  /** Reply bytes written before `current` began (a fault drops the rest). */
  private currentReplyStart = 0;
  /** The rest of a multi-key reply that stopped for the client to read. */
  private resumable: Request | null = null;
  /** Session.replyRoom: reply bytes allowed before the bound (kept by runBatch and makeRoom). */
  replyRoom = OUTPUT_LIMIT;
  /** A long-running reply (metadump, watch) owns the connection while set. */
  private stream: ReplyStream | null = null;
  private streamPumpScheduled = false;

  constructor(socket: Socket, opts: ConnectionOptions) {
    this.socket = socket;
    this.opts = opts;
    this.ctx = opts.ctx;
    this.id = opts.id;
    this.addr = opts.addr;
    this.listenAddr = opts.listenAddr;
    this.authenticated = !opts.ctx.settings.saslEnabled && opts.auth === undefined;
    this.maxPendingInput = Math.max(opts.limits.maxValueBytes, MAX_GET_LINE_BYTES) + INPUT_SLACK;
    this.copiesOnWrite = socket instanceof Socket;
    this.input = new InputBuffer(opts.ctx.counters);

    socket.setNoDelay(true);
    // Plain TCP and Unix sockets read into the thread's shared buffer
    // (direct-reads.ts): the bytes are all used or copied before this returns.
    if (readDirect(socket, (chunk) => this.onData(chunk))) {
      this.writer = DirectWriter.for(socket, () => this.onDrain());
      socket.resume();
    } else {
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
    }
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {
      // A reset or broken pipe; 'close' follows and cleans up. After quit
      // or the client's FIN a reset is still a normal close.
      if (!this.isClosing() && !this.closeRequested && !this.inputEnded) this.closeReason = 'error';
    });
    socket.on('close', () => this.onSocketClose());
  }

  // ---- ConnectionInfo ---------------------------------------------------------

  /** memcached's state name for `stats conns`. */
  get state(): string {
    if (this.current !== null) return 'conn_parse_cmd';
    if (this.stream !== null) return 'conn_watch';
    if (this.isClosing()) return 'conn_closing';
    if (this.phase === 'swallow') return 'conn_swallow';
    if (this.paused === 'drain') return 'conn_mwrite';
    if (this.input.length > 0) return 'conn_nread';
    return 'conn_new_cmd';
  }

  get secsSinceLastCmd(): number {
    return Math.max(0, Math.floor((Date.now() - this.lastCommandMs) / 1000));
  }

  /** Bytes this connection holds: unparsed input and unsent replies. */
  get bufferedBytes(): { input: number; output: number } {
    return { input: this.input.capacity, output: this.pendingOutput() };
  }

  /** True while reading is paused because the client does not read. */
  get isWaitingForDrain(): boolean {
    return this.paused === 'drain';
  }

  private isClosing(): boolean {
    return this.phase === 'closing' || this.phase === 'closed';
  }

  // ---- Session ---------------------------------------------------------------

  closeAfterWrite(): void {
    this.closeRequested = true;
  }

  makeRoom(): boolean {
    this.flush();
    // What was sent cannot be taken back if this request then faults.
    this.currentReplyStart = 0;
    const pending = this.queuedOutput();
    this.replyRoom = OUTPUT_LIMIT - pending;
    return pending <= OUTPUT_LIMIT;
  }

  resumeAfterDrain(rest: Request): void {
    this.resumable = rest;
  }

  /**
   * Server shutdown: answer what was already received (ignoring -R), then
   * close. A client that does not read its replies is cut off by the
   * server's close deadline.
   */
  shutdown(): void {
    if (this.isClosing()) return;
    this.closeReason = 'shutdown';
    this.socket.pause();
    if (this.paused !== 'drain' && !this.closeRequested) {
      this.paused = 'no';
      this.processInput(Number.POSITIVE_INFINITY);
    }
    // Stop after what is pending; a connection waiting for 'drain' finishes
    // its input when the client reads (or is cut off by the server's deadline).
    this.closeRequested = true;
    this.finishIfDone();
  }

  /** Close now, dropping unsent replies. */
  destroy(): void {
    this.phase = 'closing';
    this.socket.destroy();
  }

  startStream(stream: ReplyStream): () => void {
    this.stream = stream;
    this.schedulePump();
    return () => {
      if (this.stream === stream) this.schedulePump();
    };
  }

  /** Pump the stream on a later turn (once, however often asked). */
  private schedulePump(): void {
    if (this.streamPumpScheduled) return;
    this.streamPumpScheduled = true;
    setImmediate(() => {
      this.streamPumpScheduled = false;
      this.pumpStream();
    });
  }

  private pumpStream(): void {
    const stream = this.stream;
    if (stream === null || this.isClosing()) return;
    // A client that does not read gets nothing more until it does ('drain' pumps again).
    if (this.pendingOutput() > OUTPUT_LIMIT) {
      this.paused = 'drain';
      return;
    }
    const state = stream.pump(this.out);
    this.flush();
    if (state === 'more') {
      this.schedulePump();
    } else if (state === 'done') {
      this.stream = null;
      stream.end();
      // Requests that arrived during the stream are answered now.
      this.processInput(this.ctx.settings.reqsPerEvent);
      this.resumeReading();
    }
  }

  // ---- input -------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.ctx.counters.bytesRead += chunk.length;
    if (this.isClosing()) return;
    if (this.stream !== null) {
      this.onStreamInput(chunk);
      return;
    }
    let from = 0;
    if (this.swallowRemaining > 0) {
      from = Math.min(this.swallowRemaining, chunk.length);
      this.swallowRemaining -= from;
      if (this.swallowRemaining === 0) this.phase = 'new_cmd';
      if (from === chunk.length) return;
    }
    if (this.input.length === 0 && this.paused === 'no' && !this.closeRequested) {
      // Fast path: parse straight from the chunk, keep only a partial tail.
      const stop = this.runRequests(chunk, from, this.ctx.settings.reqsPerEvent);
      if (stop < chunk.length && !this.isClosing()) this.input.append(chunk, stop);
      this.afterRun();
      loopYield.afterInput();
      return;
    }
    this.input.append(chunk, from);
    if (this.paused === 'no') this.processInput(this.ctx.settings.reqsPerEvent);
    loopYield.afterInput();
  }

  /** Input while a stream owns the connection: dropped (watch) or kept for afterwards, within bounds. */
  private onStreamInput(chunk: Buffer): void {
    if (this.stream!.dropsInput) return;
    this.input.append(chunk, 0);
    if (this.input.length > this.maxPendingInput) this.closeNow();
  }

  private onEnd(): void {
    this.inputEnded = true;
    this.finishIfDone();
  }

  private onDrain(): void {
    if (this.paused !== 'drain') return;
    if (this.pendingOutput() > OUTPUT_LIMIT) return;
    this.paused = 'no';
    if (this.isClosing()) return;
    if (this.stream !== null) {
      this.schedulePump();
      return;
    }
    this.processInput(this.ctx.settings.reqsPerEvent);
    this.resumeReading();
  }

  /**
   * -o idle_timeout: the server's sweep calls this. Like memcached's
   * conn_timeout thread, idle means no command line for more than `idleMs`
   * (socket traffic without a whole command does not count), and only a
   * connection waiting for a command is kicked (not one swallowing a value
   * or waiting for the client to read). Returns true when it closed.
   */
  closeIfIdle(nowMs: number, idleMs: number): boolean {
    if (this.isClosing() || this.phase === 'swallow' || this.paused === 'drain') return false;
    if (nowMs - this.lastCommandMs <= idleMs) return false;
    this.onIdle();
    return true;
  }

  private onIdle(): void {
    if (this.isClosing()) return;
    this.ctx.counters.idleKicks++;
    this.closeReason = 'idle_timeout';
    this.ctx.log.line(1, `<${this.id} idle timeout, closing`);
    this.destroy();
  }

  private onSocketClose(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.input.release();
    if (this.stream !== null) {
      const stream = this.stream;
      this.stream = null;
      stream.end();
    }
    this.opts.onClose(this);
  }

  /** Parse and answer what the InputBuffer holds, up to `budget` requests. */
  private processInput(budget: number): void {
    if ((this.input.length === 0 && this.resumable === null) || this.stream !== null) {
      this.afterRun();
      return;
    }
    const view = this.input.view();
    const stop = this.runRequests(view, this.input.start, budget);
    if (!this.isClosing()) this.input.consumeTo(stop);
    this.afterRun();
  }

  /**
   * The core loop: parse and execute requests from buf[offset..], at most
   * `budget` of them; returns where it stopped. Replies accumulate in
   * `this.out` and are flushed once by afterRun(), or earlier when they pass
   * OUTPUT_LIMIT.
   */
  private runRequests(buf: Buffer, offset: number, budget: number): number {
    // One clock reading for the whole batch (store expiry checks, last
    // command time): see segments/batch-clock.ts.
    batchClock.hold();
    try {
      return this.runBatch(buf, offset, budget);
    } catch (err) {
      this.containFault(err);
      return buf.length;
    } finally {
      batchClock.release();
    }
  }

  /**
   * A parser or responder threw (a bug): keep the replies of the requests
   * before it, drop the partial reply, answer SERVER_ERROR and close this
   * connection only. The log line names the command and the error's code
   * location, never a key's value or the error message (it may quote data).
   */
  private containFault(err: unknown): void {
    const req = this.current;
    this.current = null;
    this.ctx.counters.requestFaults++;
    this.ctx.log.line(0, formatRequestFault(this.id, req, err));
    if (req !== null) this.out.truncate(this.currentReplyStart);
    if (req !== null && req.protocol === 'binary') {
      writeBodyReply(this.out, req.binaryOpcode, STATUS_EINTERNAL, req.opaque, FAULT_TEXT);
    } else if (this.handler === this.opts.binary) {
      writeBodyReply(this.out, 0, STATUS_EINTERNAL, 0, FAULT_TEXT);
    } else {
      this.out.writeBuffer(FAULT_REPLY);
    }
    this.swallowRemaining = 0;
    this.closeNow();
  }

  private runBatch(buf: Buffer, offset: number, budget: number): number {
    const end = buf.length;
    let count = 0;
    this.replyRoom = OUTPUT_LIMIT - this.queuedOutput();
    if (this.resumable !== null && !this.resumeReply()) return offset;
    while (offset < end && !this.isClosing() && !this.closeRequested) {
      if (this.out.length + this.queuedOutput() > OUTPUT_LIMIT) {
        this.flush();
        if (this.pendingOutput() > OUTPUT_LIMIT) {
          this.pauseForDrain();
          return offset;
        }
      }
      if (count >= budget) {
        this.yieldTurn();
        return offset;
      }
      const handler = this.handlerFor(buf[offset] as number);
      const result = handler.parse(buf, offset, this.opts.limits);
      switch (result.kind) {
        case 'incomplete':
          if (end - offset > this.maxPendingInput) {
            this.ctx.log.line(1, `<${this.id} request larger than ${this.maxPendingInput} bytes, closing`);
            this.closeNow();
          }
          return offset;
        case 'ok':
          offset += result.consumed;
          count++;
          this.execute(handler, result.request);
          if (this.resumable !== null) {
            this.pauseForDrain();
            return offset;
          }
          // metadump / watch took the connection. memcached hands such a
          // connection to a side thread and loses what was pipelined behind
          // the command in the same read; so do we. Later input waits
          // (metadump) or is dropped (watch). A stream memcached answers
          // inline (stats cachedump) keeps the rest, answered after it.
          if (this.stream !== null) return this.stream.keepsPipelined === true ? offset : end;
          break;
        case 'error':
          // A refused line is still a command line (memcached's last_cmd_time).
          this.lastCommandMs = batchClock.nowMs();
          offset += result.consumed;
          count++;
          this.out.writeBuffer(result.reply);
          if (result.close) {
            // A hang-up for bad input (HTTP line, overlong line): watch logs reason=error, as memcached.
            this.closeReason = 'error';
            this.closeRequested = true;
            return offset;
          }
          break;
        case 'swallow':
          count++;
          offset = this.refuse(result, buf, offset);
          if (this.phase === 'swallow') return offset;
          break;
      }
    }
    return offset;
  }

  /**
   * Go on with a multi-key reply that stopped for the client to read; false
   * when it had to stop again (reading stays paused until the next 'drain').
   */
  private resumeReply(): boolean {
    const req = this.resumable as Request;
    this.resumable = null;
    const handler = req.protocol === 'binary' ? this.opts.binary : this.opts.text;
    this.current = req;
    this.currentReplyStart = this.out.length;
    handler.respond(req, this.ctx, this, this.out);
    this.current = null;
    if (this.resumable === null) return true;
    this.pauseForDrain();
    return false;
  }

  /**
   * A request refused with its data block still to come (a value over -I,
   * a bad ms): answer it, drop the key's old value when memcached does, and
   * skip the block, here or, for what has not arrived, in onData (phase
   * 'swallow'). Returns the offset after what was skipped.
   */
  private refuse(result: Extract<ParseResult, { kind: 'swallow' }>, buf: Buffer, offset: number): number {
    this.lastCommandMs = batchClock.nowMs();
    const key = result.unlinkKey;
    if (key !== undefined && key.length > 0 && key.length <= this.opts.limits.maxKeyBytes) this.ctx.store.delete(key, 0);
    if (result.tooLarge === true) this.ctx.store.counters.storeTooLarge++;
    offset += result.consumed;
    this.out.writeBuffer(result.reply);
    const now = Math.min(result.remaining, buf.length - offset);
    offset += now;
    if (result.remaining > now) {
      this.swallowRemaining = result.remaining - now;
      this.phase = 'swallow';
    }
    return offset;
  }

  private execute(handler: ProtocolHandler, req: Request): void {
    const { ctx } = this;
    const counters = ctx.counters;
    if (req.protocol === 'binary') counters.binaryRequests++;
    else if (req.protocol === 'meta') counters.metaRequests++;
    else counters.textRequests++;
    this.lastCommandMs = batchClock.nowMs();
    this.current = req;
    this.currentReplyStart = this.out.length;
    if (ctx.log.level >= LOG_COMMANDS) {
      ctx.log.line(LOG_COMMANDS, formatCommandLine(this.id, req));
      const before = this.out.length;
      handler.respond(req, ctx, this, this.out);
      if (req.protocol !== 'binary') this.logReply(before);
    } else {
      handler.respond(req, ctx, this, this.out);
    }
    this.current = null;
  }

  /** -vv: the first line of the reply just written, as memcached's `>fd ...`. */
  private logReply(before: number): void {
    const written = this.out.length - before;
    if (written <= 0) return;
    // The reply is the last `written` bytes; when it sits in the current
    // chunk (nearly always) read its first line from there.
    const start = this.out.pos - written;
    if (start < 0) return;
    const chunk = this.out.chunk;
    const nl = chunk.indexOf(10, start);
    const stop = nl < 0 || nl >= this.out.pos ? this.out.pos : nl;
    const text = chunk.toString('latin1', start, stop > start && chunk[stop - 1] === 13 ? stop - 1 : stop);
    this.ctx.log.line(LOG_COMMANDS, formatReplyLine(this.id, text));
  }

  private handlerFor(first: number): ProtocolHandler {
    const handler = this.handler ?? this.pickProtocol(first);
    // Under -Y a text connection only authenticates until it has.
    if (handler === this.opts.text && this.opts.auth !== undefined && !this.authenticated) return this.opts.auth;
    return handler;
  }

  private pickProtocol(first: number): ProtocolHandler {
    const { settings } = this.ctx;
    let binary: boolean;
    if (settings.bindingProtocol === 'binary' || settings.saslEnabled) binary = true;
    else if (settings.bindingProtocol === 'ascii') binary = false;
    else binary = first === FIRST_BINARY_BYTE;
    this.handler = binary ? this.opts.binary : this.opts.text;
    return this.handler;
  }

  // ---- output and flow control ----------------------------------------------

  private pendingOutput(): number {
    return this.out.length + this.queuedOutput();
  }

  /** Reply bytes handed to the socket and not yet taken by the kernel. */
  private queuedOutput(): number {
    return this.writer === null ? this.socket.writableLength : this.writer.queued + this.socket.writableLength;
  }

  /** Hand everything written so far to the socket in one write. */
  private flush(): void {
    const data = this.out.take();
    if (data === null) return;
    if (this.phase === 'closed' || this.socket.destroyed) return;
    // Counted before the bytes leave: with worker threads a client can hold
    // the reply (and read `stats`) before this thread runs its next line.
    if (Array.isArray(data)) {
      let bytes = 0;
      for (const part of data) bytes += part.length;
      this.ctx.counters.bytesWritten += bytes;
      if (this.writer !== null) {
        this.writer.write(data, bytes);
      } else {
        this.socket.cork();
        for (const part of data) this.socket.write(part);
        this.socket.uncork();
      }
    } else {
      this.ctx.counters.bytesWritten += data.length;
      if (this.writer !== null) this.writer.write(data, data.length);
      else this.socket.write(data);
    }
    const pending = this.queuedOutput();
    if (pending > this.peakPendingOutput) this.peakPendingOutput = pending;
    // Nothing queued: the kernel took every byte during write(), no view of
    // the chunk is held any more, and the next replies may overwrite it
    // (a busy connection then allocates no reply chunks at all).
    if (pending === 0 && this.copiesOnWrite) this.out.recycle();
  }

  private pauseForDrain(): void {
    this.paused = 'drain';
    this.socket.pause();
  }

  /** Read from the socket again unless a pause, a requested close or closing says otherwise. */
  private resumeReading(): void {
    if (this.paused === 'no' && !this.closeRequested && !this.isClosing()) this.socket.resume();
  }

  private yieldTurn(): void {
    this.ctx.counters.connYields++;
    this.paused = 'yield';
    this.socket.pause();
    setImmediate(() => {
      // A shutdown meanwhile may have run the input already, or paused for 'drain'.
      if (this.paused !== 'yield') return;
      this.paused = 'no';
      if (this.isClosing()) return;
      this.processInput(this.ctx.settings.reqsPerEvent);
      this.resumeReading();
    });
  }

  /** After a run: flush replies, then close if asked to and nothing is left. */
  private afterRun(): void {
    const peak = this.out.length + this.queuedOutput();
    if (peak > this.peakPendingOutput) this.peakPendingOutput = peak;
    this.flush();
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.isClosing()) return;
    if (this.paused !== 'no') return;
    // A dump finishes before a half-closed client is let go; a watcher goes at once.
    if (this.stream !== null && !this.stream.dropsInput && !this.closeRequested) return;
    // After the client's FIN nothing more can arrive, not even the rest of a
    // value being swallowed: close once the replies are out.
    if (this.closeRequested || this.inputEnded) {
      this.closeNow();
    }
  }

  /**
   * Send what is pending, then FIN. Further input is read and dropped so the
   * close completes; a peer that keeps its side open is cut off after
   * LINGER_MS (destroying at once could reset the connection before the
   * peer has read our last replies).
   */
  private closeNow(): void {
    this.flush();
    this.phase = 'closing';
    this.input.clear();
    this.socket.end();
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }
}
