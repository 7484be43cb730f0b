// What a byte copy into SharedArrayBuffer memory costs, by size and by
// relative alignment of source and destination: V8's relaxed copy
// (TypedArray.set, which Buffer.copy uses) against Buffer.fill with a
// Uint8Array value (a memcpy) and against the choice segments/shared-copy.ts
// makes. The destination walks a region of --region bytes (default 64 MiB,
// cold as a segment heap is; 262144 keeps it in cache). Prints the median,
// least and greatest ns per copy over --rounds passes, interleaved.
//
//   taskset -c 1 node dist/benchmarks/shared-copy-bench.js [--region 67108864] [--rounds 11]
//
// Not a server benchmark: the copy alone, one thread.

import { parseArgs } from 'node:util';
import { copyView } from '../segments/shared-copy.js';

const { values } = parseArgs({ options: { region: { type: 'string', default: String(64 << 20) }, rounds: { type: 'string', default: '11' } } });
const region = Number(values.region);
const rounds = Number(values.rounds);
const dst = Buffer.from(new SharedArrayBuffer(region));
const src = Buffer.alloc(1 << 17, 7);

type Copy = (dst: Buffer, at: number, src: Uint8Array) => void;
const ways: Record<string, Copy> = {
  'set (relaxed)': (d, at, s) => d.set(s, at),
  'fill (memcpy)': (d, at, s) => d.fill(s, at, at + s.length),
  'copyView': copyView,
};

function pass(copy: Copy, views: Uint8Array[], n: number, aligned: boolean): number {
  const start = process.hrtime.bigint();
  let ops = 0;
  for (let at = 0; at + n + 16 <= region; at += n + 16) {
    const s = views[ops & 7]!;
    // Aligned: the destination's offset congruent to the source's mod 8.
    copy(dst, aligned ? at + ((s.byteOffset - dst.byteOffset - at) & 7) : at + ((s.byteOffset - dst.byteOffset - at + 3) & 7), s);
    ops++;
  }
  return Number(process.hrtime.bigint() - start) / ops;
}

console.log('bytes   alignment   way             median ns   least   greatest');
for (const n of [16, 100, 256, 1024, 4096, 16384, 65536]) {
  const views: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) views.push(src.subarray(101 + i * 8, 101 + i * 8 + n));
  for (const aligned of [false, true]) {
    const times: Record<string, number[]> = {};
    for (let r = 0; r < rounds; r++) for (const [name, copy] of Object.entries(ways)) (times[name] ??= []).push(pass(copy, views, n, aligned));
    for (const [name, list] of Object.entries(times)) {
      list.sort((a, b) => a - b);
      const median = list[list.length >> 1]!;
      console.log(`${String(n).padEnd(8)}${(aligned ? 'same' : 'differs').padEnd(12)}${name.padEnd(16)}${median.toFixed(0).padStart(9)}${list[0]!.toFixed(0).padStart(8)}${list[list.length - 1]!.toFixed(0).padStart(11)}`);
    }
  }
}
