// Warm restart (-e) figures, in process, no sockets:
//
// 1. Save and restore seconds per GiB of image, with a heap of --mb MiB
//    filled (no eviction) with small items (14-byte keys, 50-byte values)
//    and with 100 KiB items, also per GiB of -m (the image holds the
//    segments in use, the index and headers, so it is not -m exactly).
//    Each run saves the same store three ways: as the server does by
//    default (O_DIRECT, no fdatasync), as -o warm_restart_sync does (the
//    same plus fdatasync of the file and fsync of the directory), and
//    through the page cache without any sync (the cheapest-looking one:
//    on this VM each first touch of a fresh page-cache page is a host
//    fault). The first two alternate in order from run to run. The
//    default image is then restored, from the disk (O_DIRECT reads: it was
//    never in the page cache); restore is split into reading + checking
//    the segment data, the index section, and the record walk (with the
//    index check and expiry, or the index rebuild when the save left the
//    index out). As a server does, the restore consumes the image: it is
//    renamed out of the way (rename + directory fsync, timed: the server
//    pays it before it listens) and deleted (untimed: the server does it in
//    the background), so the next run's save writes a name no file holds;
//    the other two saves' images are deleted the same way outside the
//    timings. --over-old-image keeps the image instead, so every save
//    after the first finds an old one (which the save removes first: its
//    time and the disk's discard of the freed blocks are in the save's),
//    the case of back-to-back saves that no server meets. Before each timed
//    save and the restore the bench waits until the writes before it have
//    reached the disk (sync(1)): a server's one save at its stop never
//    follows a GiB of other writes, where this bench's three saves per run
//    would otherwise queue behind each other's writeback.
// 2. The hit ratio in the first minute after a restart, warm (image
//    restored) against cold (empty store), on a Twitter-style replay
//    profile: the same seeded request stream as benchmarks/hitratio runs
//    for one calibrated length to warm the cache, the server stops for
//    --down seconds, then the next minute of requests is replayed against
//    each store on a virtual clock.
//
//   npm run build && node --expose-gc dist/benchmarks/warm-restart-bench.js [--mb 1024] [--dir /tmp]
//     [--only speed|hitratio] [--runs 3] [--rebuild] [--over-old-image] [--small-pages] [--profile cluster52] [--seed 42] [--down 10] [--rate N]
//
// As the server does with -e (lib/cli/huge-pages.ts), the bench first
// re-executes itself with glibc.malloc.hugetlb=1 so the heap gets
// transparent huge pages where the kernel allows them only on request;
// --small-pages keeps 4 KiB pages (the figures before that change).
//
// Speed: each item size is filled once, then saved and restored --runs
// times (medians and ranges reported, with the 1-minute load average);
// --rebuild adds one restore through the fallback path (index rebuilt
// item by item) for comparison.

import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os, { tmpdir } from 'node:os';
import { SegmentStore } from '../segments/segment-store.js';
import { imageHashSeed, restoreImage, saveImage, syncDirectory, type RestoreResult, type SaveOptions, type SaveResult } from '../segments/persist/store-image.js';
import { crc32Implementation } from '../segments/persist/checksum.js';
import { calibrateRun } from './hitratio/calibrate.js';
import { KeyAttributes } from './hitratio/key-attributes.js';
import { profileByName } from './hitratio/profiles.js';
import { RequestStream, type TraceRequest } from './hitratio/request-stream.js';
import { ZipfSampler } from './hitratio/zipf.js';
import { TTL_POLICY } from './suites/hitratio.js';
import { REEXEC_MARK, reexecWithHugePages } from '../lib/cli/huge-pages.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

interface SpeedRun {
  /** The server's default save (O_DIRECT where the filesystem takes it, no fdatasync). */
  save: SaveResult;
  saveCpuMs: number;
  /** -o warm_restart_sync: the same plus fdatasync of the file and fsync of the directory. */
  durable: SaveResult;
  durableCpuMs: number;
  /** Through the page cache, no sync. */
  cached: SaveResult;
  cachedCpuMs: number;
  /** Restore of the default image: its bytes are not in the page cache, so they come from the disk. */
  restore: RestoreResult;
  restoreCpuMs: number;
  /** Consuming the restored image as the server's start does (rename + directory fsync); 0 with --over-old-image. */
  consumeMs: number;
  load: number;
}

interface SpeedRow {
  items: string;
  count: number;
  imageMiB: number;
  indexMiB: number;
  runs: SpeedRun[];
  /** Restore through the rebuild path (another hash seed), one run, when asked. */
  rebuild?: RestoreResult;
}

function fillHeap(store: SegmentStore, valueBytes: number): number {
  const value = Buffer.alloc(valueBytes, 0x61);
  const key = Buffer.alloc(14, 0x30);
  const shape = (): number => store.shape().segmentsFree;
  let n = 0;
  // Stop at the last free segment: a full heap without any eviction.
  for (;;) {
    key.write(n.toString(36).padStart(12, '0'), 2, 'latin1');
    if (store.store('set', key, value, 0, 0, 0) !== 'stored') break;
    n++;
    if ((valueBytes > 4096 || (n & 1023) === 0) && shape() === 0) break;
  }
  return store.counters.items;
}

/**
 * Consume `path` as a server's start does (lib/server/warm-restart.ts): the
 * timed part is the rename to .consumed and the directory fsync the start
 * waits for; the server then deletes it in the background while it serves,
 * here untimed, with an fsync that waits until the disk has discarded the
 * freed blocks, so the next save does not overlap it (a server saves long after).
 */
function consume(path: string): number {
  const t0 = performance.now();
  renameSync(path, `${path}.consumed`);
  syncDirectory(path);
  const ms = performance.now() - t0;
  rmSync(`${path}.consumed`);
  syncDirectory(path);
  return ms;
}

/** Wait until every earlier write has reached the disk, so the next timing is one operation's own. */
function settleDisk(): void {
  execFileSync('sync');
}

function speed(mb: number, dir: string, label: string, valueBytes: number, runs: number, rebuild: boolean, overOldImage: boolean): SpeedRow {
  const options = { memoryLimitBytes: mb * MIB, itemSizeMax: MIB, hashSeed: 1 };
  const store = new SegmentStore(options);
  const t0 = performance.now();
  const count = fillHeap(store, valueBytes);
  if (store.counters.evictions > 0) throw new Error('the fill evicted');
  process.stderr.write(`${label}: ${count} items written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const file = join(dir, 'speed.img');
  const durableFile = join(dir, 'speed-durable.img');
  const cachedFile = join(dir, 'speed-cached.img');
  const row: SpeedRow = { items: label, count, imageMiB: 0, indexMiB: 0, runs: [] };
  const timedSave = (path: string, saveOptions: SaveOptions): [SaveResult, number] => {
    settleDisk();
    const cpu = process.cpuUsage();
    const r = saveImage(store.imagePort(), path, saveOptions);
    const used = process.cpuUsage(cpu);
    if (!r.ok) throw new Error(r.reason);
    return [r, (used.user + used.system) / 1000];
  };
  for (let run = 0; run < runs; run++) {
    const load = os.loadavg()[0]!;
    let save: SaveResult, saveCpuMs: number, durable: SaveResult, durableCpuMs: number;
    if (run % 2 === 0) {
      [save, saveCpuMs] = timedSave(file, { sync: false });
      [durable, durableCpuMs] = timedSave(durableFile, { sync: true });
    } else {
      [durable, durableCpuMs] = timedSave(durableFile, { sync: true });
      [save, saveCpuMs] = timedSave(file, { sync: false });
    }
    consume(durableFile);
    const [cached, cachedCpuMs] = timedSave(cachedFile, { direct: false, sync: false });
    consume(cachedFile);
    global.gc?.();
    // As the server does: the store is created with the image's hash seed, so the saved index is used.
    const again = new SegmentStore({ ...options, hashSeed: imageHashSeed(file) ?? 2 });
    settleDisk();
    const cpu = process.cpuUsage();
    const restore = restoreImage(again.imagePort(), file);
    const restoreCpu = process.cpuUsage(cpu);
    if (!restore.warm || restore.items !== count || restore.indexRestored !== save.indexBytes > 0) {
      throw new Error(`restore: ${restore.reason} ${restore.indexNote} (${restore.items} of ${count})`);
    }
    // The last run keeps its image for --rebuild.
    const consumeMs = overOldImage || (rebuild && run === runs - 1) ? 0 : consume(file);
    row.imageMiB = save.fileBytes / MIB;
    row.indexMiB = save.indexBytes / MIB;
    const restoreCpuMs = (restoreCpu.user + restoreCpu.system) / 1000;
    row.runs.push({ save, saveCpuMs, durable, durableCpuMs, cached, cachedCpuMs, restore, restoreCpuMs, consumeMs, load: (load + os.loadavg()[0]!) / 2 });
    const over = save.oldImageBytes >= 0 ? `, over an old image: removed in ${(save.removeMs / 1000).toFixed(2)} s` : ', new file';
    process.stderr.write(
      `  run ${run + 1}: save ${(save.ms / 1000).toFixed(2)} s (${save.direct ? 'O_DIRECT' : `page cache: ${save.directNote}`}${over}), with sync ${(durable.ms / 1000).toFixed(2)} s, ` +
        `page cache no sync ${(cached.ms / 1000).toFixed(2)} s, restore ${(restore.ms / 1000).toFixed(2)} s, image consumed in ${(consumeMs / 1000).toFixed(2)} s, load ${os.loadavg()[0]!.toFixed(1)}\n`,
    );
    global.gc?.();
  }
  if (rebuild) {
    const other = new SegmentStore({ ...options, hashSeed: (imageHashSeed(file) ?? 0) + 1 });
    row.rebuild = restoreImage(other.imagePort(), file);
    if (row.rebuild.indexRestored || row.rebuild.items !== count) throw new Error('rebuild run did not rebuild');
    global.gc?.();
  }
  rmSync(file, { force: true });
  return row;
}

/** A look-aside client on a virtual clock: a get miss sets the key. Returns hits per 10 s of the replayed window. */
function replay(store: SegmentStore, requests: readonly TraceRequest[], attrs: KeyAttributes, clock: { ms: number }, startMs: number, rate: number): { gets: number; hits: number; byTen: string[] } {
  const filler = Buffer.alloc(MIB, 0x61);
  let gets = 0;
  let hits = 0;
  // Windows after the restart: [0, 1 s), [1 s, 10 s), [10 s, 60 s).
  const tenGets = [0, 0, 0];
  const tenHits = [0, 0, 0];
  let lastTick = clock.ms;
  for (let i = 0; i < requests.length; i++) {
    clock.ms = startMs + Math.floor((i * 1000) / rate);
    if (clock.ms - lastTick >= 1000) {
      lastTick = clock.ms;
      store.expireNow();
    }
    const req = requests[i]!;
    const key = Buffer.from(attrs.key(req.keyId), 'latin1');
    const since = clock.ms - startMs;
    const ten = since < 1000 ? 0 : since < 10_000 ? 1 : 2;
    if (req.op === 'get' || req.op === 'gets') {
      gets++;
      tenGets[ten]!++;
      if (store.get(key) >= 0) {
        hits++;
        tenHits[ten]!++;
      } else {
        store.store('set', key, filler.subarray(0, attrs.valueSize(req.keyId)), 0, attrs.ttlSec(req.keyId), 0);
      }
    } else if (req.op === 'delete') {
      store.delete(key, 0);
    } else {
      store.store('set', key, filler.subarray(0, attrs.valueSize(req.keyId)), 0, attrs.ttlSec(req.keyId), 0);
    }
  }
  const byTen = tenGets.map((g, i) => (g > 0 ? tenHits[i]! / g : 0).toFixed(3));
  return { gets, hits, byTen };
}

function hitRatio(profileName: string, seed: number, downSeconds: number, dir: string, rateOption: number | undefined): void {
  const profile = profileByName(profileName);
  const memoryBytes = 32 * MIB;
  const size = calibrateRun(profile, { memoryBytes, targetMultiple: 3, minRequests: 200_000, maxRequests: 2_000_000, seed, ttl: TTL_POLICY });
  // As the hit-ratio suite paces a profile, unless --rate says otherwise.
  const rate = rateOption ?? Math.min(40_000, Math.ceil(size.requests / 30));
  const attrs = new KeyAttributes(profile, seed, TTL_POLICY);
  const stream = new RequestStream(profile, new ZipfSampler(size.keySpace, profile.zipfAlpha), seed);
  const before: TraceRequest[] = [];
  for (let i = 0; i < size.requests; i++) before.push({ ...stream.next() });
  const after: TraceRequest[] = [];
  for (let i = 0; i < rate * 60; i++) after.push({ ...stream.next() });

  const startMs = 1_700_000_000_000;
  const clock = { ms: startMs };
  const options = { memoryLimitBytes: memoryBytes, itemSizeMax: MIB, clock: { nowMs: () => clock.ms } };
  const first = new SegmentStore({ ...options, hashSeed: 1 });
  replay(first, before, attrs, clock, startMs, rate);
  const file = join(dir, 'hitratio.img');
  const saved = saveImage(first.imagePort(), file);
  if (!saved.ok) throw new Error(saved.reason);
  const restartMs = clock.ms + downSeconds * 1000;

  clock.ms = restartMs;
  const warm = new SegmentStore({ ...options, hashSeed: imageHashSeed(file) ?? 2 });
  const restored = restoreImage(warm.imagePort(), file);
  if (!restored.warm) throw new Error(restored.reason);
  const w = replay(warm, after, attrs, clock, restartMs, rate);
  clock.ms = restartMs;
  const cold = new SegmentStore({ ...options, hashSeed: 3 });
  const c = replay(cold, after, attrs, clock, restartMs, rate);
  rmSync(file);
  console.log(
    `\nHit ratio, first minute after a restart (${profileName}, seed ${seed}, -m 32, ${before.length} requests before, ` +
      `${after.length} after at ${rate}/s virtual, down ${downSeconds} s; ${restored.items} items restored, ${restored.expired} expired while down)`,
  );
  console.log('| start | hit ratio, first minute | first second | 1-10 s | 10-60 s |');
  console.log('|---|---|---|---|---|');
  console.log(`| warm (-e) | ${(w.hits / w.gets).toFixed(3)} | ${w.byTen.join(' | ')} |`);
  console.log(`| cold | ${(c.hits / c.gets).toFixed(3)} | ${c.byTen.join(' | ')} |`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** "median (min-max)" of per-GiB seconds. */
function perGiB(runs: SpeedRun[], ms: (r: SpeedRun) => number, gib: number): string {
  const xs = runs.map((r) => ms(r) / 1000 / gib);
  if (xs.length === 1) return xs[0]!.toFixed(2);
  return `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
}

function printSpeed(rows: SpeedRow[], mb: number, runs: number, overOldImage: boolean): void {
  console.log(`\nSave / restore, -m ${mb}, heap full, CRC-32 by ${crc32Implementation}, Node ${process.version}, ${runs} runs: median (min-max) s/GiB of image`);
  console.log('(wall clock; CPU = user+system of this process; save = the server default, O_DIRECT where the filesystem takes it, no sync;');
  console.log(' sync = -o warm_restart_sync, the same + fdatasync + directory fsync; page cache = buffered, no sync; restore = the default image, from the disk;');
  console.log(
    overOldImage
      ? ' --over-old-image: the restored image stays, so saves after the first find an old one; "its removal" = removing it first, part of the save)'
      : ' as a server: the restored image is renamed away (rename + directory fsync = "consume") and deleted untimed, so every save writes a new file)',
  );
  console.log(
    '| items | count | image MiB (index) | load | save | save per GiB of -m | save CPU | save: CRC | save: its removal | save, sync | its sync part | save, page cache | its CPU | ' +
      'restore | restore per GiB of -m | restore CPU | restore: data read+CRC | restore: index | restore: walk | restore: consume |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const gib = r.imageMiB / 1024;
    const f = (ms: (x: SpeedRun) => number): string => perGiB(r.runs, ms, gib);
    const m = (ms: (x: SpeedRun) => number): string => perGiB(r.runs, ms, mb / 1024);
    const loads = r.runs.map((x) => x.load);
    console.log(
      `| ${r.items} | ${r.count} | ${r.imageMiB.toFixed(0)} (${r.indexMiB.toFixed(0)}) | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} | ` +
        `${f((x) => x.save.ms)} | ${m((x) => x.save.ms)} | ${f((x) => x.saveCpuMs)} | ${f((x) => x.save.checksumMs)} | ${f((x) => x.save.removeMs)} | ` +
        `${f((x) => x.durable.ms)} | ${f((x) => x.durable.syncMs)} | ${f((x) => x.cached.ms)} | ${f((x) => x.cachedCpuMs)} | ` +
        `${f((x) => x.restore.ms)} | ${m((x) => x.restore.ms)} | ${f((x) => x.restoreCpuMs)} | ${f((x) => x.restore.readMs)} | ${f((x) => x.restore.indexMs)} | ` +
        `${f((x) => x.restore.walkMs)} | ${f((x) => x.consumeMs)} |`,
    );
  }
  for (const r of rows) {
    if (r.rebuild === undefined) continue;
    const gib = r.rebuild.fileBytes / GIB;
    console.log(
      `Fallback (index rebuilt item by item), ${r.items}: restore ${(r.rebuild.ms / 1000 / gib).toFixed(2)} s/GiB, of which walk + rebuild ` +
        `${(r.rebuild.walkMs / 1000 / gib).toFixed(2)} s/GiB (${((r.rebuild.walkMs * 1e6) / r.count).toFixed(0)} ns/item)`,
    );
  }
}

/** KiB of anonymous huge pages this process holds (/proc/self/smaps_rollup), -1 when unknown. */
function anonHugeKiB(): number {
  try {
    const m = /AnonHugePages:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'latin1'));
    return m !== null ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

function main(): void {
  if (!process.argv.includes('--small-pages')) reexecWithHugePages();
  const { values } = parseArgs({
    options: {
      mb: { type: 'string', default: '1024' },
      dir: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string', default: 'cluster52' },
      seed: { type: 'string', default: '42' },
      down: { type: 'string', default: '10' },
      rate: { type: 'string' },
      runs: { type: 'string', default: '3' },
      rebuild: { type: 'boolean', default: false },
      'over-old-image': { type: 'boolean', default: false },
      'small-pages': { type: 'boolean', default: false },
    },
  });
  const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'gac-warm-bench-'));
  try {
    if (values.only === undefined || values.only === 'speed') {
      const mb = Number(values.mb);
      const runs = Number(values.runs);
      const over = values['over-old-image']!;
      const rows = [
        speed(mb, dir, 'small (14 B keys, 50 B values)', 50, runs, values.rebuild!, over),
        speed(mb, dir, '100 KiB values', 100 * 1024, runs, values.rebuild!, over),
      ];
      printSpeed(rows, mb, runs, over);
      const tunables = process.env.GLIBC_TUNABLES ?? '';
      console.log(
        `Heap pages: ${process.env[REEXEC_MARK] !== undefined ? 're-executed with' : 'started with'} GLIBC_TUNABLES='${tunables}'; ` +
          `anonymous huge pages held at the end: ${anonHugeKiB()} KiB`,
      );
    }
    if (values.only === undefined || values.only === 'hitratio') hitRatio(values.profile!, Number(values.seed), Number(values.down), dir, values.rate === undefined ? undefined : Number(values.rate));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
