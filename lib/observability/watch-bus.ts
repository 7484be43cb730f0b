// The process-wide log bus behind memcached's `watch` command: publishers
// (the request path, the server's accept/close) hand it log lines of one
// event type; it stamps them with memcached's `ts=<sec>.<usec> gid=<n>` and
// offers them to every watcher that asked for that type.
//
// Cost when nobody watches: publishers test `watchBus.flags & WATCH.X`
// (one load and one AND) before building a line; the bus is never called.
// Each watcher bounds its own buffer (watch-stream.ts).
//
// -t N (attachShared): the flag word, the ids and the counters live in
// shared memory (watch-rings.ts); every thread publishes into its own
// bounded ring, and a worker with watchers drains every thread's ring into
// them, waking on the rings' doorbell. So a watcher sees the traffic of all
// workers and the housekeeper's evictions; while nobody watches, an event
// still costs one load (of the shared flag word), as with one thread.

import type { WatchRings } from './watch-rings.js';

/** Event types, as memcached's watch arguments. */
export const WATCH = Object.freeze({
  RAWCMDS: 1,
  EVICTIONS: 2,
  FETCHERS: 4,
  MUTATIONS: 8,
  SYSEVENTS: 16,
  CONNEVENTS: 32,
  PROXYREQS: 64,
  PROXYEVENTS: 128,
  PROXYUSER: 256,
});

/** memcached's watch argument names. */
export const WATCH_NAMES: Readonly<Record<string, number>> = Object.freeze({
  rawcmds: WATCH.RAWCMDS,
  evictions: WATCH.EVICTIONS,
  fetchers: WATCH.FETCHERS,
  mutations: WATCH.MUTATIONS,
  sysevents: WATCH.SYSEVENTS,
  connevents: WATCH.CONNEVENTS,
  proxyreqs: WATCH.PROXYREQS,
  proxyevents: WATCH.PROXYEVENTS,
  proxyuser: WATCH.PROXYUSER,
});

/** One subscriber: receives complete lines (`ts=... gid=... <body>\n`). */
export interface WatchSink {
  readonly flags: number;
  /** The global id of the first line this watcher may see (memcached's min_gid). */
  readonly minGid: number;
  offer(line: string): void;
}

/** Longest sleep of a draining worker between doorbells (a missed wake-up costs at most this). */
const DRAIN_IDLE_MS = 1000;

/** memcached's watcher limit (WATCHER_LIMIT). */
export const MAX_WATCHERS = 20;

export class WatchBus {
  /** Cell 0: the union of every watcher's flags (0 when nobody watches); shared with -t N. */
  private flagWord: Int32Array<ArrayBufferLike> = new Int32Array(1);
  private gid = 0;
  private localSent = 0;
  private localSkipped = 0;
  private readonly sinks: WatchSink[] = [];
  private shared: { rings: WatchRings; reader: number } | undefined;
  private draining = false;

  /** What publishers test before building a line: one load. */
  get flags(): number {
    return this.flagWord[0]!;
  }

  /**
   * -t N: publish into this thread's ring of `rings` and, as reader
   * `reader` (-1 for a thread that holds no watchers), drain every ring to
   * this thread's watchers. The flags then are every thread's watchers'.
   */
  attachShared(rings: WatchRings, reader: number): void {
    this.shared = { rings, reader };
    this.flagWord = rings.flagWord;
  }

  get isShared(): boolean {
    return this.shared !== undefined;
  }

  /** Watchers attached (in every thread with -t N): stats log_watchers. */
  get watcherCount(): number {
    return this.shared ? this.shared.rings.totals().watchers : this.sinks.length;
  }

  /** Lines sent to watchers (stats log_watcher_sent). */
  get sent(): number {
    return this.shared ? this.shared.rings.totals().sent : this.localSent;
  }

  /** Lines a slow watcher's full buffer dropped (stats log_watcher_skipped). */
  get skipped(): number {
    return this.shared ? this.shared.rings.totals().skipped : this.localSkipped;
  }

  /** Lines threads wrote for watchers / dropped on a full ring (stats log_worker_written / dropped). */
  workerCounts(): { written: number; dropped: number } {
    if (this.shared) return this.shared.rings.totals();
    return { written: this.localSent + this.localSkipped, dropped: 0 };
  }

  countSent(): void {
    if (this.shared) this.shared.rings.countSent(this.shared.reader, 1);
    else this.localSent++;
  }

  countSkipped(): void {
    if (this.shared) this.shared.rings.countSkipped(this.shared.reader, 1);
    else this.localSkipped++;
  }

  /** Next global id (memcached numbers every logged entry, across threads). */
  nextGid(): number {
    return this.shared ? this.shared.rings.nextGid() : ++this.gid;
  }

  /** Add a watcher; false when MAX_WATCHERS are already attached (in the whole process). */
  subscribe(sink: WatchSink): boolean {
    if (this.watcherCount >= MAX_WATCHERS) return false;
    if (this.shared !== undefined && this.shared.reader < 0) return false;
    this.sinks.push(sink);
    this.updateFlags(+1);
    return true;
  }

  unsubscribe(sink: WatchSink): void {
    const i = this.sinks.indexOf(sink);
    if (i < 0) return;
    this.sinks.splice(i, 1);
    this.updateFlags(-1);
  }

  /**
   * Publish one event of type `flag`; `body` is the text after
   * `ts=... gid=... ` without the newline (e.g. `type=item_get key=a ...`).
   */
  publish(flag: number, body: string): void {
    if ((this.flags & flag) === 0) return;
    const gid = this.nextGid();
    const ms = Date.now();
    const hr = process.hrtime();
    // memcached prints tv_usec without zero padding.
    const usec = (ms % 1000) * 1000 + (Math.floor(hr[1] / 1000) % 1000);
    const line = `ts=${Math.floor(ms / 1000)}.${usec} gid=${gid} ${body}\n`;
    if (this.shared) this.shared.rings.write(flag, gid, line);
    else this.deliver(flag, gid, line);
  }

  private readonly deliver = (flag: number, gid: number, line: string): void => {
    for (const sink of this.sinks) {
      if ((sink.flags & flag) === 0 || gid < sink.minGid) continue;
      sink.offer(line);
    }
  };

  private updateFlags(delta: number): void {
    let flags = 0;
    for (const s of this.sinks) flags |= s.flags;
    const shared = this.shared;
    if (shared === undefined) {
      this.flagWord[0] = flags;
      return;
    }
    // Read from the rings before publishers see the flags, stop after they no longer do.
    if (delta > 0 && this.sinks.length === 1) shared.rings.startReading(shared.reader);
    shared.rings.setReaderFlags(shared.reader, flags, this.sinks.length);
    if (this.sinks.length === 0) shared.rings.stopReading(shared.reader);
    else if (!this.draining) void this.drainLoop(shared.rings, shared.reader);
  }

  /** While this thread has watchers: drain every ring into them, sleeping on the doorbell in between. */
  private async drainLoop(rings: WatchRings, reader: number): Promise<void> {
    this.draining = true;
    try {
      while (this.sinks.length > 0) {
        const seen = rings.doorbell();
        // More written meanwhile: let this thread's connections run, then drain again.
        if (rings.drain(reader, this.deliver)) await new Promise((resolve) => setImmediate(resolve));
        else await rings.waitForLines(seen, DRAIN_IDLE_MS);
      }
    } finally {
      this.draining = false;
    }
  }
}

/** The one bus of this process. */
export const watchBus = new WatchBus();
