// The throughput load generator: N connections each keeping `depth`
// requests in flight, a seeded get/set mix over a fixed key space, latency
// per request into a log-linear histogram, server CPU from /proc. Closed
// loop by default: a connection sends as many new requests as replies it
// just got, in one write. Open loop with `ratePerSec`: each connection sends
// on its own evenly spaced schedule (one request in flight), so servers are
// compared at the same offered load rather than each at its saturation.

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from '../core/histogram.js';
import { SplitMix64 } from '../core/splitmix64.js';
import { processCpuSeconds, threadUse, threadUseDelta } from '../core/proc-stats.js';
import { TextConnection } from '../core/text-connection.js';
import { KIND_GET, KIND_SET, ReplyScanner } from './reply-scanner.js';
import { fillerValue, keyTable } from './keys.js';
import type { LoadConfig, LoadResult } from './config.js';

/** Builds request bytes for one run's key space and value size. */
class RequestBuilder {
  private readonly keys: Buffer;
  private readonly value: Buffer;
  private readonly setHeader: Buffer;
  /** Upper bound of one request's size. */
  readonly maxRequestBytes: number;

  constructor(private readonly config: LoadConfig) {
    this.keys = keyTable(config.keyCount, config.keySize);
    this.value = fillerValue(config.valueSize);
    this.setHeader = Buffer.from(` 0 0 ${config.valueSize}\r\n`, 'latin1');
    const getBytes = 4 + config.keysPerGet * (config.keySize + 1) + 2;
    const setBytes = 4 + config.keySize + this.setHeader.length + config.valueSize + 2;
    this.maxRequestBytes = Math.max(getBytes, setBytes);
  }

  /** Write a get of `n` random keys at `off`; returns the new offset. */
  writeGet(out: Buffer, off: number, rng: SplitMix64): number {
    out.write('get', off, 'latin1');
    off += 3;
    const { keyCount, keySize, keysPerGet } = this.config;
    for (let k = 0; k < keysPerGet; k++) {
      out[off++] = 32;
      const start = rng.nextBelow(keyCount) * keySize;
      off += this.keys.copy(out, off, start, start + keySize);
    }
    out[off++] = 13;
    out[off++] = 10;
    return off;
  }

  /** Write a set of key `index` at `off`; returns the new offset. */
  writeSet(out: Buffer, off: number, index: number): number {
    const { keySize } = this.config;
    out.write('set ', off, 'latin1');
    off += 4;
    off += this.keys.copy(out, off, index * keySize, (index + 1) * keySize);
    off += this.setHeader.copy(out, off);
    off += this.value.copy(out, off);
    out[off++] = 13;
    out[off++] = 10;
    return off;
  }
}

interface Counters {
  measuring: boolean;
  ops: number;
  keys: number;
  getKeys: number;
  hits: number;
  histogram: LatencyHistogram;
  /** Open loop: latency from the scheduled send time. */
  scheduled: LatencyHistogram;
}

/** One connection's closed loop. */
class LoadConnection {
  private readonly scanner: ReplyScanner;
  private readonly sentAt: Float64Array;
  private readonly sentKeys: Uint8Array;
  private sentHead = 0;
  private running = true;
  private valuesSeen = 0;
  /** Open loop: ms between this connection's requests (0 = closed loop), when the next one is due, when the one in flight was due. */
  private readonly intervalMs: number;
  private nextDueMs = 0;
  private dueOfInFlight = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly config: LoadConfig,
    private readonly builder: RequestBuilder,
    private readonly rng: SplitMix64,
    private readonly counters: Counters,
    private readonly onError: (err: Error) => void,
  ) {
    this.scanner = new ReplyScanner(config.depth);
    this.sentAt = new Float64Array(config.depth);
    this.sentKeys = new Uint8Array(config.depth);
    const rate = config.ratePerSec ?? 0;
    this.intervalMs = rate > 0 ? (1000 * config.connections) / rate : 0;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.running && onError(err));
    socket.on('close', () => this.running && onError(new Error('server closed a load connection')));
  }

  get errors(): number {
    return this.scanner.errors;
  }

  get lastError(): string {
    return this.scanner.lastError;
  }

  start(): void {
    const now = performance.now();
    if (this.intervalMs === 0) {
      this.send(this.config.depth, now);
      return;
    }
    // A random phase, so the connections' schedules do not line up.
    this.nextDueMs = now + this.rng.nextFloat() * this.intervalMs;
    this.sendWhenDue(now);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.socket.destroy();
  }

  /** Open loop: send the next request now if it is due (late or on time), else at its time. */
  private sendWhenDue(now: number): void {
    if (now >= this.nextDueMs) {
      this.dueOfInFlight = this.nextDueMs;
      this.nextDueMs += this.intervalMs;
      this.send(1, now);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) this.sendWhenDue(performance.now());
    }, this.nextDueMs - now);
  }

  private onData(chunk: Buffer): void {
    if (!this.running) return;
    let completed: number;
    try {
      completed = this.scanner.scan(chunk);
    } catch (err) {
      this.onError(err as Error);
      return;
    }
    if (completed === 0) return;
    const now = performance.now();
    const c = this.counters;
    const depth = this.config.depth;
    const valuesNow = this.scanner.values;
    for (let i = 0; i < completed; i++) {
      const slot = this.sentHead;
      this.sentHead = (slot + 1) % depth;
      if (c.measuring) {
        c.histogram.record((now - this.sentAt[slot]!) * 1000);
        if (this.intervalMs > 0) c.scheduled.record((now - this.dueOfInFlight) * 1000);
        c.ops++;
        const keys = this.sentKeys[slot]!;
        c.keys += keys === 0 ? 1 : keys;
        if (keys > 0) c.getKeys += keys;
      }
    }
    if (c.measuring) c.hits += valuesNow - this.valuesSeen;
    this.valuesSeen = valuesNow;
    if (this.intervalMs > 0) this.sendWhenDue(now);
    else this.send(completed, now);
  }

  /** Send `n` new requests in one write. */
  private send(n: number, now: number): void {
    const { config, builder, rng } = this;
    const out = Buffer.allocUnsafe(n * builder.maxRequestBytes);
    let off = 0;
    const depth = config.depth;
    for (let i = 0; i < n; i++) {
      const slot = (this.sentHead + this.scanner.inFlight) % depth;
      if (config.getRatio > 0 && (config.getRatio >= 1 || rng.nextFloat() < config.getRatio)) {
        off = builder.writeGet(out, off, rng);
        this.scanner.push(KIND_GET);
        this.sentKeys[slot] = config.keysPerGet;
      } else {
        off = builder.writeSet(out, off, rng.nextBelow(config.keyCount));
        this.scanner.push(KIND_SET);
        this.sentKeys[slot] = 0;
      }
      this.sentAt[slot] = now;
    }
    this.socket.write(out.subarray(0, off));
  }
}

function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Store every key once, pipelined over a few connections. */
export async function preloadKeys(config: LoadConfig): Promise<void> {
  const builder = new RequestBuilder(config);
  const lanes = Math.min(4, config.connections);
  const window = 128;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const conn = await TextConnection.open(config.host, config.port);
      // Set from a callback; the cast keeps TypeScript from narrowing it to null for good.
      let failed = null as Error | null;
      conn.onFailure((err) => (failed = err));
      for (let i = lane; i < config.keyCount; i += lanes) {
        const req = Buffer.allocUnsafe(builder.maxRequestBytes);
        const len = builder.writeSet(req, 0, i);
        conn.send(req.subarray(0, len), 'line');
        if (conn.pending >= window) await conn.drain();
        if (failed) throw failed;
      }
      await conn.drain();
      conn.close();
    }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runLoad(config: LoadConfig): Promise<LoadResult> {
  if (config.depth < 1 || config.depth > 4096) throw new Error('depth must be in 1..4096');
  if (config.keysPerGet < 1 || config.keysPerGet > 100) throw new Error('keysPerGet must be in 1..100');
  if ((config.ratePerSec ?? 0) > 0 && config.depth !== 1) throw new Error('an open-loop rate needs depth 1');
  if (config.preload) await preloadKeys(config);
  const builder = new RequestBuilder(config);
  const counters: Counters = { measuring: false, ops: 0, keys: 0, getKeys: 0, hits: 0, histogram: new LatencyHistogram(), scheduled: new LatencyHistogram() };
  // Set from a callback; the cast keeps TypeScript from narrowing it to null for good.
  let failure = null as Error | null;
  const sockets = await Promise.all(Array.from({ length: config.connections }, () => openSocket(config.host, config.port)));
  const conns = sockets.map(
    (s, i) => new LoadConnection(s, config, builder, new SplitMix64(config.seed * 1000 + i), counters, (err) => (failure ??= err)),
  );
  for (const c of conns) c.start();

  await sleep(config.warmupMs);
  const cpu0 = config.serverPid > 0 ? processCpuSeconds(config.serverPid) : NaN;
  const threads0 = config.serverPid > 0 ? threadUse(config.serverPid) : {};
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  counters.measuring = true;
  await sleep(config.durationMs);
  counters.measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = config.serverPid > 0 ? processCpuSeconds(config.serverPid) : NaN;
  const threads1 = config.serverPid > 0 ? threadUse(config.serverPid) : {};
  const client = process.cpuUsage(client0);
  for (const c of conns) c.stop();
  if (failure) throw failure;

  const h = counters.histogram;
  const serverCpuSec = cpu1 - cpu0;
  const errors = conns.reduce((n, c) => n + c.errors, 0);
  return {
    opsPerSec: counters.ops / seconds,
    keysPerSec: counters.keys / seconds,
    p50Us: h.quantile(0.5),
    p99Us: h.quantile(0.99),
    p999Us: h.quantile(0.999),
    p9999Us: h.quantile(0.9999),
    maxUs: h.max,
    scheduledP99Us: counters.scheduled.quantile(0.99),
    scheduledP9999Us: counters.scheduled.quantile(0.9999),
    ops: counters.ops,
    seconds,
    getHitRatio: counters.getKeys > 0 ? counters.hits / counters.getKeys : NaN,
    errors,
    lastError: conns.find((c) => c.errors > 0)?.lastError ?? '',
    serverCpuSec,
    serverCpuUsPerOp: (serverCpuSec / counters.ops) * 1e6,
    clientCpuSec: (client.user + client.system) / 1e6,
    serverThreads: threadUseDelta(threads0, threads1),
  };
}
