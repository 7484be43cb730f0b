// Repeated warm-restart saves of one store, back to back (issue 12: the
// later saves of a run were slower than the first). Fills a heap of --mb
// MiB once (no eviction) with --value-byte values, then saves it --saves
// times as the server does (O_DIRECT, no sync) and prints per save: s/GiB
// of image, the save's CPU s/GiB, and from /proc (Linux) what the device
// and the page cache did meanwhile: MiB written and the device's summed
// write time (diskstats), MiB discarded (the filesystem's online discard of
// the image the save replaced), the share of time some task stalled on
// I/O (PSI), and Dirty/Writeback before and after. Not a pass/fail test.
//
//   npm run build && node --expose-gc dist/benchmarks/warm-restart-saves.js
//     [--mb 1024] [--value 50] [--saves 4] [--dir DIR] [--device vda] [--fresh | --consume]
//
// By default every save goes to the same name, so each after the first
// finds the last image there; the save removes it first (its "removal" time
// and the disk's discard of the freed blocks are part of the save): the
// back-to-back case, which no server meets.
// --consume does between saves what a server's start does: the image is
// renamed away (rename + directory fsync) and deleted (unlink + directory
// fsync, which waits for the disk's discard), each timed and reported on
// its own with what the disk discarded meanwhile, so every save writes a
// name no file holds, as a server's save does.
// --fresh saves to a new file name each time and keeps the old images
// until the end (nothing is freed, so nothing is discarded during a save).

import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { SegmentStore } from '../segments/segment-store.js';
import { saveImage, syncDirectory } from '../segments/persist/store-image.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

interface Device {
  writtenMiB: number;
  writeMs: number;
  discardedMiB: number;
}

function device(name: string): Device | null {
  try {
    const line = readFileSync('/proc/diskstats', 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[2] === name);
    if (line === undefined) return null;
    const n = line.map(Number);
    return { writtenMiB: n[9]! / 2048, writeMs: n[10]!, discardedMiB: (n[16] ?? 0) / 2048 };
  } catch {
    return null;
  }
}

function ioStallUs(): number {
  try {
    return Number(/some .*total=(\d+)/.exec(readFileSync('/proc/pressure/io', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

function dirty(): string {
  try {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return `dirty ${(kib('Dirty') / 1024).toFixed(0)} MiB, writeback ${(kib('Writeback') / 1024).toFixed(0)} MiB`;
  } catch {
    return '';
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      mb: { type: 'string', default: '1024' },
      value: { type: 'string', default: '50' },
      saves: { type: 'string', default: '4' },
      dir: { type: 'string' },
      device: { type: 'string', default: 'vda' },
      fresh: { type: 'boolean', default: false },
      consume: { type: 'boolean', default: false },
    },
  });
  if (values.fresh && values.consume) throw new Error('--fresh and --consume are two different cases: pick one');
  const valueBytes = Number(values.value);
  const dir = values.dir ?? mkdtempSync(join(os.tmpdir(), 'gac-saves-'));
  const store = new SegmentStore({ memoryLimitBytes: Number(values.mb) * MIB, itemSizeMax: MIB, hashSeed: 1 });
  const value = Buffer.alloc(valueBytes, 0x61);
  const key = Buffer.alloc(14, 0x30);
  for (let n = 0; ; n++) {
    key.write(n.toString(36).padStart(12, '0'), 2, 'latin1');
    if (store.store('set', key, value, 0, 0, 0) !== 'stored') break;
    if ((valueBytes > 4096 || (n & 1023) === 0) && store.shape().segmentsFree === 0) break;
  }
  if (store.counters.evictions > 0) throw new Error('the fill evicted');
  const files: string[] = [];
  const perGiB: number[] = [];
  for (let i = 0; i < Number(values.saves); i++) {
    const file = join(dir, values.fresh ? `save-${i}.img` : 'save.img');
    files.push(file);
    if (values.consume && existsSync(file)) {
      // As a warm start does after its restore (lib/server/warm-restart.ts): rename away, fsync; then delete.
      const c0 = device(values.device);
      const t0 = performance.now();
      renameSync(file, `${file}.consumed`);
      syncDirectory(file);
      const t1 = performance.now();
      rmSync(`${file}.consumed`);
      syncDirectory(file);
      const t2 = performance.now();
      const c1 = device(values.device);
      const discarded = c0 !== null && c1 !== null ? `, discarded ${(c1.discardedMiB - c0.discardedMiB).toFixed(0)} MiB meanwhile` : '';
      process.stdout.write(
        `consumed the last image: rename + directory fsync ${((t1 - t0) / 1000).toFixed(2)} s (what a start waits for), ` +
          `then unlink + directory fsync ${((t2 - t1) / 1000).toFixed(2)} s (a server's background delete)${discarded}\n`,
      );
    }
    const d0 = device(values.device);
    const p0 = ioStallUs();
    const before = dirty();
    const load = os.loadavg()[0]!;
    const cpu = process.cpuUsage();
    const r = saveImage(store.imagePort(), file, { sync: false });
    const used = process.cpuUsage(cpu);
    if (!r.ok) throw new Error(r.reason);
    const d1 = device(values.device);
    const gib = r.fileBytes / GIB;
    perGiB.push(r.ms / 1000 / gib);
    const dev =
      d0 !== null && d1 !== null
        ? `device wrote ${(d1.writtenMiB - d0.writtenMiB).toFixed(0)} MiB in ${((d1.writeMs - d0.writeMs) / 1000).toFixed(1)} s summed, discarded ${(d1.discardedMiB - d0.discardedMiB).toFixed(0)} MiB`
        : 'no diskstats';
    process.stdout.write(
      `save ${i + 1}: ${(r.ms / 1000 / gib).toFixed(2)} s/GiB (${(r.ms / 1000).toFixed(2)} s, ${(r.fileBytes / MIB).toFixed(0)} MiB, ` +
        `${r.oldImageBytes >= 0 ? `over an old image: removed in ${(r.removeMs / 1000).toFixed(2)} s` : 'new file'}, ` +
        `${r.direct ? 'O_DIRECT' : `page cache: ${r.directNote}`}), CPU ${((used.user + used.system) / 1e6 / gib).toFixed(2)} s/GiB; ${dev}; ` +
        `I/O stall ${(((ioStallUs() - p0) / 1000 / r.ms) * 100).toFixed(0)}%; before ${before}, after ${dirty()}; load ${load.toFixed(1)}\n`,
    );
  }
  const sorted = [...perGiB].sort((a, b) => a - b);
  process.stdout.write(`s/GiB: median ${sorted[sorted.length >> 1]!.toFixed(2)}, min ${sorted[0]!.toFixed(2)}, max ${sorted[sorted.length - 1]!.toFixed(2)}\n`);
  for (const f of files) rmSync(f, { force: true });
  if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
}

main();
