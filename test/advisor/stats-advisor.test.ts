// The live advisor through the real server: off by default, `-o advisor`
// turns it on, `stats advisor` answers STAT lines over a socket and
// /metrics has one gauge per size, single-threaded and with -t 2 (the
// workers' rings drained by the housekeeper).

import t, { type Test } from 'tap';
import { startServer } from '../../lib/server/server.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT, type Settings } from '../../lib/cli/settings.js';
import { parseCommandLine } from '../../lib/cli/cli-options.js';
import { RawClient, parseStatLines, scrapeMetrics } from '../observability/helpers.js';

const MIB = 1048576;

async function start(t: Test, extra: Partial<Settings>) {
  const settings: Settings = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, udpPort: 0, listen: ['127.0.0.1'], maxBytes: 4 * MIB, metricsListen: '127.0.0.1:0', ...extra };
  const server = await startServer(settings, {});
  t.teardown(() => server.close());
  return server;
}

/** Look-aside traffic: get, and set after a miss, over 3000 keys. */
async function traffic(c: RawClient, rounds: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    let batch = '';
    for (let i = 0; i < 3000; i++) batch += `get key:${(i * 7919 + r) % 3000}\r\n`;
    const reply = await c.call(batch + 'mn\r\n', /MN\r\n$/);
    let sets = '';
    for (let i = 0; i < 3000; i++) {
      const k = `key:${(i * 7919 + r) % 3000}`;
      if (!reply.includes(`VALUE ${k} `)) sets += `set ${k} 0 0 100 noreply\r\n${'v'.repeat(100)}\r\n`;
    }
    await c.call(sets + 'mn\r\n', /MN\r\n$/);
  }
}

t.test('-o advisor parses, and the advisor is off by default', async (t) => {
  const on = parseCommandLine(['-o', 'advisor_rate=0.5'], {});
  t.equal(on.kind, 'run');
  if (on.kind === 'run') {
    t.equal(on.settings.advisor, true);
    t.equal(on.settings.advisorRate, 0.5);
  }
  const bad = parseCommandLine(['-o', 'advisor_rate=0'], {});
  t.equal(bad.kind, 'exit');
  const server = await start(t, { threads: 1 });
  const c = await RawClient.open(server.port);
  t.teardown(() => c.close());
  t.equal(await c.call('stats advisor\r\n', /END\r\n$/), 'STAT advisor_enabled 0\r\nEND\r\n');
  t.notMatch(await scrapeMetrics(server.metricsPort!), /advisor/);
  const summary = (await (await fetch(`http://127.0.0.1:${server.metricsPort}/ui/summary`)).json()) as { advisor: unknown };
  t.equal(summary.advisor, null, 'the live page shows no advisor panel');
});

for (const threads of [1, 2]) {
  t.test(`stats advisor and /metrics with -t ${threads}`, async (t) => {
    const server = await start(t, { threads, advisor: true, advisorRate: 0.5 });
    const c = await RawClient.open(server.port);
    t.teardown(() => c.close());
    await traffic(c, 3);
    // With threads the housekeeper publishes once a second.
    let stats = parseStatLines(await c.call('stats advisor\r\n', /END\r\n$/));
    for (let i = 0; i < 40 && Number(stats.get('advisor_0_sampled_gets') ?? 0) < 4000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      stats = parseStatLines(await c.call('stats advisor\r\n', /END\r\n$/));
    }
    t.equal(stats.get('advisor_enabled'), '1');
    t.equal(stats.get('advisor_rate'), '0.5');
    t.equal(stats.get('advisor_points'), '9');
    t.equal(stats.get('advisor_current_memory_bytes'), String(4 * MIB));
    t.equal(stats.get('advisor_4_memory_bytes'), String(4 * MIB), 'the current size is the middle point');
    t.equal(stats.get('advisor_0_memory_bytes'), String(MIB));
    t.equal(stats.get('advisor_8_memory_bytes'), String(16 * MIB));
    // About half of 9000 gets are of sampled keys, every copy sees them all.
    const sampledGets = Number(stats.get('advisor_0_sampled_gets'));
    t.ok(sampledGets > 3500 && sampledGets < 5500, `${sampledGets} sampled gets`);
    // 3000 keys of ~130 bytes fit everywhere: after the first round every get hits.
    for (let i = 0; i < 9; i++) {
      const r = Number(stats.get(`advisor_${i}_hit_ratio`));
      t.ok(r > 0.6 && r < 0.72, `point ${i}: ${r} (2 of 3 rounds hit)`);
    }
    t.ok(Number(stats.get('advisor_memory_bytes')) > 0);
    if (threads === 1) {
      // Anchored: the point at -m is the store's own measured hit ratio.
      t.equal(stats.get('advisor_4_hit_ratio'), stats.get('advisor_current_hit_ratio'));
      t.not(stats.get('advisor_anchor_offset'), undefined);
    }
    const metrics = await scrapeMetrics(server.metricsPort!);
    t.match(metrics, /memcached_segcache_advisor_hit_ratio\{memory_bytes="4194304"\} 0\.6/);
    t.equal((metrics.match(/^memcached_segcache_advisor_hit_ratio\{/gm) ?? []).length, 9);
    // The live page's summary carries the same curve.
    const summary = (await (await fetch(`http://127.0.0.1:${server.metricsPort}/ui/summary`)).json()) as {
      advisor: { rate: number; points: Array<{ memoryBytes: number; hitRatio: number | null }> };
    };
    t.equal(summary.advisor.rate, 0.5);
    t.same(
      summary.advisor.points.map((p) => p.memoryBytes),
      Array.from({ length: 9 }, (_, i) => Number(stats.get(`advisor_${i}_memory_bytes`))),
    );
  });
}
