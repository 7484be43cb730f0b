// Prints the widened cases (benchmarks/hitratio/wide-cases.ts): per profile
// and target multiple, -m, the multiple reached, key space and requests.
//   node dist/benchmarks/hitratio-wide-sizes.js [--requests N] [--seed N] [--scale N] [--floor-mb MB] [--sizes FILE]
import { parseArgs } from 'node:util';
import { PROFILES } from './hitratio/profiles.js';
import { caseId, sizedWideCases } from './hitratio/wide-cases.js';
import { TTL_POLICY } from './suites/hitratio.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '42' },
    scale: { type: 'string', default: '1' },
    'floor-mb': { type: 'string', default: '0' },
    sizes: { type: 'string' },
  },
});
const how = { scale: Number(values.scale), floorMb: Number(values['floor-mb']) };
const { cases, tooSkewed } = sizedWideCases(PROFILES, Number(values.requests), Number(values.seed), TTL_POLICY, how, values.sizes);
let total = 0;
for (const c of cases) {
  total += c.size.requests;
  console.log(`${caseId(c.profile.name, c.target).padEnd(14)} -m ${String(c.memoryMb).padStart(3)}  WSS ${c.multiple.toFixed(1)}x  scale ${c.scale ?? 1}  keys ${c.size.keySpace}  requests ${c.size.requests}  ${c.profile.role}`);
}
console.log(`${cases.length} cases, ${total} requests; too skewed to evict within the budget: ${tooSkewed.join(', ')}`);
