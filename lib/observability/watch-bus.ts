// The process-wide log bus behind memcached's `watch` command: publishers
// (the request path, the server's accept/close) hand it log lines of one
// event type; it stamps them with memcached's `ts=<sec>.<usec> gid=<n>` and
// offers them to every watcher that asked for that type.
//
// Cost when nobody watches: publishers test `watchBus.flags & WATCH.X`
// (one load and one AND) before building a line; the bus is never called.
// Each watcher bounds its own buffer (watch-stream.ts). A future
// multi-threaded server publishes per thread and forwards lines here (or
// fans `publish` out to threads): the API is this one method.

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

/** memcached's watcher limit (WATCHER_LIMIT). */
export const MAX_WATCHERS = 20;

export class WatchBus {
  /** Union of every watcher's flags: 0 when nobody watches. */
  flags = 0;
  /** Lines sent to watchers and lines dropped for slow ones (stats log_watcher_sent / skipped). */
  sent = 0;
  skipped = 0;
  private gid = 0;
  private readonly sinks: WatchSink[] = [];

  get watcherCount(): number {
    return this.sinks.length;
  }

  /** Next global id (memcached numbers every logged entry). */
  nextGid(): number {
    return ++this.gid;
  }

  /** Add a watcher; false when MAX_WATCHERS are already attached. */
  subscribe(sink: WatchSink): boolean {
    if (this.sinks.length >= MAX_WATCHERS) return false;
    this.sinks.push(sink);
    this.flags |= sink.flags;
    return true;
  }

  unsubscribe(sink: WatchSink): void {
    const i = this.sinks.indexOf(sink);
    if (i < 0) return;
    this.sinks.splice(i, 1);
    let flags = 0;
    for (const s of this.sinks) flags |= s.flags;
    this.flags = flags;
  }

  /**
   * Publish one event of type `flag`; `body` is the text after
   * `ts=... gid=... ` without the newline (e.g. `type=item_get key=a ...`).
   */
  publish(flag: number, body: string): void {
    if ((this.flags & flag) === 0) return;
    const gid = ++this.gid;
    const ms = Date.now();
    const hr = process.hrtime();
    // memcached prints tv_usec without zero padding.
    const usec = (ms % 1000) * 1000 + (Math.floor(hr[1] / 1000) % 1000);
    const line = `ts=${Math.floor(ms / 1000)}.${usec} gid=${gid} ${body}\n`;
    for (const sink of this.sinks) {
      if ((sink.flags & flag) === 0 || gid < sink.minGid) continue;
      sink.offer(line);
    }
  }
}

/** The one bus of this process. */
export const watchBus = new WatchBus();
