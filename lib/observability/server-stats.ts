// Server-level counters (connections, commands, bytes), kept as plain numeric
// fields bumped with `++` on the request path. `stats` and the Prometheus
// endpoint read them; nothing on the request path calls into prom-client.
// Store-level counters (hits, misses, evictions...) live in the store's
// `counters` (segments/types.ts StoreCounters).

export class ServerCounters {
  /** Process start, unix ms (uptime). */
  readonly startedAtMs = Date.now();
  currConnections = 0;
  totalConnections = 0;
  rejectedConnections = 0;
  connectionStructures = 0;
  /** Listener paused because -c was reached (memcached listen_disabled_num). */
  listenDisabledNum = 0;
  /** Times a connection yielded after -R requests in one event. */
  connYields = 0;
  acceptingConns = 1;

  cmdGet = 0;
  cmdSet = 0;
  cmdFlush = 0;
  cmdTouch = 0;
  cmdMeta = 0;
  bytesRead = 0;
  bytesWritten = 0;
  authCmds = 0;
  authErrors = 0;
  idleKicks = 0;
  /** Requests whose parser or responder threw; each closed its connection. */
  requestFaults = 0;
  /** Requests per protocol, for our own metrics. */
  textRequests = 0;
  binaryRequests = 0;
  metaRequests = 0;
  /** 1 when this start restored the cache from an -e image (never reset). */
  restartWarm = 0;
  /** Items that start restored (never reset). */
  restartItemsRestored = 0;

  /** Reset what memcached's `stats reset` resets (not connection gauges). */
  reset(): void {
    this.totalConnections = 0;
    this.rejectedConnections = 0;
    this.listenDisabledNum = 0;
    this.connYields = 0;
    this.cmdGet = 0;
    this.cmdSet = 0;
    this.cmdFlush = 0;
    this.cmdTouch = 0;
    this.cmdMeta = 0;
    this.bytesRead = 0;
    this.bytesWritten = 0;
    this.authCmds = 0;
    this.authErrors = 0;
    this.idleKicks = 0;
    this.requestFaults = 0;
    this.textRequests = 0;
    this.binaryRequests = 0;
    this.metaRequests = 0;
  }
}
