// The widened hit-ratio evaluation of issue 17, live: every case of
// benchmarks/hitratio/wide-cases.ts (each profile at two -m, working set
// ~2x and ~8x) replayed look-aside over the wire (hitratio/replayer.ts,
// every hit byte-checked) against each listed server, started fresh per
// case at the case's -m. Results go to a JSON-lines file, one line per
// (case, server run), appended as they finish; hitratio-wide-table.ts makes
// the table. Listing memcached twice (`--servers memcached,ours,memcached`)
// gives the A/A noise in the same run. `--parallel` replays a case against
// every listed server at once (each its own client process), so both see
// the same machine load, in about half the time on a loaded machine.
//
//   node dist/benchmarks/hitratio-wide.js --out FILE [--servers memcached,ours]
//     [--profiles a,b] [--requests 300000] [--rate 20000] [--seed 42] [--parallel]
//     [--scale N] [--floor-mb MB] [--cases id,id] [--sizes FILE]
//   --scale N: every case at N x its -m and key space, same WSS/-m; --floor-mb MB: each case
//   scaled by the least whole factor that lifts its -m to MB (wide-cases.ts); --cases: only
//   these case ids ("cluster7@8x"); --sizes FILE: keep the sizing between runs.

import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { planCpus } from './servers/cpu-plan.js';
import { memcachedSpec, oursSpec, type ServerSpec } from './servers/server-specs.js';
import type { SuiteContext } from './suites/context.js';
import { describeLine, replayWideCase } from './hitratio/wide-run.js';
import { PROFILES, profileByName } from './hitratio/profiles.js';
import { caseId, sizedWideCases } from './hitratio/wide-cases.js';
import { TTL_POLICY } from './suites/hitratio.js';

export type { WideLine } from './hitratio/wide-run.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      servers: { type: 'string', default: 'memcached,grow-a-cache' },
      profiles: { type: 'string' },
      requests: { type: 'string', default: '300000' },
      rate: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '42' },
      parallel: { type: 'boolean', default: false },
      scale: { type: 'string', default: '1' },
      'floor-mb': { type: 'string', default: '0' },
      cases: { type: 'string' },
      sizes: { type: 'string' },
    },
  });
  if (!values.out) throw new Error('--out FILE is required');
  const seed = Number(values.seed);
  const rate = Number(values.rate);
  const specs: ServerSpec[] = values.servers!.split(',').map((s) => (s === 'memcached' ? memcachedSpec() : s === 'grow-a-cache' || s === 'ours' ? oursSpec() : (() => { throw new Error(`unknown server ${s}`); })()));
  const profiles = values.profiles ? values.profiles.split(',').map(profileByName) : PROFILES;
  const log = (m: string): void => void process.stderr.write(`[wide] ${m}\n`);
  const ctx: SuiteContext = {
    quick: false,
    rounds: 1,
    plan: planCpus(),
    memcached: memcachedSpec(),
    ours: oursSpec(),
    oursNote: '',
    seed,
    log,
    raw: {},
    serverLabels: new Map(),
  };
  const how = { scale: Number(values.scale), floorMb: Number(values['floor-mb']) };
  const { cases, tooSkewed } = sizedWideCases(profiles, Number(values.requests), seed, TTL_POLICY, how, values.sizes, values.cases?.split(','));
  log(`${cases.length} cases; too skewed to evict within the budget: ${tooSkewed.join(', ') || 'none'}`);
  const parallel = values.parallel!;
  for (const c of cases) {
    const id = caseId(c.profile.name, c.target);
    const runs = new Map<string, number>();
    const jobs = specs.map((spec) => {
      const run = (runs.get(spec.name) ?? 0) + 1;
      runs.set(spec.name, run);
      return { spec, run };
    });
    const one = async ({ spec, run }: { spec: ServerSpec; run: number }): Promise<void> => {
      const outcome = await replayWideCase(ctx, spec, c, run, rate, seed);
      if (!outcome.ok) {
        log(`${id} ${spec.name}: ${outcome.note}`);
        return;
      }
      appendFileSync(values.out!, JSON.stringify(outcome.line) + '\n');
      log(describeLine(outcome.line));
    };
    // --parallel: the servers of a case replay at the same time (same machine load for both).
    if (parallel) await Promise.all(jobs.map(one));
    else for (const job of jobs) await one(job);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
