// Server-level counters (connections, commands, bytes), bumped with `++` on
// the request path. `stats` and the Prometheus endpoint read them; nothing on
// the request path calls into prom-client. Store-level counters (hits,
// misses, evictions...) live in the store's `counters` (segments/types.ts).
//
// Each counter is one slot of a Float64Array (a property accessor, so the
// request path still writes `counters.cmdGet++`). With -t N the arrays are
// blocks of one SharedArrayBuffer (CounterBlocks): block 0 is the main
// thread's (accepting, rejected connections), block 1+i worker i's. Only a
// block's own thread writes it, so no atomics are needed; readers sum the
// blocks (CounterTotals). Aligned 8-byte reads do not tear on the platforms
// Node runs on; a sum read while a worker counts may be one request stale,
// as memcached's per-thread stats are. `stats reset` from any thread zeroes
// every block; an increment racing that reset may survive it.

const FIELDS = [
  'currConnections',
  'totalConnections',
  'rejectedConnections',
  'connectionStructures',
  /** Listener paused because -c was reached (memcached listen_disabled_num). */
  'listenDisabledNum',
  /** Times a connection yielded after -R requests in one event. */
  'connYields',
  'acceptingConns',
  'cmdGet',
  'cmdSet',
  'cmdFlush',
  'cmdTouch',
  'cmdMeta',
  'bytesRead',
  'bytesWritten',
  'authCmds',
  'authErrors',
  'idleKicks',
  /** Requests whose parser or responder threw; each closed its connection. */
  'requestFaults',
  /** Requests per protocol, for our own metrics. */
  'textRequests',
  'binaryRequests',
  'metaRequests',
  /** 1 when this start restored the cache from an -e image (never reset; main thread's block). */
  'restartWarm',
  /** Items that start restored (never reset; main thread's block). */
  'restartItemsRestored',
  /** -Z: TLS handshakes that failed (memcached ssl_handshake_errors). */
  'sslHandshakeErrors',
  /** Connection input buffers held now, and their bytes (gauges, input-buffer.ts). */
  'readBufCount',
  'readBufBytes',
] as const;

type CounterName = (typeof FIELDS)[number];

/** What memcached's `stats reset` leaves alone: the connection gauges. */
const KEPT_ON_RESET: ReadonlySet<CounterName> = new Set(['currConnections', 'connectionStructures', 'acceptingConns', 'restartWarm', 'restartItemsRestored', 'readBufCount', 'readBufBytes']);
const RESET_SLOTS = FIELDS.flatMap((name, i) => (KEPT_ON_RESET.has(name) ? [] : [i]));
const ACCEPTING = FIELDS.indexOf('acceptingConns');

/** Float64 slots one thread's counters take. */
export const COUNTER_SLOTS = FIELDS.length;

// The counter names as number properties (declaration merging with the class).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface ServerCounters extends Record<CounterName, number> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class ServerCounters {
  /** Process start, unix ms (uptime). */
  readonly startedAtMs: number;
  readonly values: Float64Array;

  /** Counters over `values` (a block of CounterBlocks), or a private array accepting connections. */
  constructor(values?: Float64Array, startedAtMs = Date.now()) {
    this.startedAtMs = startedAtMs;
    if (values === undefined) {
      this.values = new Float64Array(COUNTER_SLOTS);
      this.values[ACCEPTING] = 1;
    } else {
      this.values = values;
    }
  }

  /** Reset what memcached's `stats reset` resets (not connection gauges). */
  reset(): void {
    for (const i of RESET_SLOTS) this.values[i] = 0;
  }
}

FIELDS.forEach((name, i) => {
  Object.defineProperty(ServerCounters.prototype, name, {
    get(this: ServerCounters): number {
      return this.values[i] as number;
    },
    set(this: ServerCounters, v: number) {
      this.values[i] = v;
    },
  });
});

/** One Float64 block per thread in one SharedArrayBuffer: block 0 main, 1+i worker i. */
export class CounterBlocks {
  readonly buffer: SharedArrayBuffer;
  readonly blocks: number;
  readonly startedAtMs: number;

  constructor(workers: number, buffer?: SharedArrayBuffer, startedAtMs = Date.now()) {
    this.blocks = workers + 1;
    this.buffer = buffer ?? new SharedArrayBuffer(this.blocks * COUNTER_SLOTS * Float64Array.BYTES_PER_ELEMENT);
    this.startedAtMs = startedAtMs;
    if (buffer === undefined) this.block(0).acceptingConns = 1;
  }

  /** Block 0 is the main thread's, block 1 + i worker i's. */
  block(index: number): ServerCounters {
    const bytes = COUNTER_SLOTS * Float64Array.BYTES_PER_ELEMENT;
    return new ServerCounters(new Float64Array(this.buffer, index * bytes, COUNTER_SLOTS), this.startedAtMs);
  }

  /** A live view summing every block; its reset() resets all of them. */
  totals(): CounterTotals {
    return new CounterTotals(this);
  }
}

/** Counters read as the sum over every thread's block (what `stats` and /metrics show). */
export class CounterTotals extends ServerCounters {
  /** Every block, back to back. */
  readonly all: Float64Array;
  readonly blocks: number;

  constructor(source: CounterBlocks) {
    super(new Float64Array(COUNTER_SLOTS), source.startedAtMs);
    this.all = new Float64Array(source.buffer);
    this.blocks = source.blocks;
  }

  override reset(): void {
    for (let b = 0; b < this.blocks; b++) for (const i of RESET_SLOTS) this.all[b * COUNTER_SLOTS + i] = 0;
  }
}

FIELDS.forEach((name, i) => {
  Object.defineProperty(CounterTotals.prototype, name, {
    get(this: CounterTotals): number {
      let sum = 0;
      for (let b = 0; b < this.blocks; b++) sum += this.all[b * COUNTER_SLOTS + i] as number;
      return sum;
    },
    set() {
      throw new Error(`${name}: totals are read-only; count in a thread's own block`);
    },
  });
});
