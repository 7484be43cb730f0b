// What a Prometheus scrape costs the cache: grow-a-cache serves a memcached
// get/set load (the shared load generator, in a child process) while
// autocannon hammers /metrics, alternating with rounds without scraping.
// Reports scrape latency and rate, cache throughput with and without
// scraping, the server time one scrape takes under load (lost throughput
// divided by the scrape rate) and the server CPU per scrape measured on an
// idle server (robust to load noise), extrapolated to a 15 s interval.
//
//   npm run bench:metrics -- [--duration 5] [--rounds 3] [--scrapers 4] [--rate 0] [--json]
//
// Runs from dist/ (the npm script builds first). The server is pinned to one
// core and both clients to another when taskset and two cores exist.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoadConfig, LoadResult } from './loadgen/config.js';
import { runWorker } from './harness/spawn-worker.js';
import { planCpus, pinned } from './servers/cpu-plan.js';
import { freePort } from './servers/free-port.js';
import { startServer } from './servers/server-process.js';
import { memcachedFlags, oursAvailable, oursEntry, type ServerSpec } from './servers/server-specs.js';
import { median } from './core/summary.js';

/** autocannon's CLI, run as a pinned child so it does not share the server's core. */
const autocannonCli = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

interface ScrapeResult {
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  bytesPerScrape: number;
}

interface Round {
  baseline: LoadResult;
  scraped: LoadResult;
  scrape: ScrapeResult;
}

/** autocannon -j output, the fields used here. */
interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  throughput: { total: number };
  non2xx: number;
  errors: number;
}

function runAutocannon(url: string, seconds: number, scrapers: number, rate: number, core: number | undefined): Promise<ScrapeResult> {
  const args = [autocannonCli, '-j', '-c', String(scrapers), '-d', String(seconds)];
  if (rate > 0) args.push('-R', String(rate));
  const [command, argv] = pinned(core, process.execPath, [...args, url]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4096)));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`autocannon failed (exit ${code}): ${err.trim()}`));
        return;
      }
      const r = JSON.parse(line) as AutocannonJson;
      resolve({
        requests: r.requests.total,
        requestsPerSec: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        maxMs: r.latency.max,
        non2xx: r.non2xx,
        errors: r.errors,
        bytesPerScrape: r.requests.total > 0 ? r.throughput.total / r.requests.total : 0,
      });
    });
  });
}

function oursWithMetrics(metricsPort: number): ServerSpec {
  return {
    name: 'grow-a-cache',
    command: process.execPath,
    args: (port, mb) => [oursEntry, ...memcachedFlags(port, mb), '--metrics-listen', `127.0.0.1:${metricsPort}`],
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      scrapers: { type: 'string', default: '4' },
      rate: { type: 'string', default: '0' },
      connections: { type: 'string', default: '4' },
      depth: { type: 'string', default: '16' },
      json: { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.duration);
  const warmupSec = Number(values.warmup);
  const rounds = Number(values.rounds);
  const scrapers = Number(values.scrapers);
  const rate = Number(values.rate);
  if (!oursAvailable()) throw new Error(`${oursEntry} is missing: run npm run build first`);

  const cpus = planCpus();
  const metricsPort = await freePort();
  const server = await startServer(oursWithMetrics(metricsPort), { memoryMb: 64, core: cpus.serverCore });
  const load = (preload: boolean): LoadConfig => ({
    host: '127.0.0.1',
    port: server.port,
    serverPid: server.pid,
    connections: Number(values.connections),
    depth: Number(values.depth),
    warmupMs: warmupSec * 1000,
    durationMs: seconds * 1000,
    keyCount: 10_000,
    keySize: 16,
    valueSize: 100,
    getRatio: 0.9,
    keysPerGet: 1,
    preload,
    seed: 1,
  });
  const runLoad = (preload: boolean): Promise<LoadResult> =>
    runWorker<LoadResult>('load', load(preload), { core: cpus.clientCore, timeoutMs: (seconds + warmupSec) * 1000 + 60_000 });

  const results: Round[] = [];
  let idleCpuMsPerScrape = NaN;
  try {
    // Scraping an idle server: its CPU time over the scrapes served is the
    // cost of one scrape, free of load-generator noise.
    const cpu0 = server.cpuSeconds();
    const idle = await runAutocannon(`http://127.0.0.1:${metricsPort}/metrics`, seconds, scrapers, rate, cpus.clientCore);
    idleCpuMsPerScrape = idle.requests > 0 ? ((server.cpuSeconds() - cpu0) / idle.requests) * 1000 : NaN;
    await runLoad(true);
    for (let i = 0; i < rounds; i++) {
      const baseline = await runLoad(false);
      // autocannon runs through the load's warm-up and measured window.
      const [scraped, scrape] = await Promise.all([
        runLoad(false),
        runAutocannon(`http://127.0.0.1:${metricsPort}/metrics`, seconds + warmupSec, scrapers, rate, cpus.clientCore),
      ]);
      results.push({ baseline, scraped, scrape });
      process.stderr.write(
        `round ${i + 1}/${rounds}: ${Math.round(baseline.opsPerSec)} ops/s alone, ${Math.round(scraped.opsPerSec)} ops/s while scraping ` +
          `(${scrape.requestsPerSec.toFixed(0)} scrapes/s, p99 ${scrape.p99Ms} ms)\n`,
      );
    }
  } finally {
    await server.stop();
  }

  const base = median(results.map((r) => r.baseline.opsPerSec));
  const scraped = median(results.map((r) => r.scraped.opsPerSec));
  const scrapesPerSec = median(results.map((r) => r.scrape.requestsPerSec));
  const lost = base > 0 ? 1 - scraped / base : 0;
  const summary = {
    cores: cpus.cores,
    pinned: cpus.serverCore !== undefined,
    seconds,
    rounds,
    scrapers,
    rate: rate > 0 ? rate : 'unlimited',
    cacheOpsPerSecAlone: Math.round(base),
    cacheOpsPerSecScraped: Math.round(scraped),
    throughputLostPct: Number((lost * 100).toFixed(1)),
    cacheP99UsAlone: median(results.map((r) => r.baseline.p99Us)),
    cacheP99UsScraped: median(results.map((r) => r.scraped.p99Us)),
    scrapesPerSec: Number(scrapesPerSec.toFixed(1)),
    scrapeP50Ms: median(results.map((r) => r.scrape.p50Ms)),
    scrapeP99Ms: median(results.map((r) => r.scrape.p99Ms)),
    scrapeMaxMs: Math.max(...results.map((r) => r.scrape.maxMs)),
    scrapeBytes: Math.round(median(results.map((r) => r.scrape.bytesPerScrape))),
    scrapeErrors: results.reduce((n, r) => n + r.scrape.errors + r.scrape.non2xx, 0),
    // Server time one scrape takes under load, as a share of a saturated server: lost share / scrapes per second.
    serverMsPerScrapeUnderLoad: scrapesPerSec > 0 ? Number(((lost / scrapesPerSec) * 1000).toFixed(3)) : 0,
    serverCpuMsPerScrapeIdle: Number(idleCpuMsPerScrape.toFixed(3)),
    // Share of one core a scrape every 15 s (Prometheus' default interval) costs.
    corePctAt15s: Number(((idleCpuMsPerScrape / 15_000) * 100).toFixed(4)),
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  const rows: Array<[string, string]> = [
    ['cache ops/s, no scraping', String(summary.cacheOpsPerSecAlone)],
    ['cache ops/s, while scraping', String(summary.cacheOpsPerSecScraped)],
    ['throughput lost to scraping', `${summary.throughputLostPct} %`],
    ['cache p99, alone / scraped', `${summary.cacheP99UsAlone} / ${summary.cacheP99UsScraped} µs`],
    ['scrapes/s', String(summary.scrapesPerSec)],
    ['scrape latency p50 / p99 / max', `${summary.scrapeP50Ms} / ${summary.scrapeP99Ms} / ${summary.scrapeMaxMs} ms`],
    ['bytes per scrape', String(summary.scrapeBytes)],
    ['server CPU per scrape (idle)', `${summary.serverCpuMsPerScrapeIdle} ms`],
    ['  = share of a core at 15 s', `${summary.corePctAt15s} %`],
    ['server time per scrape (loaded)', `${summary.serverMsPerScrapeUnderLoad} ms`],
    ['scrape errors', String(summary.scrapeErrors)],
  ];
  process.stdout.write(
    `metrics scrape cost: ${rounds} rounds x ${seconds}s, ${scrapers} scrapers (${summary.rate}/s), ` +
      `${summary.pinned ? 'server and clients on separate cores' : 'not pinned'}\n`,
  );
  for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(32)} ${value}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`metrics-bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
