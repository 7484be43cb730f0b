// What one live-page update costs the event loop: a real store of 65,536
// segments (64 MiB in 1 KiB segments, filled with items of seven TTLs and
// some deletes), its segment map built with segments/segment-map.ts at
// several slice sizes. Reports, per slice size, the longest single slice
// (the time clients wait behind it) and the whole build, as medians and
// maxima over the rounds; plus the encoded size. Each slice is timed twice:
// wall clock (what a client waits, including time the OS gave to other
// processes) and process CPU time (the work itself, robust to a busy
// machine).
//
//   npm run bench:segment-map -- [--rounds 30] [--segments 65536]

import { parseArgs } from 'node:util';
import { SegmentStore } from '../segments/segment-store.js';
import { SegmentMapBuilder, segmentHeaders } from '../segments/segment-map.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '30' }, segments: { type: 'string', default: '65536' } },
});
const rounds = Number(values.rounds);
const segments = Number(values.segments);
const SEGMENT_SIZE = 1024;

const store = new SegmentStore({ memoryLimitBytes: segments * SEGMENT_SIZE, itemSizeMax: 512, segmentSize: SEGMENT_SIZE });
const ttls = [5, 60, 600, 3600, 86400, 0, 30];
const value = Buffer.alloc(100, 'v');
const count = Math.floor((segments * SEGMENT_SIZE * 0.9) / 140);
for (let i = 0; i < count; i++) {
  const key = Buffer.from(`key:${i}`);
  store.store('set', key, value, 0, ttls[i % ttls.length]!, 0);
  if (i % 5 === 0) store.delete(Buffer.from(`key:${i >> 1}`), 0);
}
const headers = segmentHeaders(store);
if (headers === null) throw new Error('no segment headers');
const nowS = Math.floor(Date.now() / 1000);
console.log(`${headers.segmentCount} segments of ${SEGMENT_SIZE} bytes, ${store.counters.items} items, ${store.shape().segmentsFree} free`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

for (const slice of [headers.segmentCount, 16384, 8192, 4096]) {
  const longestWall: number[] = [];
  const longestCpu: number[] = [];
  const totalCpu: number[] = [];
  let slices = 0;
  let bytes = 0;
  for (let r = 0; r < rounds + 3; r++) {
    const builder = new SegmentMapBuilder(headers, nowS);
    let wallMax = 0;
    let cpuMax = 0;
    let cpuSum = 0;
    let n = 0;
    for (let done = false; !done; n++) {
      const w0 = performance.now();
      const c0 = cpuMs();
      done = builder.step(slice);
      const cpu = cpuMs() - c0;
      wallMax = Math.max(wallMax, performance.now() - w0);
      cpuMax = Math.max(cpuMax, cpu);
      cpuSum += cpu;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (r < 3) continue; // warm-up: let the JIT settle
    longestWall.push(wallMax);
    longestCpu.push(cpuMax);
    totalCpu.push(cpuSum);
    slices = n;
    bytes = builder.bytes.byteLength;
  }
  console.log(
    `slice ${String(slice).padStart(5)} (${slices} slices): longest slice CPU median ${median(longestCpu).toFixed(3)} ms, max ${Math.max(...longestCpu).toFixed(3)} ms; ` +
      `wall median ${median(longestWall).toFixed(3)} ms, max ${Math.max(...longestWall).toFixed(3)} ms; whole map CPU median ${median(totalCpu).toFixed(3)} ms; ${bytes} bytes`,
  );
}
