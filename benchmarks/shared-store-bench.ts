// The shared store's serial fraction: N worker threads run store operations
// (90% bracketed get + copy of the value, 10% set; 100k keys of 32 B, 100 B
// values) on one shared store built with the lock timed (StoreTuning
// measureLock), and report the share of each thread's time spent holding
// the store lock exclusively or waiting for it in either mode (the serial
// fraction), plus the speedup Amdahl's law gives for 8 and 16 threads from
// that share. Reads take the lock shared (segment-store.ts): time inside a
// shared section is not serial, but the cost of entering and leaving it
// (an atomic on one shared word, whose cache line moves between cores) is
// counted in "waiting", as is a writer's wait for readers to drain.
// Stores built before the readers-writer lock report sharedNs 0.
// Optimistic reads (segment-store.ts, "Optimistic reads"): a get takes no
// lock; an attempt a writer overlapped is void and retried, and the time of
// every void attempt is counted as serial ("lost"): time the reader spent
// because a writer ran. The line gives the void share of attempts. Set
// --locked-reads to run gets under the shared lock instead (the store's
// optimisticReads tuning off), the measured alternative. --whole-links: every
// plain set's link voids every optimistic read (the store's stripedLinks
// tuning off; segment-store.ts "Striped links"), the measured alternative.
//
//   npm run build && node dist/benchmarks/shared-store-bench.js [--threads 1,2,4] [--ops 300000] [--requests] [--histogram]
//
// Default: store operations only, the share's upper bound. --requests runs
// whole text requests instead (parse, respondText with its brackets, reply
// bytes taken), as bench:micro does, but still no socket: a served request
// also pays a read and a write syscall outside the lock, so even this
// share overstates the server's.
// The timing itself (two hrtime reads per lock, one inside the held window)
// inflates "held" by tens of ns per acquisition. A plain set takes the lock
// twice (shared to write its record into its own segment, then exclusive to
// link it, or one upgrade when no other thread is inside: segment-store.ts
// "Own segments"); the line says how many sets went that way.
// --histogram: one more line per thread count, the serial share split into
// events (each wait, exclusive hold, void read attempt) under 8 µs and the
// longer ones (segments/lock-histogram.ts), which on a machine with more
// runnable threads than cores are mostly a thread descheduled while it
// held or waited; with Amdahl's figures from the short events alone.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { attachStore, createSharedStore, type SharedStoreHandle } from '../segments/shared-store.js';
import type { SegmentStore } from '../segments/segment-store.js';
import { createServerContext } from '../lib/server/server-context.js';
import { createCommandLog } from '../lib/observability/logger.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT, type Settings } from '../lib/cli/settings.js';
import { respondText } from '../lib/respond/respond-text.js';
import type { Session } from '../lib/server/context.js';
import { parseTextRequest } from '../protocol/text/parse.js';
import { DEFAULT_LIMITS } from '../protocol/request.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { LONG_EVENT_NS, SERIAL_EVENTS, quantileNs, sumHistograms, type HistogramFigures } from '../segments/lock-histogram.js';

const KEYS = 100_000;
// The LCG multiplies with Math.imul (a plain * loses bits past 2^53 and picked 18-20% sets) and choices use bits 8 and up.
/**
 * Operations per batch for the batch median. On a machine shared with other
 * work a thread descheduled inside the lock inflates the summed shares;
 * the median over batches is what an undisturbed batch spends.
 */
const BATCH = 1000;
const KEY_SIZE = 32;
const VALUE = Buffer.alloc(100, 0x61);

interface Task {
  handle: SharedStoreHandle;
  slot: number;
  ops: number;
  start: SharedArrayBuffer;
  threads: number;
  requests: boolean;
}

interface ReadAttempts {
  beginReadAttempt?(attempt: number): void;
  endReadAttempt?(): boolean;
  readAttempts?: number;
  readVoid?: number;
  readLostNs?: number;
  readStandNs?: number;
}

interface Result {
  /** Per batch of BATCH operations: (exclusive held + waiting) / wall. */
  batchShares: number[];
  wallNs: number;
  heldNs: number;
  waitNs: number;
  sharedNs: number;
  acquisitions: number;
  sharedAcquisitions: number;
  /** Plain sets through the thread's own segment, and of those the ones upgraded in place (0 on builds before own segments). */
  ownedSets: number;
  ownedUpgrades: number;
  /** Of ownedSets, those linked with only their index stripe's sequence word bumped (0 on builds before striped links). */
  stripedLinks: number;
  /** Optimistic read attempts, those void (a writer overlapped), and ns spent in void ones (0 on builds without). */
  readAttempts: number;
  readVoid: number;
  lostNs: number;
  standNs: number;
  /** Serial events by duration (null on builds without lockHistogram). */
  histogram: HistogramFigures | null;
}

function keyOf(i: number, into: Buffer): Buffer {
  into.write(String(i).padStart(KEY_SIZE, '0'), 0, 'latin1');
  return into;
}

function work(task: Task): Result {
  const store = attachStore(task.handle, { threadSlot: task.slot });
  const key = Buffer.alloc(KEY_SIZE);
  const out = Buffer.alloc(4096);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  const gate = new Int32Array(task.start);
  Atomics.add(gate, 0, 1);
  for (let n = Atomics.load(gate, 0); n < task.threads; n = Atomics.load(gate, 0)) Atomics.wait(gate, 0, n, 20);
  if (task.requests) return serve(task, store);
  let x = task.slot * 7919 + 1;
  const attempts = typeof (store as ReadAttempts).beginReadAttempt === 'function';
  const batches = new Batches(store);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < task.ops; i++) {
    if (i % BATCH === 0) batches.mark();
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    keyOf((x >>> 8) % KEYS, key);
    if ((x >>> 8) % 10 === 0) {
      store.store('set', key, VALUE, 0, 0, 0);
    } else if (attempts) {
      for (let attempt = 0; ; attempt++) {
        store.beginReadAttempt(attempt);
        try {
          const ref = store.get(key);
          if (ref >= 0) store.copyValue(ref, out, 0, view);
        } catch (err) {
          if (!store.readTorn()) throw err;
        }
        if (store.endReadAttempt()) break;
      }
    } else {
      store.beginRead();
      try {
        const ref = store.get(key);
        if (ref >= 0) store.copyValue(ref, out, 0, view);
      } finally {
        store.endRead();
      }
    }
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  return { batchShares: batches.shares, wallNs, ...lockTimes(store), histogram: histogramOf(store) };
}

/** Whole text requests through the responder: 90% `get <key>`, 10% `set <key> 0 0 100`. */
function serve(task: Task, store: SegmentStore): Result {
  const settings: Settings = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, maxBytes: 64 * 1024 * 1024 };
  const ctx = createServerContext({ settings, store, log: createCommandLog(0), sasl: undefined, connections: () => [], onShutdown: () => {} });
  const session: Session = { id: 1, authenticated: true, closeAfterWrite: () => {}, replyRoom: Infinity, makeRoom: () => true, resumeAfterDrain: () => {} };
  const key = Buffer.alloc(KEY_SIZE);
  const lines: Buffer[] = [];
  let x = task.slot * 7919 + 1;
  for (let i = 0; i < 4096; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const k = keyOf((x >>> 8) % KEYS, key).toString('latin1');
    lines.push((x >>> 8) % 10 === 0 ? Buffer.concat([Buffer.from(`set ${k} 0 0 100\r\n`), VALUE, Buffer.from('\r\n')]) : Buffer.from(`get ${k}\r\n`));
  }
  const out = new ReplyWriter(16 * 1024);
  let sink = 0;
  const batches = new Batches(store);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < task.ops; i++) {
    if (i % BATCH === 0) batches.mark();
    const r = parseTextRequest(lines[i & 4095]!, 0, DEFAULT_LIMITS);
    if (r.kind !== 'ok') throw new Error('parse');
    respondText(r.request, ctx, session, out);
    const taken = out.take();
    if (taken !== null) sink += taken.length;
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  return { batchShares: batches.shares, wallNs: wallNs + (sink === -1 ? 1 : 0), ...lockTimes(store), histogram: histogramOf(store) };
}

/** Serial share per batch of operations (see BATCH). */
class Batches {
  readonly shares: number[] = [];
  private at = 0n;
  private serial = 0;

  constructor(private readonly store: SegmentStore) {}

  mark(): void {
    const now = process.hrtime.bigint();
    const t = lockTimes(this.store);
    const serial = t.heldNs + t.waitNs + t.lostNs;
    if (this.at !== 0n) this.shares.push((serial - this.serial) / Number(now - this.at));
    this.at = now;
    this.serial = serial;
  }
}

function lockTimes(store: SegmentStore): Omit<Result, 'wallNs' | 'batchShares' | 'histogram'> {
  const t = store.lockTimes() as Partial<Omit<Result, 'wallNs' | 'batchShares' | 'histogram'>>;
  const own = store as { ownedSets?: number; ownedUpgrades?: number; stripedLinks?: number } & ReadAttempts;
  return {
    heldNs: t.heldNs ?? 0,
    waitNs: t.waitNs ?? 0,
    sharedNs: t.sharedNs ?? 0,
    acquisitions: t.acquisitions ?? 0,
    sharedAcquisitions: t.sharedAcquisitions ?? 0,
    ownedSets: own.ownedSets ?? 0,
    ownedUpgrades: own.ownedUpgrades ?? 0,
    stripedLinks: own.stripedLinks ?? 0,
    readAttempts: own.readAttempts ?? 0,
    readVoid: own.readVoid ?? 0,
    lostNs: own.readLostNs ?? 0,
    standNs: own.readStandNs ?? 0,
  };
}

function histogramOf(store: SegmentStore): HistogramFigures | null {
  const s = store as { lockHistogram?(): HistogramFigures | null };
  return typeof s.lockHistogram === 'function' ? s.lockHistogram() : null;
}

/** The --histogram line: the serial share split at LONG_EVENT_NS, summed over threads. */
function histogramLine(results: readonly Result[], wall: number, amdahl: (n: number, share: number) => string): string {
  const figures = results.map((r) => r.histogram).filter((h): h is HistogramFigures => h !== null);
  if (figures.length === 0) return '  histogram: not recorded by this build';
  const h = sumHistograms(figures);
  const pct = (ns: number): string => `${((100 * ns) / wall).toFixed(1)}%`;
  let shortNs = 0;
  let longNs = 0;
  const parts: string[] = [];
  for (const kind of SERIAL_EVENTS) {
    const f = h[kind];
    shortNs += f.shortNs;
    longNs += f.longNs;
    parts.push(
      `${kind} ${pct(f.shortNs)} in ${f.shortCount} short + ${pct(f.longNs)} in ${f.longCount} long (p50 < ${quantileNs(f, 0.5)} ns, p99 < ${quantileNs(f, 0.99)} ns)`,
    );
  }
  const short = shortNs / wall;
  return (
    `  serial split at ${LONG_EVENT_NS / 1000} µs: short events ${pct(shortNs)} of wall, long ${pct(longNs)}; ${parts.join('; ')}; ` +
    `Amdahl from the short events alone: x${amdahl(8, short)} at 8 threads, x${amdahl(16, short)} at 16`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '1,2,4' },
      ops: { type: 'string', default: '300000' },
      requests: { type: 'boolean', default: false },
      'locked-reads': { type: 'boolean', default: false },
      'whole-links': { type: 'boolean', default: false },
      histogram: { type: 'boolean', default: false },
    },
  });
  const ops = Number(values.ops);
  const requests = values.requests;
  console.log(`${requests ? 'text requests' : 'store ops'} per thread: ${ops} (90% get, 10% set of 100 B), ${KEYS} keys`);
  for (const threads of values.threads.split(',').map(Number)) {
    const handle = createSharedStore({ memoryLimitBytes: 64 << 20, itemSizeMax: 1 << 20, hashSeed: 3 }, { measureLock: true, maxThreads: threads + 1, optimisticReads: !values['locked-reads'], stripedLinks: !values['whole-links'] });
    const loader = attachStore(handle, { threadSlot: threads });
    const key = Buffer.alloc(KEY_SIZE);
    for (let i = 0; i < KEYS; i++) loader.store('set', keyOf(i, key), VALUE, 0, 0, 0);
    const start = new SharedArrayBuffer(4);
    const url = new URL(import.meta.url);
    const results = await Promise.all(
      Array.from(
        { length: threads },
        (_, slot) =>
          new Promise<Result>((resolve, reject) => {
            const w = new Worker(url, { workerData: { handle, slot, ops, start, threads, requests } satisfies Task });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    const wall = results.reduce((n, r) => n + r.wallNs, 0);
    const held = results.reduce((n, r) => n + r.heldNs, 0);
    const wait = results.reduce((n, r) => n + r.waitNs, 0);
    const shared = results.reduce((n, r) => n + r.sharedNs, 0);
    const acquisitions = results.reduce((n, r) => n + r.acquisitions, 0);
    const sharedAcquisitions = results.reduce((n, r) => n + r.sharedAcquisitions, 0);
    const ownedSets = results.reduce((n, r) => n + r.ownedSets, 0);
    const ownedUpgrades = results.reduce((n, r) => n + r.ownedUpgrades, 0);
    const stripedLinks = results.reduce((n, r) => n + r.stripedLinks, 0);
    const lost = results.reduce((n, r) => n + r.lostNs, 0);
    const readAttempts = results.reduce((n, r) => n + r.readAttempts, 0);
    const readVoid = results.reduce((n, r) => n + r.readVoid, 0);
    // A void attempt's wall time includes any descheduling inside it (on a
    // loaded machine, most of it); the work redone is about one attempt's
    // worth: voids x the mean wall time of attempts that stood.
    const stand = results.reduce((n, r) => n + r.standNs, 0);
    const redo = readVoid * (stand / Math.max(1, readAttempts - readVoid));
    const s = (held + wait + lost) / wall;
    const amdahl = (n: number, share = s): string => (1 / (share + (1 - share) / n)).toFixed(1);
    const shares = results.flatMap((r) => r.batchShares).sort((a, b) => a - b);
    const m = shares[Math.floor(shares.length / 2)] ?? 0;
    const throughput = (threads * ops) / (Math.max(...results.map((r) => r.wallNs)) / 1e9);
    console.log(
      `threads ${threads}: ${(throughput / 1e6).toFixed(2)} M ops/s, serial ${(100 * s).toFixed(1)}% ` +
        `(exclusive held ${((100 * held) / wall).toFixed(1)}% + waiting ${((100 * wait) / wall).toFixed(1)}% + lost in void reads ${((100 * lost) / wall).toFixed(1)}%), ` +
        `${readAttempts} optimistic read attempts, ${readVoid} void (${((100 * readVoid) / Math.max(1, readAttempts)).toFixed(2)}%; ` +
        `redone work ~${((100 * redo) / wall).toFixed(2)}% of wall, serial ${((100 * (held + wait + redo)) / wall).toFixed(1)}% if it replaces the void attempts' wall time), ` +
        `shared held ${((100 * shared) / wall).toFixed(1)}%, ${acquisitions} exclusive / ${sharedAcquisitions} shared acquisitions, ` +
        `${(held / Math.max(1, acquisitions)).toFixed(0)} ns per exclusive hold; ` +
        `${ownedSets} sets through own segments, ${ownedUpgrades} of them upgraded in place, ${stripedLinks} linked by stripe; ` +
        `Amdahl from the serial share: x${amdahl(8)} at 8 threads, x${amdahl(16)} at 16`,
    );
    console.log(
      `  median over ${shares.length} batches of ${BATCH}: serial ${(100 * m).toFixed(1)}% (p25 ${(100 * shares[Math.floor(shares.length / 4)]!).toFixed(1)}%, ` +
        `p75 ${(100 * shares[Math.floor((3 * shares.length) / 4)]!).toFixed(1)}%); Amdahl from it: x${amdahl(8, m)} at 8 threads, x${amdahl(16, m)} at 16`,
    );
    if (values.histogram) console.log(histogramLine(results, wall, amdahl));
  }
}

if (isMainThread) {
  await main();
} else {
  parentPort!.postMessage(work(workerData as Task));
}
