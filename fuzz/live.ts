// Live mode: fuzzed streams against a running server over many concurrent
// connections. For each case the model (model.ts) says what memcached
// would do with the stream; the server must do it:
//
//   'open'   -> after the stream, a probe (text: `md <key> O<token>`, whose
//               `NF O<token>` reply is unique; binary: a noop with a unique
//               opaque) is answered, so the connection is still usable and
//               in step; the connection is then reused for the next case;
//   'closed' -> the server closes the connection.
// A stream that cannot be completed (it ends inside a value of gigabytes
// being swallowed) is followed by our FIN, and the server must close.
// Before the cases a sentinel key is written; afterwards it must read back
// byte for byte, and the server must still answer a fresh connection.

import net from 'node:net';
import type { ParserLimits } from '../protocol/request.js';
import { MAX_GET_LINE_BYTES } from '../protocol/text/parse.js';
import { FUZZ_RESERVED_PREFIX } from './corpus.js';
import { generateCase } from './cases.js';
import { FailureLog } from './failures.js';
import { pad } from './model.js';
import type { ModelOptions } from './model.js';
import { randomSplits } from './mutate.js';
import { parserFor } from './parser-check.js';
import { Rng } from './rng.js';

export interface LiveTarget {
  host: string;
  port: number;
  /** False once the server process has gone (child-process targets). */
  alive(): boolean;
}

export interface LiveOptions {
  seed: number;
  /** Concurrent connections (workers). */
  connections: number;
  /** First case number and how many cases to run at most. */
  firstCase?: number;
  maxCases: number;
  /** Stop starting new cases at this Date.now(). */
  deadlineMs?: number;
  /** The server's -I. */
  maxValueBytes: number;
  /** A case taking longer than this is a failure (the server stalled). */
  caseTimeoutMs?: number;
}

export interface LiveReport {
  cases: number;
  bytesSent: number;
  connectionsOpened: number;
  closedAsExpected: number;
  probesAnswered: number;
  failures: FailureLog;
  sentinelIntact: boolean;
  serverAlive: boolean;
  elapsedMs: number;
}

const DEFAULT_CASE_TIMEOUT_MS = 20_000;
/** Bytes of reply kept per connection: enough to see the probe's answer. */
const TAIL_BYTES = 96;
/** lib/server/connection.ts: unparsed input allowed beyond the largest legal request. */
const CONNECTION_INPUT_SLACK = 64 * 1024;
const SENTINEL_KEY = `${FUZZ_RESERVED_PREFIX}sentinel`;

type WaitResult = 'matched' | 'closed' | 'timeout';

/** One client connection that keeps only the tail of what it receives. */
class FuzzConnection {
  readonly socket: net.Socket;
  kind: 'text' | 'binary' | undefined;
  closed = false;
  received = 0;
  private tail = Buffer.alloc(0);
  private wake: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - TAIL_BYTES))]).subarray(-TAIL_BYTES);
      this.wake?.();
    });
    const onGone = (): void => {
      this.closed = true;
      this.wake?.();
    };
    socket.on('end', onGone);
    socket.on('close', onGone);
    socket.on('error', onGone);
  }

  static open(target: LiveTarget): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(target.port, target.host);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new FuzzConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  endsWith(suffix: Buffer): boolean {
    return this.tail.length >= suffix.length && this.tail.subarray(this.tail.length - suffix.length).equals(suffix);
  }

  get lastBytes(): Buffer {
    return this.tail;
  }

  /** Write the pieces in order, yielding now and then so the server sees them in separate reads. */
  async write(parts: Buffer[], rng: Rng): Promise<void> {
    for (const part of parts) {
      if (this.closed || this.socket.destroyed) return;
      const ok = this.socket.write(part);
      if (!ok) await new Promise<void>((resolve) => this.waitDrainOrClose(resolve));
      else if (rng.chance(0.2)) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private waitDrainOrClose(resolve: () => void): void {
    const done = (): void => {
      this.socket.off('drain', done);
      this.socket.off('close', done);
      resolve();
    };
    this.socket.once('drain', done);
    this.socket.once('close', done);
  }

  /** Wait until `matched()` holds (checked on every read), the server closes, or the timeout. */
  wait(matched: () => boolean, timeoutMs: number): Promise<WaitResult> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        if (matched()) finish('matched');
        else if (this.closed) finish('closed');
        else return false;
        return true;
      };
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      const finish = (r: WaitResult): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(r);
      };
      this.wake = () => {
        check();
      };
      check();
    });
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** The probe for a connection of `kind` and what its answer ends with. */
function probe(kind: 'text' | 'binary', rng: Rng): { request: Buffer; answer: Buffer } {
  const token = rng.u32();
  if (kind === 'text') {
    const hex = token.toString(16).padStart(8, '0');
    return {
      request: Buffer.from(`md ${FUZZ_RESERVED_PREFIX}probe O${hex}\r\n`, 'latin1'),
      answer: Buffer.from(`NF O${hex}\r\n`, 'latin1'),
    };
  }
  const request = Buffer.alloc(24);
  request[0] = 0x80;
  request[1] = 0x0a;
  request.writeUInt32BE(token, 12);
  const answer = Buffer.alloc(24);
  answer[0] = 0x81;
  answer[1] = 0x0a;
  answer.writeUInt32BE(token, 12);
  return { request, answer };
}

/** One request/reply on a fresh connection; the reply must end with `suffix`. */
async function exchange(target: LiveTarget, request: Buffer, suffix: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  const conn = await FuzzConnection.open(target);
  const chunks: Buffer[] = [];
  conn.socket.on('data', (c: Buffer) => chunks.push(c));
  conn.socket.write(request);
  const r = await conn.wait(() => conn.endsWith(suffix), timeoutMs);
  conn.destroy();
  return r === 'matched' ? Buffer.concat(chunks) : undefined;
}

function sentinelValue(seed: number): Buffer {
  return new Rng(seed ^ 0x5e471e1).bytes(1000);
}

async function writeSentinel(target: LiveTarget, seed: number, timeoutMs: number): Promise<boolean> {
  const value = sentinelValue(seed);
  const request = Buffer.concat([Buffer.from(`set ${SENTINEL_KEY} 7 0 ${value.length}\r\n`), value, Buffer.from('\r\n')]);
  return (await exchange(target, request, Buffer.from('STORED\r\n'), timeoutMs)) !== undefined;
}

async function sentinelIntact(target: LiveTarget, seed: number, timeoutMs: number): Promise<boolean> {
  const value = sentinelValue(seed);
  const expected = Buffer.concat([Buffer.from(`VALUE ${SENTINEL_KEY} 7 ${value.length}\r\n`), value, Buffer.from('\r\nEND\r\n')]);
  const got = await exchange(target, Buffer.from(`get ${SENTINEL_KEY}\r\n`), Buffer.from('END\r\n'), timeoutMs);
  return got !== undefined && got.equals(expected);
}

export async function runLiveFuzz(target: LiveTarget, opts: LiveOptions): Promise<LiveReport> {
  const started = Date.now();
  const caseTimeout = opts.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  const limits: ParserLimits = { maxValueBytes: opts.maxValueBytes, maxKeyBytes: 250 };
  const model: ModelOptions = { limits, maxPendingInput: Math.max(opts.maxValueBytes, MAX_GET_LINE_BYTES) + CONNECTION_INPUT_SLACK };
  const corpus = { maxValueBytes: opts.maxValueBytes };
  const failures = new FailureLog();
  const report: LiveReport = {
    cases: 0,
    bytesSent: 0,
    connectionsOpened: 0,
    closedAsExpected: 0,
    probesAnswered: 0,
    failures,
    sentinelIntact: false,
    serverAlive: true,
    elapsedMs: 0,
  };
  if (!(await writeSentinel(target, opts.seed, caseTimeout))) {
    failures.record('live: could not write the sentinel', opts.seed, -1, '', Buffer.alloc(0));
  }

  let next = opts.firstCase ?? 0;
  const last = next + opts.maxCases;
  const more = (): boolean => next < last && (opts.deadlineMs === undefined || Date.now() < opts.deadlineMs) && target.alive();

  const worker = async (w: number): Promise<void> => {
    const rng = new Rng(opts.seed ^ Math.imul(w + 1, 0x27d4eb2d));
    let conn: FuzzConnection | undefined;
    while (more()) {
      const index = next++;
      const fuzzCase = generateCase(opts.seed, index, corpus);
      const { stream, model: expected } = pad(fuzzCase.bytes, model);
      report.cases++;
      if (stream.length === 0) continue;
      const kind = parserFor(stream);
      if (conn !== undefined && (conn.closed || conn.kind !== kind)) {
        conn.destroy();
        conn = undefined;
      }
      if (conn === undefined) {
        try {
          conn = await FuzzConnection.open(target);
        } catch (err) {
          failures.record(`live: connect failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`, opts.seed, index, '', Buffer.alloc(0));
          return;
        }
        conn.kind = kind;
        report.connectionsOpened++;
      }
      report.bytesSent += stream.length;
      const fail = (what: string): void => {
        const tail = conn?.lastBytes.toString('latin1') ?? '';
        failures.record(`live ${kind}: ${what}`, opts.seed, index, `origin ${fuzzCase.origin}, last reply bytes ${JSON.stringify(tail)}`, stream);
      };
      await conn.write(randomSplits(rng, stream), rng);

      if (expected.outcome === 'closed') {
        const r = await conn.wait(() => false, caseTimeout);
        if (r === 'timeout') fail('stayed open where memcached closes');
        else report.closedAsExpected++;
        conn.destroy();
        conn = undefined;
        continue;
      }
      if (expected.incomplete) {
        // Cannot be completed (a huge value being swallowed): our FIN must end it.
        conn.socket.end();
        const r = await conn.wait(() => false, caseTimeout);
        if (r === 'timeout') fail('half-closed connection not closed');
        else report.closedAsExpected++;
        conn.destroy();
        conn = undefined;
        continue;
      }
      const p = probe(kind, rng);
      if (!conn.closed) conn.socket.write(p.request);
      const r = await conn.wait(() => conn!.endsWith(p.answer), caseTimeout);
      if (r === 'matched') {
        report.probesAnswered++;
        continue;
      }
      if (r === 'closed' && expected.mayCloseEarly) {
        report.closedAsExpected++;
      } else {
        fail(r === 'closed' ? 'closed where memcached keeps the connection' : 'probe not answered (stalled or out of step)');
      }
      conn.destroy();
      conn = undefined;
    }
    conn?.destroy();
  };

  await Promise.all(Array.from({ length: opts.connections }, (_, w) => worker(w)));

  report.serverAlive = target.alive() && (await exchange(target, Buffer.from('version\r\n'), Buffer.from('\r\n'), caseTimeout).catch(() => undefined)) !== undefined;
  if (!report.serverAlive) failures.record('live: server not answering after the run', opts.seed, -1, '', Buffer.alloc(0));
  report.sentinelIntact = report.serverAlive && (await sentinelIntact(target, opts.seed, caseTimeout).catch(() => false));
  if (report.serverAlive && !report.sentinelIntact) failures.record('live: sentinel key lost or changed', opts.seed, -1, '', Buffer.alloc(0));
  report.elapsedMs = Date.now() - started;
  return report;
}
