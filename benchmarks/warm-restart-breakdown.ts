// Where a warm restore of a heap full of small items spends its time, per
// GiB of image: the whole restore as the server runs it (with its own phase
// timers), then each piece alone on the restored store: the device read
// (O_DIRECT, whole image, no copy), a copy of every segment's bytes, the
// CRC-32 of every segment, the read-only record walk. The image is filled and saved once and kept (--image), so
// two builds can restore the same file alternately:
//
//   node --expose-gc dist/benchmarks/warm-restart-breakdown.js [--mb 1024] [--image /tmp/gac-breakdown.img] [--runs 3] [--value 50] [--pieces]
//
// Uses only restoreImage / saveImage and record-walk.ts's checkSegment, so
// the same file builds against older trees for an A/B.

import { parseArgs } from 'node:util';
import { closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import { SegmentStore } from '../segments/segment-store.js';
import { imageHashSeed, restoreImage, saveImage } from '../segments/persist/store-image.js';
import { checkSegment } from '../segments/persist/record-walk.js';
import { crc32 } from '../segments/persist/checksum.js';
import { HEADER_BYTES, decodeHeader, decodeTable, tableBytes, type SegmentEntry } from '../segments/persist/image-format.js';
import { REEXEC_MARK, reexecWithHugePages } from '../lib/cli/huge-pages.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

function fill(store: SegmentStore, valueBytes: number): number {
  const value = Buffer.alloc(valueBytes, 0x61);
  const key = Buffer.alloc(14, 0x30);
  let n = 0;
  for (;;) {
    key.write(n.toString(36).padStart(12, '0'), 2, 'latin1');
    if (store.store('set', key, value, 0, 0, 0) !== 'stored') break;
    n++;
    if ((valueBytes > 4096 || (n & 1023) === 0) && store.shape().segmentsFree === 0) break;
  }
  return store.counters.items;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

function timed(f: () => void): [number, number] {
  const c = process.cpuUsage();
  const t = performance.now();
  f();
  return [performance.now() - t, cpuMs(c)];
}

function readTable(file: string): SegmentEntry[] {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    readSync(fd, head, 0, HEADER_BYTES, 0);
    const header = decodeHeader(head);
    const table = Buffer.alloc(tableBytes(header.segments));
    readSync(fd, table, 0, table.length, HEADER_BYTES);
    return decodeTable(table, header, 1 << 16);
  } finally {
    closeSync(fd);
  }
}

/** The device alone: the whole image through one 8 MiB aligned buffer with O_DIRECT. */
function deviceRead(file: string): number {
  const flag = (constants as { O_DIRECT?: number }).O_DIRECT ?? 0;
  const fd = openSync(file, constants.O_RDONLY | flag);
  const raw = new Uint8Array(8 * MIB + 4096);
  let off = 0;
  for (; off < 4096; off += 8) {
    try {
      readSync(fd, raw, off, 4096, 0);
      break;
    } catch {
      // Not aligned yet.
    }
  }
  const buf = raw.subarray(off, off + 8 * MIB);
  const t = performance.now();
  for (let at = 0; ; ) {
    const n = readSync(fd, buf, 0, buf.length, at);
    at += n;
    if (n < buf.length) break;
  }
  const ms = performance.now() - t;
  closeSync(fd);
  return ms;
}

function main(): void {
  if (!process.argv.includes('--small-pages')) reexecWithHugePages();
  const { values } = parseArgs({
    options: {
      mb: { type: 'string', default: '1024' },
      image: { type: 'string', default: '/tmp/gac-breakdown.img' },
      runs: { type: 'string', default: '3' },
      value: { type: 'string', default: '50' },
      pieces: { type: 'boolean', default: false },
      'small-pages': { type: 'boolean', default: false },
    },
  });
  const options = { memoryLimitBytes: Number(values.mb) * MIB, itemSizeMax: MIB, hashSeed: 1 };
  const file = values.image!;
  if (!existsSync(file)) {
    const store = new SegmentStore(options);
    const t = performance.now();
    const n = fill(store, Number(values.value));
    const r = saveImage(store.imagePort(), file, { sync: true });
    if (!r.ok) throw new Error(r.reason);
    process.stderr.write(`filled ${n} items in ${((performance.now() - t) / 1000).toFixed(1)} s, saved ${file}\n`);
    global.gc?.();
  }
  const gib = statSync(file).size / GIB;
  const per = (ms: number): string => (ms / 1000 / gib).toFixed(2);
  for (let run = 0; run < Number(values.runs); run++) {
    const load = os.loadavg()[0]!;
    const store = new SegmentStore({ ...options, hashSeed: imageHashSeed(file) ?? 2 });
    const port = store.imagePort();
    const c = process.cpuUsage();
    const r = restoreImage(port, file);
    const cpu = cpuMs(c);
    const used = process.cpuUsage(c);
    if (!r.warm || !r.indexRestored) throw new Error(`restore: ${r.reason} ${r.indexNote}`);
    const other = r.ms - r.readMs - r.indexMs - r.walkMs;
    let line =
      `run ${run + 1} load ${load.toFixed(1)}: restore ${per(r.ms)} s/GiB (CPU ${per(cpu)}: user ${per(used.user / 1000)}, system ${per(used.system / 1000)}): data read+CRC ${per(r.readMs)}, CRC ${per(r.checksumMs)}, ` +
      `index ${per(r.indexMs)}, walk+finish ${per(r.walkMs)}, other ${per(other)}; chunks read ahead ${(r as { aheadChunks?: number }).aheadChunks ?? 0}`;
    if (values.pieces) {
      const entries = readTable(file);
      const heap = port.heap;
      const [dev] = timed(() => deviceRead(file));
      const scratch = new Uint8Array(port.settings.segmentSize);
      const [copy] = timed(() => {
        for (const e of entries) scratch.set(heap.bytes[e.seg]!.subarray(0, e.writeOffset));
      });
      const [crc] = timed(() => {
        for (const e of entries) crc32(heap.bytes[e.seg]!.subarray(0, e.writeOffset));
      });
      const nowS = port.nowS();
      const [walk] = timed(() => entries.forEach((e, i) => checkSegment(port, e, i, nowS, null)));
      line += `\n  pieces alone: device read ${per(dev)}, copy ${per(copy)}, CRC ${per(crc)}, walk ${per(walk)}`;
    }
    console.log(line);
    global.gc?.();
  }
  console.log(`image ${(gib * 1024).toFixed(0)} MiB; heap pages ${process.env[REEXEC_MARK] !== undefined ? 'huge on request' : 'default'}`);
}

main();
