// Prints the widened cases (benchmarks/hitratio/wide-cases.ts): per profile
// and target multiple, -m, the multiple reached, key space and requests.
//   node dist/benchmarks/hitratio-wide-sizes.js [--requests N] [--seed N]
import { parseArgs } from 'node:util';
import { PROFILES } from './hitratio/profiles.js';
import { caseId, wideCases } from './hitratio/wide-cases.js';
import { TTL_POLICY } from './suites/hitratio.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '300000' }, seed: { type: 'string', default: '42' } } });
const { cases, tooSkewed } = wideCases(PROFILES, Number(values.requests), Number(values.seed), TTL_POLICY);
let total = 0;
for (const c of cases) {
  total += c.size.requests;
  console.log(`${caseId(c.profile.name, c.target).padEnd(14)} -m ${String(c.memoryMb).padStart(3)}  WSS ${c.multiple.toFixed(1)}x  keys ${c.size.keySpace}  requests ${c.size.requests}  ${c.profile.role}`);
}
console.log(`${cases.length} cases, ${total} requests; too skewed to evict within the budget: ${tooSkewed.join(', ')}`);
