// A real Prometheus server (Debian's prometheus) scrapes our endpoint on
// loopback every second; its HTTP API must answer with a counter the test
// moved. Proves the exposition is accepted end to end, not just linted.

import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMetricsServer } from '../../lib/observability/metrics.js';
import { freePort, makeSources } from './helpers.js';
import { needs, peerCommand } from '../peers.js';

/** Poll `probe` until it returns a value; Prometheus is an external process, so there is no clock to inject. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, attempts = 300): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface QueryResult {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

t.test('Prometheus scrapes /metrics and answers a query for a moved counter', needs('prometheus'), async (t) => {
  const src = makeSources();
  const metrics = await startMetricsServer('127.0.0.1:0', src);
  t.teardown(() => metrics.close());

  const dir = t.testdir({ data: {} });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: grow-a-cache',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${metrics.port}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const prometheus = spawn(
    peerCommand('prometheus'),
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prometheus.stderr.setEncoding('utf8');
  prometheus.stderr.on('data', (chunk: string) => {
    // Keep only the tail: enough to explain a failure, bounded.
    log = (log + chunk).slice(-8192);
  });
  // 'error' (it could not start) as well as 'exit', so teardown never waits forever.
  const exited = new Promise<void>((resolve) => {
    prometheus.once('exit', () => resolve());
    prometheus.once('error', (err) => {
      log += `\n${err.message}`;
      resolve();
    });
  });
  t.teardown(async () => {
    prometheus.kill('SIGTERM');
    await exited;
  });

  const api = `http://127.0.0.1:${port}`;
  await eventually(async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined), `prometheus ready (${log})`);

  // Move a counter the endpoint exports: 7 misses.
  for (let i = 0; i < 7; i++) src.store.get(Buffer.from(`absent-${i}`));
  src.counters.bytesRead = 4242;

  const query = async (promql: string): Promise<string | undefined> => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as QueryResult;
    return body.status === 'success' ? body.data.result[0]?.value[1] : undefined;
  };
  const misses = await eventually(
    async () => {
      const value = await query('memcached_commands_total{job="grow-a-cache",command="get",status="miss"}');
      return value === '7' ? value : undefined;
    },
    `get misses to reach 7 in Prometheus (${log})`,
  );
  t.equal(misses, '7');
  t.equal(await query('memcached_read_bytes_total{job="grow-a-cache"}'), '4242');
  t.equal(await query('up{job="grow-a-cache"}'), '1', 'target is up');
  const target = (await (await fetch(`${api}/api/v1/targets`)).json()) as {
    data: { activeTargets: Array<{ health: string; lastError: string }> };
  };
  t.same(
    target.data.activeTargets.map((x) => [x.health, x.lastError]),
    [['up', '']],
    'scrape without errors',
  );
});
