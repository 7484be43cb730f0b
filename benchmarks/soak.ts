// `npm run soak -- --minutes N [--connections C] [--seed S] [--out FILE]`
//
// A long mixed load against our server started with -m 64: gets and
// multi-gets, sets with TTLs of 1-30 s (half without), deletes, incr on
// counters, values of 64 B to 100 KB, some pipelining, and clients that
// drop their connection mid-batch and come back. Every value read is
// checked against the model (soak-model.ts): a miss, or an intact value of
// a version that may be current and has not expired. The server's RSS
// (/proc/<pid>/status VmRSS) is sampled every few seconds and printed.
//
// Fails (exit 1) on any wrong value, or when RSS exceeds
//   -m + hash table (stats hash_bytes) + ALLOWANCE
// where ALLOWANCE (below) covers Node itself and per-connection buffers.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ReplyParser } from './core/reply-parser.js';
import type { Reply, ReplyKind } from './core/reply-parser.js';
import { processRssBytes } from './core/proc-stats.js';
import { parseStatsReply, statNumber } from './core/stats-lines.js';
import { KeyModel } from './soak-model.js';
import { checkValue, encodeValue, minValueLength } from './soak-value.js';

const MIB = 1024 * 1024;
const MEMORY_LIMIT_MIB = 64;
/**
 * RSS allowed beyond -m and the hash table, from what a Node 20 server
 * measurably holds besides them (process.memoryUsage() under this load):
 *   48 MiB  the process itself: code, libuv, V8 metadata (idle RSS is
 *           ~62 MiB with the hash table and before the segment heap is touched);
 *   48 MiB  the V8 heap under load (heapTotal 25-45 MiB: two 16 MiB
 *           new-space semispaces plus old space);
 *   32 MiB  buffers in flight or not yet collected: socket reads, reply
 *           chunks, values of up to 100 KB (arrayBuffers 20-30 MiB beyond
 *           the segment heap and hash table);
 *   16 MiB  malloc slack (freed external memory the allocator keeps).
 */
export const ALLOWANCE_MIB = 144;
const KEYS_PER_WORKER = 4000;
const COUNTERS_PER_WORKER = 32;
const MAX_TTL_SECONDS = 30;
const DISCONNECT_CHANCE = 0.003;

/** The server to soak; SOAK_SERVER_SCRIPT may name another entry point (diagnostics). */
const CLI = process.env['SOAK_SERVER_SCRIPT'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'cli', 'main.js');

/** A small seeded generator (xorshift32) so runs are repeatable. */
class Random {
  private x: number;
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  next(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return (this.x >>> 0) / 0x1_0000_0000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

interface Totals {
  gets: number;
  hits: number;
  sets: number;
  stored: number;
  deletes: number;
  incrs: number;
  disconnects: number;
  wrong: number;
  wrongExamples: string[];
}

/** A pipelined text connection whose replies come back through per-request callbacks. */
class SoakConnection {
  private readonly parser: ReplyParser;
  private readonly callbacks: Array<(r: Reply) => void> = [];
  private head = 0;
  closed = false;
  private broken: Error | undefined;

  private constructor(readonly socket: net.Socket) {
    this.parser = new ReplyParser((reply) => {
      const cb = this.callbacks[this.head];
      this.callbacks[this.head++] = noop;
      if (this.head > 1024 && this.head * 2 > this.callbacks.length) {
        this.callbacks.splice(0, this.head);
        this.head = 0;
      }
      cb?.(reply);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.feed(chunk);
      } catch (err) {
        this.broken = err as Error;
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static open(port: number): Promise<SoakConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new SoakConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  get error(): Error | undefined {
    return this.broken;
  }

  send(request: Buffer | string, kind: ReplyKind, cb: (r: Reply) => void): void {
    this.parser.expect(kind);
    this.callbacks.push(cb);
    this.socket.write(request);
  }

  request(request: string, kind: ReplyKind): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      const onClose = (): void => reject(new Error('connection closed'));
      this.socket.once('close', onClose);
      this.send(request, kind, (reply) => {
        this.socket.off('close', onClose);
        resolve(reply);
      });
    });
  }

  /** Wait until every reply so far has arrived (a version round trip). */
  async drain(): Promise<void> {
    await this.request('version\r\n', 'line');
  }
}

function noop(): void {}

function valueLength(rnd: Random): number {
  const r = rnd.next();
  if (r < 0.7) return 64 + rnd.int(960);
  if (r < 0.95) return 1024 + rnd.int(9 * 1024);
  return 10 * 1024 + rnd.int(90 * 1024);
}

function ttl(rnd: Random): number {
  return rnd.next() < 0.5 ? 0 : 1 + rnd.int(MAX_TTL_SECONDS);
}

/** One client: owns its keys, loops over random operations until `endMs`. */
async function worker(id: number, port: number, control: () => Promise<SoakConnection>, endMs: number, seed: number, totals: Totals): Promise<void> {
  const rnd = new Random(seed ^ Math.imul(id + 1, 0x9e3779b1));
  const keys = Array.from({ length: KEYS_PER_WORKER }, (_, i) => `soak:${id}:${i}`);
  const models = keys.map(() => new KeyModel());
  /** Counter values when known (undefined: unknown or missing, set it again). */
  const counters: Array<bigint | undefined> = new Array(COUNTERS_PER_WORKER).fill(undefined);
  let version = 1;
  let seq = 0;
  let conn = await SoakConnection.open(port);
  /** Keys with writes sent on the current connection and not yet answered. */
  const inFlight = new Map<number, number>();

  const wrong = (what: string): void => {
    totals.wrong++;
    if (totals.wrongExamples.length < 10) totals.wrongExamples.push(what);
  };
  // Hot keys are read and written more often: a square skews towards low indexes.
  const pickKey = (): number => Math.floor(KEYS_PER_WORKER * rnd.next() * rnd.next());

  const sendGet = (indexes: number[]): void => {
    const sentAt = Date.now();
    totals.gets += indexes.length;
    conn.send(`get ${indexes.map((i) => keys[i]).join(' ')}\r\n`, 'values', (reply) => {
      if (reply.kind !== 'values' || reply.error !== undefined) return wrong(`get failed: ${JSON.stringify(reply)}`.slice(0, 200));
      for (const item of reply.values) {
        const i = indexes.find((k) => keys[k] === item.key);
        if (i === undefined) return wrong(`get returned unasked key ${item.key}`);
        totals.hits++;
        const checked = checkValue(item.key, item.data);
        if (!checked.ok) return wrong(`${item.key}: ${checked.reason}`);
        const verdict = models[i]!.judgeHit(checked.version, sentAt);
        if (verdict !== undefined) wrong(`${item.key}: ${verdict}`);
      }
    });
  };

  const sendSet = (i: number): void => {
    const key = keys[i]!;
    const v = version++;
    const s = ++seq;
    const seconds = ttl(rnd);
    const value = encodeValue(key, v, Math.max(minValueLength(key, v), valueLength(rnd)));
    models[i]!.writeSent(v, s, seconds);
    inFlight.set(i, (inFlight.get(i) ?? 0) + 1);
    totals.sets++;
    conn.send(Buffer.concat([Buffer.from(`set ${key} 0 ${seconds} ${value.length}\r\n`), value, Buffer.from('\r\n')]), 'line', (reply) => {
      const left = (inFlight.get(i) ?? 1) - 1;
      if (left === 0) inFlight.delete(i);
      else inFlight.set(i, left);
      const line = reply.kind === 'line' ? reply.line : '';
      if (line === 'STORED') {
        totals.stored++;
        models[i]!.writeStored(v, Date.now());
      } else if (line.startsWith('SERVER_ERROR')) {
        models[i]!.writeFailed(v);
      } else {
        wrong(`set ${key}: ${line}`);
      }
    });
  };

  const sendDelete = (i: number): void => {
    const s = ++seq;
    totals.deletes++;
    inFlight.set(i, (inFlight.get(i) ?? 0) + 1);
    conn.send(`delete ${keys[i]}\r\n`, 'line', (reply) => {
      const left = (inFlight.get(i) ?? 1) - 1;
      if (left === 0) inFlight.delete(i);
      else inFlight.set(i, left);
      const line = reply.kind === 'line' ? reply.line : '';
      if (line === 'DELETED' || line === 'NOT_FOUND') models[i]!.deleted(s);
      else wrong(`delete ${keys[i]}: ${line}`);
    });
  };

  const sendCounter = (c: number): void => {
    const key = `soakctr:${id}:${c}`;
    const known = counters[c];
    if (known === undefined) {
      counters[c] = undefined;
      conn.send(`set ${key} 0 0 1\r\n0\r\n`, 'line', (reply) => {
        if (reply.kind === 'line' && reply.line === 'STORED') counters[c] = 0n;
      });
      return;
    }
    const delta = BigInt(1 + rnd.int(1000));
    totals.incrs++;
    conn.send(`incr ${key} ${delta}\r\n`, 'line', (reply) => {
      const line = reply.kind === 'line' ? reply.line : '';
      if (line === 'NOT_FOUND') {
        counters[c] = undefined; // evicted
        return;
      }
      if (!/^\d+$/.test(line)) return wrong(`incr ${key}: ${line}`);
      const expected = (known + delta) & 0xffffffffffffffffn;
      if (BigInt(line) !== expected) wrong(`incr ${key}: ${line}, expected ${expected}`);
      counters[c] = BigInt(line);
    });
    // Until the reply, the next incr cannot know the base.
    counters[c] = undefined;
  };

  const oneOp = (): void => {
    const r = rnd.next();
    if (r < 0.35) sendGet([pickKey()]);
    else if (r < 0.5) sendGet(Array.from({ length: 2 + rnd.int(9) }, pickKey));
    else if (r < 0.85) sendSet(pickKey());
    else if (r < 0.9) sendDelete(pickKey());
    else sendCounter(rnd.int(COUNTERS_PER_WORKER));
  };

  while (Date.now() < endMs) {
    const batch = rnd.next() < 0.3 ? 2 + rnd.int(19) : 1;
    for (let b = 0; b < batch; b++) oneOp();
    if (rnd.next() < DISCONNECT_CHANCE) {
      // Vanish mid-batch, then wait until the server has closed our old
      // connection: after that nothing it read can still change the keys.
      totals.disconnects++;
      const oldPort = conn.localPort;
      conn.socket.destroy();
      const affected = [...inFlight.keys()];
      inFlight.clear();
      counters.fill(undefined);
      await waitUntilGone(control, oldPort);
      const now = Date.now();
      for (const i of affected) models[i]!.connectionGone(now);
      conn = await SoakConnection.open(port);
      continue;
    }
    try {
      await conn.drain();
    } catch {
      if (conn.error) wrong(`reply stream broken: ${conn.error.message}`);
      return;
    }
  }
  conn.socket.destroy();
}

/** Poll `stats conns` until no connection from local port `port` is listed. */
async function waitUntilGone(control: () => Promise<SoakConnection>, port: number): Promise<void> {
  const needle = `:${port}\r\n`;
  for (;;) {
    const c = await control();
    const reply = await c.request('stats conns\r\n', 'stats');
    const text = reply.kind === 'stats' ? reply.lines.join('\r\n') + '\r\n' : '';
    if (!text.includes(needle)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Sample {
  seconds: number;
  rssMiB: number;
  limitMiB: number;
  items: number;
  hitRatio: number;
  evictions: number;
  wrong: number;
  ops: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '1' },
      connections: { type: 'string', default: '16' },
      seed: { type: 'string', default: '1' },
      'sample-seconds': { type: 'string', default: '5' },
      out: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes);
  const connections = Math.max(1, Number(values.connections));
  const seed = Number(values.seed) >>> 0;
  const sampleMs = Math.max(1, Number(values['sample-seconds'])) * 1000;

  const child = spawn(process.execPath, [CLI, '-p', '-1', '-l', '127.0.0.1', '-v', '-m', String(MEMORY_LIMIT_MIB), '-c', '1024'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  const pid = child.pid as number;
  let serverDied = false;
  child.on('exit', () => {
    serverDied = true;
  });

  let controlConn: SoakConnection | undefined;
  const control = async (): Promise<SoakConnection> => {
    if (controlConn === undefined || controlConn.closed) controlConn = await SoakConnection.open(port);
    return controlConn;
  };

  const totals: Totals = { gets: 0, hits: 0, sets: 0, stored: 0, deletes: 0, incrs: 0, disconnects: 0, wrong: 0, wrongExamples: [] };
  const start = Date.now();
  const end = start + minutes * 60_000;
  const samples: Sample[] = [];
  let overLimit: Sample | undefined;

  const sample = async (): Promise<void> => {
    const c = await control();
    const reply = await c.request('stats\r\n', 'stats');
    const stats = parseStatsReply(reply.kind === 'stats' ? reply.lines.join('\n') : '');
    const rss = processRssBytes(pid);
    const hashBytes = statNumber(stats, 'hash_bytes');
    const hits = statNumber(stats, 'get_hits');
    const misses = statNumber(stats, 'get_misses');
    const s: Sample = {
      seconds: Math.round((Date.now() - start) / 1000),
      rssMiB: rss / MIB,
      limitMiB: MEMORY_LIMIT_MIB + hashBytes / MIB + ALLOWANCE_MIB,
      items: statNumber(stats, 'curr_items'),
      hitRatio: hits + misses > 0 ? hits / (hits + misses) : 0,
      evictions: statNumber(stats, 'evictions'),
      wrong: totals.wrong,
      ops: totals.gets + totals.sets + totals.deletes + totals.incrs,
    };
    samples.push(s);
    if (s.rssMiB > s.limitMiB && overLimit === undefined) overLimit = s;
    console.log(
      `t=${String(s.seconds).padStart(5)}s  rss ${s.rssMiB.toFixed(1)} MiB (limit ${s.limitMiB.toFixed(1)})  items ${s.items}  ` +
        `hit ${(s.hitRatio * 100).toFixed(1)}%  evictions ${s.evictions}  ops ${s.ops}  wrong ${s.wrong}`,
    );
  };

  console.log(
    `soak: ${minutes} min, ${connections} connections, seed ${seed}; server -m ${MEMORY_LIMIT_MIB}, pid ${pid}; ` +
      `RSS limit = -m + hash_bytes + ${ALLOWANCE_MIB} MiB`,
  );
  await sample();
  const timer = setInterval(() => {
    sample().catch(() => {});
  }, sampleMs);
  await Promise.all(Array.from({ length: connections }, (_, i) => worker(i, port, control, end, seed, totals)));
  clearInterval(timer);
  const diedDuringRun = serverDied;
  if (!diedDuringRun) await sample();
  controlConn?.socket.destroy();
  child.kill('SIGTERM');
  const exit = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));

  const peak = samples.reduce((m, s) => Math.max(m, s.rssMiB), 0);
  const last = samples.at(-1);
  const passed = totals.wrong === 0 && overLimit === undefined && !diedDuringRun && exit === 0 && totals.gets > 0;
  console.log(
    `\n${passed ? 'PASS' : 'FAIL'}: ${totals.gets} gets (${totals.hits} hits, ${((totals.hits / Math.max(1, totals.gets)) * 100).toFixed(1)}%), ` +
      `${totals.sets} sets, ${totals.deletes} deletes, ${totals.incrs} incrs, ${totals.disconnects} disconnects; ` +
      `wrong values ${totals.wrong}; peak RSS ${peak.toFixed(1)} MiB (limit ${last?.limitMiB.toFixed(1)}); ` +
      `${diedDuringRun ? 'SERVER DIED during the run' : `server exit ${exit} after SIGTERM`}`,
  );
  for (const w of totals.wrongExamples) console.log(`  wrong: ${w}`);
  if (overLimit) console.log(`  RSS over the limit at t=${overLimit.seconds}s: ${overLimit.rssMiB.toFixed(1)} > ${overLimit.limitMiB.toFixed(1)} MiB`);

  if (values.out !== undefined) writeFileSync(values.out, markdown(minutes, connections, seed, samples, totals, peak, passed));
  process.exitCode = passed ? 0 : 1;
}

/** The result as a Markdown section: a row per minute (and the last sample). */
function markdown(minutes: number, connections: number, seed: number, samples: Sample[], totals: Totals, peak: number, passed: boolean): string {
  const rows: Sample[] = [];
  let nextMinute = 0;
  for (const s of samples) {
    if (s.seconds >= nextMinute * 60) {
      rows.push(s);
      nextMinute = Math.floor(s.seconds / 60) + 1;
    }
  }
  const last = samples.at(-1);
  if (last !== undefined && rows.at(-1) !== last) rows.push(last);
  const lines = [
    `## Soak: ${minutes} minutes against -m ${MEMORY_LIMIT_MIB}`,
    '',
    `\`npm run soak -- --minutes ${minutes} --connections ${connections} --seed ${seed}\` on ${new Date().toISOString().slice(0, 10)}: ` +
      `${connections} clients; gets and multi-gets, sets with TTL 0 or 1-30 s, deletes, incr; values 64 B-100 KB; ` +
      `pipelined batches; random disconnects. RSS limit = -m + hash_bytes + ${ALLOWANCE_MIB} MiB (Node baseline and buffers).`,
    '',
    '| time | RSS (MiB) | limit (MiB) | items | hit ratio | evictions | wrong values |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (s) =>
        `| ${Math.floor(s.seconds / 60)}:${String(s.seconds % 60).padStart(2, '0')} | ${s.rssMiB.toFixed(1)} | ${s.limitMiB.toFixed(1)} | ${s.items} | ${(s.hitRatio * 100).toFixed(1)}% | ${s.evictions} | ${s.wrong} |`,
    ),
    '',
    `Result: **${passed ? 'pass' : 'FAIL'}**. ${totals.gets} gets (${((totals.hits / Math.max(1, totals.gets)) * 100).toFixed(1)}% hits), ` +
      `${totals.sets} sets, ${totals.deletes} deletes, ${totals.incrs} incrs, ${totals.disconnects} disconnects; ` +
      `wrong values: ${totals.wrong}; peak RSS ${peak.toFixed(1)} MiB.`,
    '',
  ];
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
