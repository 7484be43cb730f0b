// Replays a profile's request stream look-aside against one server at a
// fixed request rate: a get that misses is followed by a set of that key
// with its size and TTL, explicit writes (set, add, cas after gets, delete)
// go out at their shares. Each key always uses the same connection, so its
// requests are answered in order and the written model is updated in reply
// order. Every hit is checked byte for byte; every miss gets a cause.

import { performance } from 'node:perf_hooks';
import { TextConnection, fetchStatsText } from '../core/text-connection.js';
import { ValuePool } from '../core/value-pool.js';
import { parseStatsReply, statNumber } from '../core/stats-lines.js';
import type { Reply, ValueItem } from '../core/reply-parser.js';
import { KeyAttributes, type TtlPolicy } from './key-attributes.js';
import type { ClusterProfile } from './profiles.js';
import { RequestStream, type TraceRequest } from './request-stream.js';
import { WrittenModel, type MissCause } from './written-model.js';
import { ZipfSampler } from './zipf.js';

export interface ReplayConfig {
  host: string;
  port: number;
  profile: ClusterProfile;
  keySpace: number;
  requests: number;
  ratePerSec: number;
  connections: number;
  /** Requests in flight per connection before the stream waits. */
  window: number;
  seed: number;
  ttl: TtlPolicy;
  toleranceMs: number;
}

export interface ReplayResult {
  profile: string;
  requests: number;
  seconds: number;
  achievedRate: number;
  gets: number;
  hits: number;
  misses: number;
  missRatio: number;
  /** Misses by cause, and capacity misses / gets. */
  compulsory: number;
  expired: number;
  capacity: number;
  deleted: number;
  capacityMissRatio: number;
  /** Hits with bytes or flags other than the latest stored version: must be 0. */
  wrongValues: number;
  /** Hits on items past their deadline: must be 0. */
  expiredServed: number;
  /**
   * Hits whose get was sent after the item's latest exact deadline (reply +
   * TTL), expiredServed included: a clock that ticked late served them.
   */
  hitsPastDeadline: number;
  /** Expired misses answered before the item's earliest exact deadline (send + TTL): whole-second rounding dropped them early. */
  expiredBeforeDeadline: number;
  sets: number;
  writeErrors: number;
  lastWriteError: string;
  distinctKeys: number;
  /** Key + value bytes of every distinct key requested. */
  workingSetBytes: number;
  itemsHeld: number;
  evictions: number;
  /** Bytes the server allocated for items at the end (`stats slabs` total_malloced); memcached's may pass -m. */
  malloced: number;
}

/** Flags carry the version's low bits, so a stale copy with equal bytes is still caught. */
function flagsFor(version: number): number {
  return version & 0xffff;
}

export async function runReplay(config: ReplayConfig): Promise<ReplayResult> {
  const { profile } = config;
  const attrs = new KeyAttributes(profile, config.seed, config.ttl);
  const stream = new RequestStream(profile, new ZipfSampler(config.keySpace, profile.zipfAlpha), config.seed);
  const model = new WrittenModel(config.keySpace, config.toleranceMs);
  const pool = new ValuePool(config.seed);
  const conns = await Promise.all(Array.from({ length: config.connections }, () => TextConnection.open(config.host, config.port)));
  // Set from a callback; the cast keeps TypeScript from narrowing it to null for good.
  let failure = null as Error | null;
  for (const c of conns) c.onFailure((err) => (failure ??= err));

  const seen = new Uint8Array(config.keySpace);
  let distinctKeys = 0;
  let workingSetBytes = 0;
  const r = {
    gets: 0,
    hits: 0,
    compulsory: 0,
    expired: 0,
    capacity: 0,
    deleted: 0,
    wrongValues: 0,
    expiredServed: 0,
    hitsPastDeadline: 0,
    expiredBeforeDeadline: 0,
    sets: 0,
    writeErrors: 0,
    lastWriteError: '',
  };
  let nextVersion = 1;
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;

  const countMiss = (cause: MissCause): void => {
    r[cause]++;
  };

  /** Check one returned value; true when it is the current version, in time. */
  const checkHit = (id: number, v: ValueItem, sentMs: number): void => {
    const size = attrs.valueSize(id);
    const verdict = model.judgeHit(id, sentMs, (version) => v.flags === flagsFor(version) && pool.matches(v.data, id, version, size));
    if (verdict === 'wrong') r.wrongValues++;
    else if (verdict === 'expired') r.expiredServed++;
  };

  const write = (conn: TextConnection, id: number, mode: 'set' | 'add' | 'replace' | 'cas', casToken = -1): void => {
    const version = nextVersion++;
    const size = attrs.valueSize(id);
    const ttl = attrs.ttlSec(id);
    const head = `${mode} ${attrs.key(id)} ${flagsFor(version)} ${ttl} ${size}${casToken >= 0 ? ' ' + casToken : ''}\r\n`;
    const buf = Buffer.allocUnsafe(head.length + size + 2);
    let off = buf.write(head, 0, 'latin1');
    off += pool.value(id, version, size).copy(buf, off);
    buf[off++] = 13;
    buf[off++] = 10;
    const sentMs = now();
    r.sets++;
    conn.send(buf, 'line', (reply) => {
      const line = reply.kind === 'line' ? reply.line : '';
      if (line === 'STORED') model.stored(id, version, ttl > 0 ? sentMs + ttl * 1000 : Infinity, ttl > 0 ? now() + ttl * 1000 : Infinity);
      else if (line === 'NOT_STORED' || line === 'EXISTS' || line === 'NOT_FOUND') return; // add/replace/cas lost: nothing changed
      else {
        r.writeErrors++;
        r.lastWriteError = line;
        model.writeFailed(id);
      }
    });
  };

  const issue = (req: TraceRequest, conn: TextConnection): void => {
    const id = req.keyId;
    if (!req.fresh && seen[id] === 0) {
      seen[id] = 1;
      distinctKeys++;
      workingSetBytes += attrs.key(id).length + attrs.valueSize(id);
    } else if (req.fresh) {
      distinctKeys++;
      workingSetBytes += attrs.key(id).length + attrs.valueSize(id);
    }
    const key = attrs.key(id);
    const sentMs = now();
    switch (req.op) {
      case 'get':
      case 'gets':
        r.gets++;
        conn.send(`${req.op} ${key}\r\n`, 'values', (reply: Reply) => {
          const v = reply.kind === 'values' ? reply.values[0] : undefined;
          if (v !== undefined) {
            r.hits++;
            if (model.pastDeadline(id, sentMs)) r.hitsPastDeadline++;
            checkHit(id, v, sentMs);
          } else {
            const answeredMs = now();
            const cause = model.classifyMiss(id, answeredMs);
            if (cause === 'expired' && model.beforeDeadline(id, answeredMs)) r.expiredBeforeDeadline++;
            countMiss(cause);
            write(conn, id, 'set'); // look-aside: fill on miss
          }
        });
        break;
      case 'set':
      case 'add':
        write(conn, id, req.op);
        break;
      case 'incr':
      case 'prepend':
        // Changes the item if present, nothing otherwise (profiles.ts).
        write(conn, id, 'replace');
        break;
      case 'cas':
        // Read-modify-write: gets, then cas with its token (the gets is not counted as a get).
        conn.send(`gets ${key}\r\n`, 'values', (reply: Reply) => {
          const v = reply.kind === 'values' ? reply.values[0] : undefined;
          if (v === undefined) return;
          checkHit(id, v, sentMs);
          write(conn, id, 'cas', v.cas);
        });
        break;
      case 'delete':
        conn.send(`delete ${key}\r\n`, 'line', () => model.deleted(id));
        break;
    }
  };

  await new Promise<void>((resolve, reject) => {
    let issued = 0;
    let held: TraceRequest | null = null;
    const pump = (): void => {
      if (failure) return reject(failure);
      const due = Math.min(config.requests, Math.floor((now() * config.ratePerSec) / 1000));
      while (issued < due) {
        const req = held ?? stream.next();
        const conn = conns[req.keyId % config.connections]!;
        if (conn.pending >= config.window) {
          held = req;
          break;
        }
        held = null;
        issue(req, conn);
        issued++;
      }
      if (issued >= config.requests) return resolve();
      if (issued < due) setImmediate(pump);
      else setTimeout(pump, 1);
    };
    pump();
  });
  // Look-aside sets may follow the last gets: drain until nothing is pending.
  while (conns.some((c) => c.pending > 0)) await Promise.all(conns.map((c) => c.drain()));
  if (failure) throw failure;
  const seconds = now() / 1000;
  const stats = parseStatsReply(await fetchStatsText(conns[0]!));
  const slabs = parseStatsReply(await fetchStatsText(conns[0]!, 'slabs'));
  for (const c of conns) c.close();

  const misses = r.compulsory + r.expired + r.capacity + r.deleted;
  return {
    profile: profile.name,
    requests: config.requests,
    seconds,
    achievedRate: config.requests / seconds,
    gets: r.gets,
    hits: r.hits,
    misses,
    missRatio: r.gets > 0 ? misses / r.gets : NaN,
    compulsory: r.compulsory,
    expired: r.expired,
    capacity: r.capacity,
    deleted: r.deleted,
    capacityMissRatio: r.gets > 0 ? r.capacity / r.gets : NaN,
    wrongValues: r.wrongValues,
    expiredServed: r.expiredServed,
    hitsPastDeadline: r.hitsPastDeadline,
    expiredBeforeDeadline: r.expiredBeforeDeadline,
    sets: r.sets,
    writeErrors: r.writeErrors,
    lastWriteError: r.lastWriteError,
    distinctKeys,
    workingSetBytes,
    itemsHeld: statNumber(stats, 'curr_items'),
    evictions: statNumber(stats, 'evictions'),
    malloced: statNumber(slabs, 'total_malloced'),
  };
}
