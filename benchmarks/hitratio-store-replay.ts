// Store-level hit-ratio replay: the hit-ratio suite's seeded streams
// (hitratio/*), sized and paced as `npm run bench:hitratio` sizes them,
// driven straight into a SegmentStore on a virtual clock instead of over the
// wire. No sockets and no real time, so a profile replays in seconds and
// eviction parameters can be compared quickly; the wire suite stays the
// reference for claims against memcached.
//
// Look-aside as the wire replayer: a get miss is followed by a set of the
// key with its size and TTL; explicit set/add/cas/delete at their shares.
// Misses are split into compulsory / expired / capacity with the same model
// and the same 1.5 s clock allowance (hits: expired only past the deadline
// plus one clock second, written-model.ts); hits are checked by flags
// (which carry the version), so a stale copy is still caught.
//
//   npm run bench:hitratio-store -- [--profiles a,b] [--seed N]
//     [--policy merge|fifo|random] [--shift N]   (--shift: move the hot set every N requests)
//     [--merge-segments N]   (as the server's -o merge_segments)
//   npm run bench:hitratio-store -- --wide [--against FILE] [--out FILE] [--profiles a,b] [--requests N]
//     (issue 17's cases, hitratio/wide-cases.ts, at 20k req/s virtual time or memcached's achieved rate; --against: memcached's
//      lines from hitratio-wide.ts, for the table; --out: this run's lines, server 'store';
//      --sizes FILE: keep the cases' sizing there between runs; --at-malloced: only the cases whose memcached line has
//      total_malloced, the store given those bytes, for the same-bytes comparison)
//   --no-clean: merge the run at the cursor even when it evicts and a later one would only compact (experiment switch)
//   --ghost-bytes N: one ghost key per N bytes of -m (0: none; default as the server, segments/ghost-keys.ts)
//   --scale N / --floor-mb MB / --cases id,id: as hitratio-wide.ts (wide-cases.ts scaleCase), for the cases at production-like -m
//   --legacy-segments: segments of -I + 274 bytes as before issue 17's session 4 (-m 8: 7 segments), to measure the change

import { parseArgs } from 'node:util';
import { SegmentStore, type StoreTuning } from '../segments/segment-store.js';
import { ghostEntries } from '../segments/ghost-keys.js';
import { MergeEvictor } from '../segments/merge-eviction.js';
import type { EvictionPolicy } from '../segments/types.js';
import { calibrateRun, type RunSize } from './hitratio/calibrate.js';
import { KeyAttributes } from './hitratio/key-attributes.js';
import { profileByName, type ClusterProfile } from './hitratio/profiles.js';
import { RequestStream } from './hitratio/request-stream.js';
import { WrittenModel, type MissCause } from './hitratio/written-model.js';
import { ZipfSampler } from './hitratio/zipf.js';
import { DEFAULT_PROFILES, TTL_POLICY } from './suites/hitratio.js';
import { PROFILES } from './hitratio/profiles.js';
import { caseId, sizedWideCases, type CaseScale } from './hitratio/wide-cases.js';
import { renderWide, wideRows } from './hitratio/wide-table.js';
import type { WideLine } from './hitratio-wide.js';
import { caseFields } from './hitratio/wide-run.js';
import { appendFileSync, readFileSync } from 'node:fs';

const MEMORY_MB = 32;
const ITEM_SIZE_MAX = 1024 * 1024;
/** --legacy-segments: size segments as before (room for -I plus the largest header and key), the measured alternative. */
let legacySegments = false;

/** The segment size before issue 17's session 4: -I + 274 bytes rounded to 8, widened to divide the limit. */
function legacySegmentSize(memoryBytes: number): number {
  const least = Math.ceil((ITEM_SIZE_MAX + 24 + 250) / 8) * 8;
  const count = Math.max(1, Math.floor(memoryBytes / least));
  return Math.max(least, Math.floor(memoryBytes / count / 8) * 8);
}
const MAX_RATE = 40_000;
const MIN_SECONDS = 30;
const TOLERANCE_MS = 1500;
/** Virtual start time: any fixed unix time well past 30 days, so exptimes are relative. */
const START_MS = 1_700_000_000_000;

export interface StoreReplayResult {
  profile: string;
  requests: number;
  gets: number;
  hits: number;
  compulsory: number;
  expired: number;
  capacity: number;
  wrong: number;
  evictions: number;
  itemsHeld: number;
  merges: number;
  /** Live item bytes / -m, averaged over the virtual seconds after the heap first filled (how much of -m held data). */
  meanFill: number;
  /** Wall milliseconds of the writes that ran a merge (each write runs at most a few), sorted. */
  mergeWriteMs: number[];
}

/** The q-quantile of sorted milliseconds, printed; '-' when there are none. */
function quantileMs(sorted: number[], q: number): string {
  if (sorted.length === 0) return '-';
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
}

function flagsFor(version: number): number {
  return version & 0xffff;
}

/**
 * `shiftEvery` > 0 moves popularity every that many requests: Zipf rank r
 * then maps to key id (r + k * keySpace / 7) mod keySpace at the k-th shift,
 * so the hot set changes and a policy that never forgets pays for it.
 */
export function replayOnStore(
  profile: ClusterProfile,
  seed: number,
  policy: EvictionPolicy,
  shiftEvery = 0,
  mergeSegments?: number,
  sized?: { memoryMb: number; size: RunSize; rate: number; memoryBytes?: number },
  tuning: StoreTuning = {},
): StoreReplayResult {
  const memoryBytes = sized?.memoryBytes ?? (sized?.memoryMb ?? MEMORY_MB) * 1048576;
  const size =
    sized?.size ??
    calibrateRun(profile, {
      memoryBytes,
      targetMultiple: 3,
      minRequests: 200_000,
      maxRequests: 2_000_000,
      seed,
      ttl: TTL_POLICY,
    });
  const rate = sized?.rate ?? Math.min(MAX_RATE, Math.ceil(size.requests / MIN_SECONDS));
  let nowMs = START_MS;
  const store = new SegmentStore(
    {
      memoryLimitBytes: memoryBytes,
      itemSizeMax: ITEM_SIZE_MAX,
      evictionPolicy: policy,
      mergeSegments,
      clock: { nowMs: () => nowMs },
      ...(legacySegments ? { segmentSize: legacySegmentSize(memoryBytes) } : {}),
    },
    tuning,
  );
  const attrs = new KeyAttributes(profile, seed, TTL_POLICY);
  const stream = new RequestStream(profile, new ZipfSampler(size.keySpace, profile.zipfAlpha), seed);
  const model = new WrittenModel(size.keySpace, TOLERANCE_MS);
  const filler = Buffer.alloc(ITEM_SIZE_MAX, 0x61);
  const r = { gets: 0, hits: 0, compulsory: 0, expired: 0, capacity: 0, deleted: 0, wrong: 0 };
  let nextVersion = 1;
  let lastTick = START_MS;
  let fillSum = 0;
  let fillTicks = 0;

  const mergeWriteMs: number[] = [];
  const write = (id: number, key: Buffer, mode: 'set' | 'add' | 'replace' | 'cas', cas: number): void => {
    const version = nextVersion++;
    const ttl = attrs.ttlSec(id);
    // A write that needed a segment ran eviction inline: time those, the pauses a server would show.
    const mergesBefore = store.counters.merges;
    const t0 = performance.now();
    const status = store.store(mode, key, filler.subarray(0, attrs.valueSize(id)), flagsFor(version), ttl, cas);
    if (store.counters.merges !== mergesBefore) mergeWriteMs.push(performance.now() - t0);
    if (status === 'stored') model.stored(id, version, ttl > 0 ? nowMs - START_MS + ttl * 1000 : Infinity);
    else if (status !== 'not_stored' && status !== 'exists' && status !== 'not_found') model.writeFailed(id);
  };

  const checkHit = (id: number, ref: number): void => {
    const flags = store.itemFlags(ref);
    const verdict = model.judgeHit(id, nowMs - START_MS, (v) => flags === flagsFor(v) && store.itemValueLength(ref) === attrs.valueSize(id));
    if (verdict !== 'ok') r.wrong++;
  };

  for (let i = 0; i < size.requests; i++) {
    nowMs = START_MS + Math.floor((i * 1000) / rate);
    // The server's expiry timer: once a second.
    if (nowMs - lastTick >= 1000) {
      lastTick = nowMs;
      store.expireNow();
      if (store.counters.evictions > 0) {
        fillSum += store.counters.bytes / memoryBytes;
        fillTicks++;
      }
    }
    const req = stream.next();
    const shifts = shiftEvery > 0 ? Math.floor(i / shiftEvery) : 0;
    const id = req.fresh || shifts === 0 ? req.keyId : (req.keyId + shifts * Math.floor(size.keySpace / 7)) % size.keySpace;
    const key = Buffer.from(attrs.key(id), 'latin1');
    switch (req.op) {
      case 'get':
      case 'gets': {
        r.gets++;
        const ref = store.get(key);
        if (ref >= 0) {
          r.hits++;
          checkHit(id, ref);
        } else {
          const cause: MissCause = model.classifyMiss(id, nowMs - START_MS);
          r[cause]++;
          write(id, key, 'set', 0);
        }
        break;
      }
      case 'set':
      case 'add':
        write(id, key, req.op, 0);
        break;
      case 'incr':
      case 'prepend':
        // Changes the item if present, nothing otherwise (profiles.ts).
        write(id, key, 'replace', 0);
        break;
      case 'cas': {
        const ref = store.get(key);
        if (ref < 0) break;
        checkHit(id, ref);
        write(id, key, 'cas', store.itemCas(ref));
        break;
      }
      case 'delete':
        store.delete(key, 0);
        model.deleted(id);
        break;
    }
  }
  return {
    profile: profile.name,
    requests: size.requests,
    gets: r.gets,
    hits: r.hits,
    compulsory: r.compulsory,
    expired: r.expired,
    capacity: r.capacity,
    wrong: r.wrong,
    evictions: store.counters.evictions,
    itemsHeld: store.counters.items,
    merges: store.counters.merges,
    meanFill: fillTicks > 0 ? fillSum / fillTicks : NaN,
    mergeWriteMs: mergeWriteMs.sort((a, b) => a - b),
  };
}

/** memcached's capacity misses / gets from the latest wire run (benchmarks/RESULTS.md, seed 42), for a rough ratio. */
const MEMCACHED_CAPACITY: Record<string, number> = {
  cluster52: 0.0156,
  cluster24: 0.0051,
  cluster29: 0.0076,
  cluster41: 0.1629,
};

/** As hitratio-wide.ts's default rate. */
const WIDE_RATE = 20_000;

function runWide(
  seed: number,
  policy: EvictionPolicy,
  mergeSegments: number | undefined,
  profiles: readonly ClusterProfile[],
  budget: number,
  against: string | undefined,
  out: string | undefined,
  sizesFile: string | undefined,
  tuning: (memoryBytes: number) => StoreTuning,
  atMalloced: boolean,
  how: CaseScale,
  only: string[] | undefined,
): void {
  const t0 = Date.now();
  const { cases, tooSkewed } = sizedWideCases(profiles, budget, seed, TTL_POLICY, how, sizesFile, only);
  console.error(`${cases.length} cases (sized in ${((Date.now() - t0) / 1000).toFixed(1)} s); too skewed to evict: ${tooSkewed.join(', ') || 'none'}`);
  const lines: WideLine[] = against ? readFileSync(against, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as WideLine) : [];
  const t1 = Date.now();
  for (const c of cases) {
    // The virtual clock runs at memcached's achieved rate when known, so items expire as they did there.
    const id = caseId(c.profile.name, c.target);
    const mc = lines.find((l) => l.case === id && l.server === 'memcached');
    const rate = mc ? Math.round(mc.result.achievedRate) : WIDE_RATE;
    // --at-malloced: the store gets the bytes memcached actually allocated (stats slabs total_malloced) when that passed -m.
    const memoryBytes = atMalloced && mc?.result.malloced !== undefined ? Math.max(c.memoryMb * 1048576, mc.result.malloced) : undefined;
    if (atMalloced && memoryBytes === undefined) continue;
    const res = replayOnStore(c.profile, seed, policy, 0, mergeSegments, { memoryMb: c.memoryMb, size: c.size, rate, memoryBytes }, tuning(memoryBytes ?? c.memoryMb * 1048576));
    const line: WideLine = {
      ...caseFields(c),
      server: 'store',
      run: 1,
      result: {
        gets: res.gets,
        hits: res.hits,
        compulsory: res.compulsory,
        expired: res.expired,
        capacity: res.capacity,
        deleted: 0,
        wrongValues: res.wrong,
        expiredServed: 0,
        evictions: res.evictions,
        itemsHeld: res.itemsHeld,
        achievedRate: rate,
      },
    };
    lines.push(line);
    if (out) appendFileSync(out, JSON.stringify(line) + '\n');
    const miss = (n: number): string => ((n / res.gets) * 100).toFixed(2) + '%';
    console.error(
      `${line.case} -m ${((memoryBytes ?? c.memoryMb * 1048576) / 1048576).toFixed(1)}: miss ${miss(res.gets - res.hits)} (compulsory ${miss(res.compulsory)} expired ${miss(res.expired)} capacity ${miss(res.capacity)})` +
        ` fill ${(res.meanFill * 100).toFixed(0)}% items ${res.itemsHeld} wrong ${res.wrong}` +
        (mc ? `  memcached: miss ${((1 - mc.result.hits / mc.result.gets) * 100).toFixed(2)}% capacity ${((mc.result.capacity / mc.result.gets) * 100).toFixed(2)}% items ${mc.result.itemsHeld}` : ''),
    );
  }
  console.error(`replayed in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  if (against) console.log(renderWide(wideRows(lines, 'store'), 'store'));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      profiles: { type: 'string', default: DEFAULT_PROFILES.join(',') },
      seed: { type: 'string', default: '42' },
      policy: { type: 'string', default: 'merge' },
      shift: { type: 'string', default: '0' },
      'merge-segments': { type: 'string' },
      wide: { type: 'boolean', default: false },
      against: { type: 'string' },
      out: { type: 'string' },
      requests: { type: 'string', default: '300000' },
      sizes: { type: 'string' },
      'ghost-bytes': { type: 'string' },
      'no-clean': { type: 'boolean', default: false },
      'legacy-segments': { type: 'boolean', default: false },
      'at-malloced': { type: 'boolean', default: false },
      scale: { type: 'string', default: '1' },
      'floor-mb': { type: 'string', default: '0' },
      cases: { type: 'string' },
    },
  });
  const seed = Number(values.seed);
  MergeEvictor.cleanFirst = !values['no-clean'];
  legacySegments = values['legacy-segments'] === true;
  const mergeSegments = values['merge-segments'] === undefined ? undefined : Number(values['merge-segments']);
  // --ghost-bytes N: one ghost key per N bytes of -m (0: no ghosts); default as the server (ghost-keys.ts).
  const ghostBytes = values['ghost-bytes'] === undefined ? undefined : Number(values['ghost-bytes']);
  const tuning = (memoryBytes: number): StoreTuning => (ghostBytes === undefined ? {} : { ghostEntries: ghostBytes === 0 ? 0 : ghostEntries(memoryBytes, ghostBytes) });
  if (values.wide) {
    runWide(
      seed,
      values.policy as EvictionPolicy,
      mergeSegments,
      values.profiles === DEFAULT_PROFILES.join(',') ? PROFILES : values.profiles!.split(',').map(profileByName),
      Number(values.requests),
      values.against,
      values.out,
      values.sizes,
      tuning,
      values['at-malloced'],
      { scale: Number(values.scale), floorMb: Number(values['floor-mb']) },
      values.cases?.split(','),
    );
    return;
  }
  const ratios: number[] = [];
  for (const name of values.profiles!.split(',')) {
    const t0 = Date.now();
    const res = replayOnStore(profileByName(name), seed, values.policy as EvictionPolicy, Number(values.shift), mergeSegments, undefined, tuning(MEMORY_MB * 1048576));
    const cap = res.capacity / res.gets;
    const miss = (res.compulsory + res.expired + res.capacity) / res.gets;
    const mc = MEMCACHED_CAPACITY[name];
    if (mc !== undefined) ratios.push(cap / mc);
    console.log(
      `${name.padEnd(10)} miss ${(miss * 100).toFixed(2)}%  capacity ${(cap * 100).toFixed(3)}%` +
        (mc !== undefined ? ` (vs memcached wire, seed 42: ${(mc * 100).toFixed(2)}%: ${(cap / mc).toFixed(2)})` : '') +
        `  compulsory ${res.compulsory} expired ${res.expired} capacity ${res.capacity} wrong ${res.wrong}` +
        `  evictions ${res.evictions} merges ${res.merges} (write pause p50 ${quantileMs(res.mergeWriteMs, 0.5)} p99 ${quantileMs(res.mergeWriteMs, 0.99)} ms)` +
        `  ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  if (ratios.length > 1) {
    const gm = Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length);
    console.log(`geometric mean of capacity ratios vs memcached wire figures: ${gm.toFixed(2)}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
