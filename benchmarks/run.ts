// `npm run bench`: runs grow-a-cache and the real memcached side by side
// through every suite (throughput, memory, expiry, hit ratio), prints one
// table with both servers, the ratios and the targets, and on a
// full run writes benchmarks/RESULTS.md. `--quick` is a short smoke run.
//
//   node dist/benchmarks/run.js [--quick] [--only throughput,crosscheck,memory,expiry,hitratio]
//     [--scenarios a,b,c,d] [--profiles cluster52,...] [--rounds N]
//     [--ours-cmd "memcached"] [--ours-node PATH] [--no-ours] [--cpu-prof] [--json out.json]
//     [--write-results | --no-write-results] [--seed N]

import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { planCpus } from './servers/cpu-plan.js';
import { commandSpec, memcachedSpec, oursAvailable, oursSpec, type ServerSpec } from './servers/server-specs.js';
import type { Row } from './harness/rows.js';
import { verdictOf } from './harness/rows.js';
import { renderTable } from './harness/table.js';
import { describeMachine, loadAverage } from './harness/machine.js';
import { writeResults } from './harness/results-file.js';
import { renderHotspots, summarizeProfileFile } from './profile/cpu-profile.js';
import type { SuiteContext } from './suites/context.js';
import { runThroughput, SCENARIOS } from './suites/throughput.js';
import { runMemory } from './suites/memory.js';
import { runCrossCheck } from './suites/crosscheck.js';
import { runExpiry } from './suites/expiry.js';
import { DEFAULT_PROFILES, KNOWN_PROFILES, runHitRatio } from './suites/hitratio.js';

const SUITES = ['throughput', 'crosscheck', 'memory', 'expiry', 'hitratio'] as const;
type SuiteName = (typeof SUITES)[number];

const USAGE = `usage: node dist/benchmarks/run.js [options]   (npm run bench, bench:quick, bench:<suite>)
  --quick                  short smoke run (~1.5 min); writes no RESULTS.md
  --only LIST              suites: ${['throughput', 'crosscheck', 'memory', 'expiry', 'hitratio'].join(',')}
  --scenarios LIST         throughput scenarios a,b,c,d
  --profiles LIST          hit-ratio profiles (default ${DEFAULT_PROFILES.join(',')}; also cluster12)
  --rounds N               throughput rounds (default 5, quick 1)
  --ours-cmd "CMD"         compare memcached with CMD (given memcached's flags) instead of dist/lib/cli/main.js
  --ours-node PATH         run ours under this node binary (e.g. Node 24 while the load generator stays on Node 20)
  --no-ours                measure memcached alone
  --cpu-prof               run ours under node --cpu-prof and print its hotspots
  --json FILE              write the raw per-run results
  --write-results | --no-write-results   RESULTS.md (default: only on a full run)
  --seed N                 workload seed (default 42)
`;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const resultsPath = join(repoRoot, 'benchmarks', 'RESULTS.md');

function list(value: string | undefined, known: readonly string[], what: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!known.includes(item)) throw new Error(`unknown ${what} '${item}'; known: ${known.join(', ')}`);
  return items;
}

function methodNotes(ctx: SuiteContext, suites: readonly SuiteName[]): string[] {
  const pin = ctx.plan.serverCore === undefined
    ? 'no CPU pinning (one core or no taskset)'
    : `servers pinned to core ${ctx.plan.serverCore}, load generators (child processes) to core ${ctx.plan.clientCore} with taskset`;
  const notes = [
    `memcached started as \`memcached -U 0 -l 127.0.0.1 -p <free port> -m <MB> -t 1\`; grow-a-cache as \`node dist/lib/cli/main.js\` with the same flags; loopback only; ${pin}.`,
    'Cells: median over rounds ± half the range; ratio = ours / memcached (throughput: median of per-round ratios, runs of a round back to back, order alternating).',
  ];
  if (suites.includes('throughput')) {
    notes.push(
      `Throughput: own closed-loop text-protocol generator (benchmarks/loadgen), 100k keys of 32 B preloaded, 100 B values, ${ctx.rounds} round(s) of ${ctx.quick ? '1.5' : '4'} s after a warm-up; latency per request (log-linear histogram, ~6% buckets); server CPU = utime+stime from /proc/<pid>/stat over the window. "load generator CPU busy" near 100% means the generator, not the server, set the pace: compare CPU per request then.`,
    );
  }
  if (suites.includes('crosscheck')) notes.push('Cross-check: Debian memcslap (C, 4 threads) get and set tests against both servers, pinned like the generator; no targets, a second opinion on throughput.');
  if (suites.includes('memory')) notes.push('Memory: keys key:%010d written in order over one pipelined connection, then all read back with 100-key gets and compared byte for byte; RSS = VmRSS after the read-back.');
  if (suites.includes('expiry')) {
    notes.push(
      'Expiry: sets of 400 B values at 9,000/s, even keys TTL 2-5 s, odd keys none; `stats` sampled every 200 ms; "expired items gone" = first sample after the last deadline with curr_items within 5% of the no-TTL items still held (the floor); all keys read back at the end.',
    );
  }
  if (suites.includes('hitratio')) {
    notes.push(
      'Hit ratio: seeded (SplitMix64) streams from per-cluster figures of Twitter\'s 2020 cache traces (benchmarks/hitratio/profiles.ts): Zipf key popularity, fresh one-hit-wonder keys at the profile\'s one-hit-wonder share, per-key sizes and TTLs, op mix; TTLs / 360, at least 10 s; run length chosen so the distinct keys requested weigh ~3x -m; replayed look-aside (get miss -> set) at a fixed rate over 4 connections (a key always on the same one); every hit checked byte for byte and by flags against the last acknowledged write; misses split into compulsory (never stored), expired (deadline within 1.5 s or past) and capacity.',
    );
  }
  return notes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      scenarios: { type: 'string' },
      profiles: { type: 'string' },
      rounds: { type: 'string' },
      'ours-cmd': { type: 'string' },
      'ours-node': { type: 'string' },
      'no-ours': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      json: { type: 'string' },
      'write-results': { type: 'boolean' },
      'no-write-results': { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const quick = values.quick ?? false;
  const suites = (list(values.only, SUITES, 'suite') ?? [...SUITES]) as SuiteName[];
  const scenarios = list(values.scenarios, SCENARIOS.map((s) => s.id), 'scenario');
  const profiles = list(values.profiles, KNOWN_PROFILES, 'profile') ?? DEFAULT_PROFILES;
  const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);

  let cpuProfDir: string | undefined;
  if (values['cpu-prof']) cpuProfDir = mkdtempSync(join(tmpdir(), 'grow-a-cache-cpuprof-'));
  let ours: ServerSpec | undefined;
  let oursNote = '';
  if (values['ours-cmd']) ours = commandSpec('grow-a-cache', values['ours-cmd']);
  else if (values['no-ours']) oursNote = 'not run';
  else if (oursAvailable()) ours = oursSpec({ cpuProfDir, nodeBinary: values['ours-node'] });
  else oursNote = 'not built';
  if (!ours) log(`grow-a-cache: ${oursNote} (dist/lib/cli/main.js); measuring memcached alone`);

  const ctx: SuiteContext = {
    quick,
    rounds: values.rounds ? Number(values.rounds) : quick ? 1 : 5,
    plan: planCpus(),
    memcached: memcachedSpec(),
    ours,
    oursNote,
    seed: Number(values.seed),
    log,
    raw: {},
    serverLabels: new Map(),
  };
  log(`cores ${ctx.plan.cores}; server core ${ctx.plan.serverCore ?? '-'}, client core ${ctx.plan.clientCore ?? '-'}`);

  const started = Date.now();
  const loadBefore = loadAverage();
  const rows: Row[] = [];
  for (const suite of suites) {
    if (suite === 'throughput') rows.push(...(await runThroughput(ctx, scenarios)));
    if (suite === 'crosscheck') rows.push(...(await runCrossCheck(ctx)));
    if (suite === 'memory') rows.push(...(await runMemory(ctx)));
    if (suite === 'expiry') rows.push(...(await runExpiry(ctx)));
    if (suite === 'hitratio') rows.push(...(await runHitRatio(ctx, profiles)));
  }
  const table = renderTable(rows);
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(`\n${table}\n\n`);
  const missed = rows.filter((r) => verdictOf(r) === 'missed').length;
  const met = rows.filter((r) => verdictOf(r) === 'met').length;
  process.stdout.write(`targets met: ${met}, missed: ${missed}; ${elapsed} s\n`);

  const extra: string[] = [];
  if (cpuProfDir) {
    for (const file of readdirSync(cpuProfDir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
      const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1]);
      const label = ctx.serverLabels.get(pid) ?? file;
      const text = renderHotspots(`CPU profile of ${label}`, summarizeProfileFile(join(cpuProfDir, file), repoRoot));
      process.stdout.write(`\n${text}\n`);
      extra.push(text, '');
    }
    process.stdout.write(`\nprofiles in ${cpuProfDir}\n`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(ctx.raw, null, 1));

  const fullRun = !quick && !values.only && !values.scenarios && !values.profiles && !values['ours-cmd'] && ours !== undefined;
  const write = values['no-write-results'] ? false : (values['write-results'] ?? fullRun);
  if (write) {
    const args = process.argv.slice(2).join(' ');
    const command = process.env.npm_lifecycle_event ? `npm run ${process.env.npm_lifecycle_event}${args ? ' -- ' + args : ''}` : `node dist/benchmarks/run.js ${args}`.trim();
    writeResults(resultsPath, {
      date: new Date().toISOString(),
      machine: `${describeMachine()}; load average (1 min) ${loadBefore} at the start, ${loadAverage()} at the end`,
      command,
      method: methodNotes(ctx, suites),
      table: `${table}\n\nTargets met: ${met}, missed: ${missed} (run took ${elapsed} s).`,
      extra,
    });
    log(`wrote ${resultsPath}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
