// One wide case (hitratio/wide-cases.ts) replayed live N times, to tell a
// difference of a few misses from run-to-run noise. Each repeat replays the
// same trace (same seed: what varies is the servers' and the machine's
// timing, not the stream) against memcached, grow-a-cache and memcached
// again, all three at once so they share the machine's load; the second
// memcached gives the A/A of that repeat. Lines go to a JSON-lines file as
// hitratio-wide.ts writes them, tagged with their repeat; a file that
// already holds repeats of the case is continued, not restarted. At the end,
// and with --summarize FILE alone, it prints per-repeat misses and the
// paired statistics (hitratio/repeat-stats.ts). Not a table of cases:
// hitratio-wide-table.ts makes that.
//
//   node dist/benchmarks/hitratio-repeats.js --case cluster29@2x --rate 2000 --repeats 12 --out FILE
//     [--floor-mb 48] [--sizes FILE] [--requests 300000] [--seed 42]
//   node dist/benchmarks/hitratio-repeats.js --summarize FILE [--case ID]

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { planCpus } from './servers/cpu-plan.js';
import { memcachedSpec, oursSpec } from './servers/server-specs.js';
import type { SuiteContext } from './suites/context.js';
import { PROFILES } from './hitratio/profiles.js';
import { caseId, sizedWideCases } from './hitratio/wide-cases.js';
import { TTL_POLICY } from './suites/hitratio.js';
import { describeLine, replayWideCase, type WideLine } from './hitratio/wide-run.js';
import { summarizeRepeats } from './hitratio/repeat-stats.js';

function readLines(file: string, id: string | undefined): WideLine[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as WideLine);
  return lines.filter((l) => l.repeat !== undefined && (id === undefined || l.case === id));
}

function printSummary(lines: readonly WideLine[], id: string): void {
  const s = summarizeRepeats(lines.filter((l) => l.case === id));
  const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  console.log(`${id}: ${s.rows.length} complete repeats, ${s.gets} gets each; misses and hits past deadline per server (ours / memcached #1 / memcached #2)`);
  console.log('| repeat | misses ours / mc #1 / mc #2 | ours - mc #1 | mc #2 - mc #1 | hits past deadline | expired early | capacity | req/s |');
  console.log('|---:|---|---:|---:|---|---|---|---|');
  for (const r of s.rows) {
    console.log(
      `| ${r.repeat} | ${r.ours} / ${r.mc1} / ${r.mc2} | ${r.ours - r.mc1} | ${r.mc2 - r.mc1} | ${r.pastDeadline.join(' / ')} | ${r.expiredEarly.join(' / ')} | ${r.capacity.join(' / ')} | ${r.rates.map((x) => Math.round(x)).join(' / ')} |`,
    );
  }
  console.log(
    `ours - memcached #1: mean ${f(s.oursVsMc.mean)} misses/run, SD ${f(s.oursVsMc.sd)}, SE ${f(s.oursVsMc.se)}, t ${f(s.oursVsMc.t, 2)} (n ${s.oursVsMc.n}); ` +
      `ratio median ${f(s.ratio.median, 4)} (${f(s.ratio.min, 4)}-${f(s.ratio.max, 4)})`,
  );
  const perServer = (i: number): string => f(s.rows.reduce((a, r) => a + r.pastDeadline[i]!, 0) / s.rows.length);
  console.log(`hits past deadline, mean per run: ours ${perServer(0)}, memcached #1 ${perServer(1)}, #2 ${perServer(2)}`);
  console.log(
    `A/A memcached #2 - #1: mean ${f(s.aa.mean)}, SD ${f(s.aa.sd)}, SE ${f(s.aa.se)}, t ${f(s.aa.t, 2)}; ratio median ${f(s.aaRatio.median, 4)} (${f(s.aaRatio.min, 4)}-${f(s.aaRatio.max, 4)}); ` +
      `memcached #1 misses SD across repeats ${f(s.mcSd)}; wrong or expired values served: ${s.wrong}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      case: { type: 'string' },
      rate: { type: 'string', default: '2000' },
      repeats: { type: 'string', default: '12' },
      out: { type: 'string' },
      summarize: { type: 'string' },
      requests: { type: 'string', default: '300000' },
      seed: { type: 'string', default: '42' },
      'floor-mb': { type: 'string', default: '48' },
      sizes: { type: 'string' },
    },
  });
  if (values.summarize) {
    const lines = readLines(values.summarize, values.case);
    for (const id of new Set(lines.map((l) => l.case))) printSummary(lines, id);
    return;
  }
  if (!values.out || !values.case) throw new Error('--case ID and --out FILE are required (or --summarize FILE)');
  const id = values.case;
  const seed = Number(values.seed);
  const rate = Number(values.rate);
  const log = (m: string): void => void process.stderr.write(`[repeats] ${m}\n`);
  const ctx: SuiteContext = { quick: false, rounds: 1, plan: planCpus(), memcached: memcachedSpec(), ours: oursSpec(), oursNote: '', seed, log, raw: {}, serverLabels: new Map() };
  const how = { scale: 1, floorMb: Number(values['floor-mb']) };
  const c = sizedWideCases(PROFILES, Number(values.requests), seed, TTL_POLICY, how, values.sizes, [id]).cases[0];
  if (!c || caseId(c.profile.name, c.target) !== id) throw new Error(`no case ${id}`);
  const done = Math.max(0, ...readLines(values.out, id).map((l) => l.repeat!));
  const jobs = [
    { spec: memcachedSpec(), run: 1 },
    { spec: oursSpec(), run: 1 },
    { spec: memcachedSpec(), run: 2 },
  ];
  for (let repeat = done + 1; repeat <= done + Number(values.repeats); repeat++) {
    await Promise.all(
      jobs.map(async ({ spec, run }) => {
        const outcome = await replayWideCase(ctx, spec, c, run, rate, seed);
        if (!outcome.ok) return log(`${id} repeat ${repeat} ${spec.name}#${run}: ${outcome.note}`);
        const line: WideLine = { ...outcome.line, repeat };
        appendFileSync(values.out!, JSON.stringify(line) + '\n');
        log(`repeat ${repeat} ${describeLine(line)}`);
      }),
    );
  }
  printSummary(readLines(values.out, id), id);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
