// Bytes the sizing advisor's nine copies take at R = 1/100 for -m 64 and
// -m 1024, empty and after sets of twice as many distinct sampled keys as
// the largest copy holds (32 B keys; 100 B and 1000 B values), with each
// copy's bytes and items. No timing: memory only.
//
//   node dist/benchmarks/advisor-memory.js [--rate 0.01]

import { parseArgs } from 'node:util';
import { SizingAdvisor, sizesAround } from '../segments/advisor/sizing-advisor.js';
import { defaultSegmentSize } from '../segments/store-defaults.js';

const MIB = 1048576;

function main(): void {
  const { values } = parseArgs({ options: { rate: { type: 'string', default: '0.01' } } });
  const rate = Number(values.rate);
  for (const mb of [64, 1024]) {
    for (const value of [100, 1000]) {
      const m = mb * MIB;
      const advisor = new SizingAdvisor({ sizes: sizesAround(m), segmentSize: defaultSegmentSize(m, MIB), rate, clock: { nowMs: () => 1.7e12 } });
      const empty = advisor.memoryBytes();
      const n = Math.ceil((2 * 4 * m * rate) / (value + 48));
      for (let i = 0; i < n; i++) advisor.set(Math.imul(i + 1, 2654435761) >>> 0, 32, value, 0);
      const per = advisor
        .curve(0)
        .map((p) => `${(p.memoryBytes / MIB).toFixed(0)}M:${(p.copyBytes / 1024).toFixed(0)}K/${p.items}`)
        .join(' ');
      const full = advisor.memoryBytes();
      process.stdout.write(
        `-m ${mb} value ${value}: empty ${(empty / MIB).toFixed(2)} MiB, full ${(full / MIB).toFixed(2)} MiB (${(full / m / rate).toFixed(2)} x R x -m); per copy KiB/items: ${per}\n`,
      );
    }
  }
}

main();
