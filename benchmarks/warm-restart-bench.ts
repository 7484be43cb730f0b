// Warm restart (-e) figures, in process, no sockets:
//
// 1. Save and restore seconds per GiB of image, with a heap of --mb MiB
//    filled (no eviction) with small items (14-byte keys, 50-byte values)
//    and with 100 KiB items. Restore is split into reading + checking the
//    segment data and the record walk + hash index rebuild. The image is
//    read back from the page cache (it was just written); a restore after a
//    reboot reads from the disk.
// 2. The hit ratio in the first minute after a restart, warm (image
//    restored) against cold (empty store), on a Twitter-style replay
//    profile: the same seeded request stream as benchmarks/hitratio runs
//    for one calibrated length to warm the cache, the server stops for
//    --down seconds, then the next minute of requests is replayed against
//    each store on a virtual clock.
//
//   npm run build && node dist/benchmarks/warm-restart-bench.js [--mb 1024] [--dir /tmp]
//     [--only speed|hitratio] [--profile cluster52] [--seed 42] [--down 10] [--rate N]

import { parseArgs } from 'node:util';
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SegmentStore } from '../segments/segment-store.js';
import { restoreImage, saveImage } from '../segments/persist/store-image.js';
import { crc32Implementation } from '../segments/persist/checksum.js';
import { calibrateRun } from './hitratio/calibrate.js';
import { KeyAttributes } from './hitratio/key-attributes.js';
import { profileByName } from './hitratio/profiles.js';
import { RequestStream, type TraceRequest } from './hitratio/request-stream.js';
import { ZipfSampler } from './hitratio/zipf.js';
import { TTL_POLICY } from './suites/hitratio.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

interface SpeedRow {
  items: string;
  count: number;
  imageMiB: number;
  saveSPerGiB: number;
  saveCpuSPerGiB: number;
  /** A plain sequential write (+ fsync) / read of the same bytes into fresh memory, same run: the floor. */
  plainWriteSPerGiB: number;
  plainReadSPerGiB: number;
  restoreSPerGiB: number;
  restoreCpuSPerGiB: number;
  readSPerGiB: number;
  indexSPerGiB: number;
  indexNsPerItem: number;
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

function speed(mb: number, dir: string, label: string, valueBytes: number): SpeedRow {
  const options = { memoryLimitBytes: mb * MIB, itemSizeMax: MIB, hashSeed: 1 };
  let store: SegmentStore | undefined = new SegmentStore(options);
  const t0 = performance.now();
  const count = fillHeap(store, valueBytes);
  if (store.counters.evictions > 0) throw new Error('the fill evicted');
  process.stderr.write(`${label}: ${count} items written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const file = join(dir, `${label}.img`);
  const plain = plainIo(store, join(dir, 'plain.bin'));
  let cpu = process.cpuUsage();
  const saved = saveImage(store.imagePort(), file);
  const saveCpu = process.cpuUsage(cpu);
  if (!saved.ok) throw new Error(saved.reason);
  store = undefined;
  global.gc?.();
  const again = new SegmentStore({ ...options, hashSeed: 2 });
  cpu = process.cpuUsage();
  const restored = restoreImage(again.imagePort(), file);
  const restoreCpu = process.cpuUsage(cpu);
  if (!restored.warm || restored.items !== count) throw new Error(`restore: ${restored.reason} (${restored.items} of ${count})`);
  rmSync(file);
  const gib = saved.fileBytes / GIB;
  return {
    items: label,
    count,
    imageMiB: Math.round(saved.fileBytes / MIB),
    saveSPerGiB: saved.ms / 1000 / gib,
    saveCpuSPerGiB: (saveCpu.user + saveCpu.system) / 1e6 / gib,
    plainWriteSPerGiB: plain.writeMs / 1000 / gib,
    plainReadSPerGiB: plain.readMs / 1000 / gib,
    restoreSPerGiB: restored.ms / 1000 / gib,
    restoreCpuSPerGiB: (restoreCpu.user + restoreCpu.system) / 1e6 / gib,
    readSPerGiB: restored.readMs / 1000 / gib,
    indexSPerGiB: (restored.ms - restored.readMs) / 1000 / gib,
    indexNsPerItem: ((restored.ms - restored.readMs) * 1e6) / count,
  };
}

/** Write the used segments' bytes to a file (+ fsync) and read them back into a fresh ArrayBuffer: no checks, no headers. */
function plainIo(store: SegmentStore, file: string): { writeMs: number; readMs: number } {
  const heap = store.itemSpace.heap;
  const parts: Uint8Array[] = [];
  for (let seg = 0; seg < heap.segmentCount; seg++) if (!heap.isFree(seg)) parts.push(heap.bytes[seg]!.subarray(0, heap.writeOffset[seg]!));
  let t = performance.now();
  const fd = openSync(file, 'w');
  for (const p of parts) writeSync(fd, p);
  fsyncSync(fd);
  closeSync(fd);
  const writeMs = performance.now() - t;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const target = Buffer.from(new ArrayBuffer(total));
  t = performance.now();
  const rfd = openSync(file, 'r');
  for (let at = 0; at < total; at += readSync(rfd, target, at, Math.min(MIB, total - at), at));
  closeSync(rfd);
  const readMs = performance.now() - t;
  rmSync(file);
  return { writeMs, readMs };
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
  const warm = new SegmentStore({ ...options, hashSeed: 2 });
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

function main(): void {
  const { values } = parseArgs({
    options: {
      mb: { type: 'string', default: '1024' },
      dir: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string', default: 'cluster52' },
      seed: { type: 'string', default: '42' },
      down: { type: 'string', default: '10' },
      rate: { type: 'string' },
    },
  });
  const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'gac-warm-bench-'));
  try {
    if (values.only === undefined || values.only === 'speed') {
      const mb = Number(values.mb);
      const rows = [speed(mb, dir, 'small (14 B keys, 50 B values)', 50), speed(mb, dir, '100 KiB values', 100 * 1024)];
      console.log(`\nSave / restore, -m ${mb}, heap full, CRC-32 by ${crc32Implementation}, Node ${process.version}`);
      console.log('(s/GiB of image, wall clock; CPU = user+system of this process; plain = bare write+fsync / read of the same bytes in the same run)');
      console.log('| items | count | image MiB | save s/GiB | save CPU | plain write | restore s/GiB | restore CPU | plain read | restore: read+check | restore: walk+index | index ns/item |');
      console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
      for (const r of rows) {
        console.log(
          `| ${r.items} | ${r.count} | ${r.imageMiB} | ${r.saveSPerGiB.toFixed(2)} | ${r.saveCpuSPerGiB.toFixed(2)} | ${r.plainWriteSPerGiB.toFixed(2)} | ` +
            `${r.restoreSPerGiB.toFixed(2)} | ${r.restoreCpuSPerGiB.toFixed(2)} | ${r.plainReadSPerGiB.toFixed(2)} | ` +
            `${r.readSPerGiB.toFixed(2)} | ${r.indexSPerGiB.toFixed(2)} | ${r.indexNsPerItem.toFixed(0)} |`,
        );
      }
    }
    if (values.only === undefined || values.only === 'hitratio') hitRatio(values.profile!, Number(values.seed), Number(values.down), dir, values.rate === undefined ? undefined : Number(values.rate));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
