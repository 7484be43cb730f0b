// Accuracy of the sizing advisor (segments/advisor/): the hit-ratio suite's
// seeded Twitter-style streams replayed, look-aside, through full-size real
// SegmentStores at 1/2x, 1x, 2x and 4x of a memory size on a virtual clock
// (as hitratio-store-replay.ts), and through the advisor's miniature copies
// of those sizes at sampling rate R, in the same pass. Three predictions:
//
//   offline  the trace alone: a copy that misses a get fills itself with
//            the request's value size (what `grow-a-cache advise` does);
//   live     fed as the server feeds it: fill from the 1x store's hits,
//            the client's set after a 1x miss (segments/advisor/advised-store.ts),
//            and anchored at the 1x store's measured hit ratio as the server
//            anchors at -m (so its 1x point is exact by construction and its
//            errors are counted over the other sizes only);
//   lru      a byte-sized LRU at the same rate (SHARDS-style miniature LRU),
//            to show what a stack-algorithm curve would predict; also
//            anchored at the 1x store like 'live' (lru-anch), the fair
//            comparison with 'live'.
//
// Prints measured vs predicted hit ratio per size, and the mean absolute
// and worst error of each predictor over all profiles and sizes.
//
//   npm run bench:advisor -- [--profiles a,b] [--memory MB] [--rate R]
//     [--seed N] [--max-requests N] [--record-scale K]

import { parseArgs } from 'node:util';
import { SegmentStore } from '../segments/segment-store.js';
import { hashBytes } from '../segments/key-hash.js';
import { SizingAdvisor } from '../segments/advisor/sizing-advisor.js';
import { calibrateRun } from './hitratio/calibrate.js';
import { KeyAttributes } from './hitratio/key-attributes.js';
import { profileByName, type ClusterProfile } from './hitratio/profiles.js';
import { RequestStream } from './hitratio/request-stream.js';
import { ZipfSampler } from './hitratio/zipf.js';
import { DEFAULT_PROFILES, TTL_POLICY } from './suites/hitratio.js';

const ITEM_SIZE_MAX = 1024 * 1024;
const SEGMENT_SIZE = 1024 * 1024;
const MAX_RATE = 40_000;
const MIN_SECONDS = 30;
const START_MS = 1_700_000_000_000;
const MULTIPLES = [0.5, 1, 2, 4];
const HASH_SEED = 0x1234567;

/** A byte-capacity LRU over sampled keys, with lazy expiry: the SHARDS-style contrast. */
class MiniLru {
  private readonly items = new Map<number, { bytes: number; deadlineMs: number }>();
  private used = 0;
  gets = 0;
  hits = 0;
  constructor(private readonly capacity: number) {}
  get(key: number, nowMs: number): boolean {
    this.gets++;
    const e = this.items.get(key);
    if (e === undefined) return false;
    this.items.delete(key);
    if (e.deadlineMs <= nowMs) {
      this.used -= e.bytes;
      return false;
    }
    this.items.set(key, e);
    this.hits++;
    return true;
  }
  set(key: number, bytes: number, deadlineMs: number): void {
    const old = this.items.get(key);
    if (old !== undefined) {
      this.used -= old.bytes;
      this.items.delete(key);
    }
    if (bytes > this.capacity) return;
    this.items.set(key, { bytes, deadlineMs });
    this.used += bytes;
    for (const [k, e] of this.items) {
      if (this.used <= this.capacity) break;
      this.items.delete(k);
      this.used -= e.bytes;
    }
  }
  delete(key: number): void {
    const old = this.items.get(key);
    if (old === undefined) return;
    this.used -= old.bytes;
    this.items.delete(key);
  }
}

export interface AccuracyRow {
  profile: string;
  memoryBytes: number;
  measured: number;
  offline: number;
  live: number;
  lru: number;
  /** The LRU curve anchored at the 1x store as the live advisor is: the fair contrast to 'live'. */
  lruAnchored: number;
  copyItems: number;
  /** Bytes the offline copy of this size takes. */
  copyBytes: number;
}

export function measureProfile(profile: ClusterProfile, memoryBytes: number, rate: number, seed: number, maxRequests: number, recordScale?: number): AccuracyRow[] {
  const size = calibrateRun(profile, { memoryBytes, targetMultiple: 3, minRequests: 200_000, maxRequests, seed, ttl: TTL_POLICY });
  const pace = Math.min(MAX_RATE, Math.ceil(size.requests / MIN_SECONDS));
  let nowMs = START_MS;
  const clock = { nowMs: () => nowMs };
  const sizes = MULTIPLES.map((m) => m * memoryBytes);
  const stores = sizes.map(
    (bytes) => new SegmentStore({ memoryLimitBytes: bytes, itemSizeMax: ITEM_SIZE_MAX, segmentSize: SEGMENT_SIZE, clock }, {}),
  );
  const advisorOptions = { sizes, segmentSize: SEGMENT_SIZE, rate, seed, clock, ...(recordScale !== undefined ? { recordScale } : {}) };
  const offline = new SizingAdvisor(advisorOptions);
  const live = new SizingAdvisor(advisorOptions);
  const lrus = sizes.map((bytes) => new MiniLru(bytes * rate));
  const attrs = new KeyAttributes(profile, seed, TTL_POLICY);
  const stream = new RequestStream(profile, new ZipfSampler(size.keySpace, profile.zipfAlpha), seed);
  const filler = Buffer.alloc(ITEM_SIZE_MAX, 0x61);
  const gets = new Float64Array(sizes.length);
  const hits = new Float64Array(sizes.length);
  const oneX = MULTIPLES.indexOf(1);
  let lastTick = START_MS;

  for (let i = 0; i < size.requests; i++) {
    nowMs = START_MS + Math.floor((i * 1000) / pace);
    if (nowMs - lastTick >= 1000) {
      lastTick = nowMs;
      for (const s of stores) s.expireNow();
      offline.expireNow();
      live.expireNow();
    }
    const req = stream.next();
    const id = req.keyId;
    const key = Buffer.from(attrs.key(id), 'latin1');
    const valueSize = attrs.valueSize(id);
    const ttl = attrs.ttlSec(id);
    const hash = hashBytes(key, 0, key.length, HASH_SEED);
    const sampled = offline.offer(hash);
    live.offer(hash);
    const recordBytes = key.length + valueSize + 16;
    const deadlineMs = ttl > 0 ? nowMs + ttl * 1000 : Infinity;
    switch (req.op) {
      case 'get':
      case 'gets': {
        offline.countGet();
        live.countGet();
        let oneXHit = false;
        for (let s = 0; s < stores.length; s++) {
          gets[s]!++;
          if (stores[s]!.get(key) >= 0) {
            hits[s]!++;
            if (s === oneX) oneXHit = true;
          } else {
            stores[s]!.store('set', key, filler.subarray(0, valueSize), 0, ttl, 0);
          }
        }
        if (sampled) {
          offline.get(hash, key.length, valueSize, ttl);
          live.get(hash, key.length, oneXHit ? valueSize : -1, ttl);
          if (!oneXHit) live.set(hash, key.length, valueSize, ttl);
          for (const l of lrus) if (!l.get(hash, nowMs)) l.set(hash, recordBytes, deadlineMs);
        }
        break;
      }
      case 'set':
      case 'add':
      case 'cas':
        for (const s of stores) s.store(req.op === 'add' ? 'add' : 'set', key, filler.subarray(0, valueSize), 0, ttl, 0);
        if (sampled) {
          offline.set(hash, key.length, valueSize, ttl);
          live.set(hash, key.length, valueSize, ttl);
          for (const l of lrus) l.set(hash, recordBytes, deadlineMs);
        }
        break;
      case 'delete':
        for (const s of stores) s.delete(key, 0);
        if (sampled) {
          offline.delete(hash);
          live.delete(hash);
          for (const l of lrus) l.delete(hash);
        }
        break;
    }
  }
  const off = offline.curve();
  // The live server anchors its curve at its own measured hit ratio (the 1x store here).
  const lv = live.curve(live.allGets, { memoryBytes: sizes[oneX]!, hitRatio: hits[oneX]! / gets[oneX]! });
  const lruRatio = (s: number): number => (lrus[s]!.hits + rate * gets[s]! - lrus[s]!.gets) / (rate * gets[s]!);
  const lruShift = hits[oneX]! / gets[oneX]! - lruRatio(oneX);
  return sizes.map((bytes, s) => ({
    profile: profile.name,
    memoryBytes: bytes,
    measured: hits[s]! / gets[s]!,
    offline: off[s]!.hitRatio,
    live: lv[s]!.hitRatio,
    // SHARDS-adjusted like the copies.
    lru: lruRatio(s),
    lruAnchored: Math.min(1, Math.max(0, lruRatio(s) + lruShift)),
    copyItems: off[s]!.items,
    copyBytes: off[s]!.copyBytes,
  }));
}

function errors(rows: AccuracyRow[], pick: (r: AccuracyRow) => number): { mae: number; worst: number; n: number } {
  let sum = 0;
  let worst = 0;
  for (const r of rows) {
    const e = Math.abs(pick(r) - r.measured);
    sum += e;
    worst = Math.max(worst, e);
  }
  return { mae: sum / rows.length, worst, n: rows.length };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      profiles: { type: 'string', default: DEFAULT_PROFILES.join(',') },
      memory: { type: 'string', default: '32' },
      rate: { type: 'string', default: '0.01' },
      seed: { type: 'string', default: '42' },
      'max-requests': { type: 'string', default: '2000000' },
      'record-scale': { type: 'string' },
    },
  });
  const memoryBytes = Number(values.memory) * 1048576;
  const rate = Number(values.rate);
  const all: AccuracyRow[] = [];
  const pct = (x: number): string => (x * 100).toFixed(2).padStart(6);
  const recordScale = values['record-scale'] === undefined ? undefined : Number(values['record-scale']);
  console.log(`advisor accuracy: memory ${values.memory} MiB x ${MULTIPLES.join(', ')}, rate ${rate}, seed ${values.seed}, record scale ${recordScale ?? 'default'}`);
  console.log('profile    size MiB  measured  offline     live      lru  lru-anch  copy items  copy bytes');
  for (const name of values.profiles!.split(',')) {
    const t0 = Date.now();
    const rows = measureProfile(profileByName(name), memoryBytes, rate, Number(values.seed), Number(values['max-requests']), recordScale);
    for (const r of rows) {
      console.log(
        `${r.profile.padEnd(10)} ${(r.memoryBytes / 1048576).toFixed(0).padStart(8)}  ${pct(r.measured)}%  ${pct(r.offline)}%  ${pct(r.live)}%  ${pct(r.lru)}%  ${pct(r.lruAnchored)}%  ${String(r.copyItems).padStart(10)}  ${String(r.copyBytes).padStart(10)}`,
      );
    }
    console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    all.push(...rows);
  }
  for (const [label, pick] of [
    ['offline', (r: AccuracyRow) => r.offline],
    ['live', (r: AccuracyRow) => r.live],
    ['lru', (r: AccuracyRow) => r.lru],
    ['lru-anchored', (r: AccuracyRow) => r.lruAnchored],
  ] as const) {
    const anchored = label === 'live' || label === 'lru-anchored';
    const rows = anchored ? all.filter((r) => r.memoryBytes !== memoryBytes) : all;
    const e = errors(rows, pick);
    console.log(`${label.padEnd(8)} MAE ${(e.mae * 100).toFixed(2)} points, worst ${(e.worst * 100).toFixed(2)} points over ${e.n} points${anchored ? ' (1x excluded: it is the anchor)' : ''}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
