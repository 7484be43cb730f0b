// memcached's own tools read our stats unchanged: libmemcached's memstat
// (plain and --analyze) and memcached-tool (display, stats, settings; the
// display's per-class table comes from stats items / stats slabs).
// A stats-only responder serves renderStats' output, framed as memcached
// frames it, so these run without the full server.

import t, { type Test } from 'tap';
import { makeSources, run, serveStatsOnly, type Fixture } from './helpers.js';
import { MEMCACHED_TOOL_SCRIPT as TOOL, needs, peerCommand } from '../peers.js';

async function loaded(t: Test, items: number): Promise<{ src: Fixture; server: string }> {
  const src = makeSources();
  for (let i = 0; i < items; i++) src.store.store('set', Buffer.from(`key-${i}`), Buffer.alloc(100, 7), 0, 0, 0);
  for (let i = 0; i < items; i++) src.store.get(Buffer.from(`key-${i}`));
  src.counters.cmdGet = items;
  src.counters.cmdSet = items;
  const responder = await serveStatsOnly(src);
  t.teardown(() => responder.close());
  return { src, server: `127.0.0.1:${responder.port}` };
}

t.test('memstat prints every stat under its memcached name', needs('memcstat'), async (t) => {
  const { src, server } = await loaded(t, 10);
  const res = await run(peerCommand('memcstat'), [`--servers=${server}`]);
  t.equal(res.code, 0, res.stderr);
  const port = server.split(':')[1];
  t.match(res.stdout, new RegExp(`^Server: 127\\.0\\.0\\.1 \\(${port}\\)$`, 'm'));
  const printed = new Map([...res.stdout.matchAll(/^\t(\S+): (.*)$/gm)].map((m) => [m[1], m[2]]));
  t.equal(printed.get('pid'), String(process.pid));
  t.equal(printed.get('curr_items'), '10');
  t.equal(printed.get('cmd_get'), '10');
  t.equal(printed.get('get_hits'), '10');
  t.equal(printed.get('version'), src.version);
  t.match(printed.get('rusage_user'), /^\d+\.\d{6}$/);
});

t.test('memstat --analyze computes from bytes, items, hits and uptime', needs('memcstat'), async (t) => {
  const a = await loaded(t, 20);
  const b = await loaded(t, 5);
  a.src.clock.ms = a.src.counters.startedAtMs + 100_000;
  b.src.clock.ms = b.src.counters.startedAtMs + 50_000;
  const res = await run(peerCommand('memcstat'), [`--servers=${a.server},${b.server}`, '--analyze']);
  t.equal(res.code, 0, res.stderr);
  t.match(res.stdout, /Number of Servers Analyzed\s+: 2/);
  t.match(res.stdout, new RegExp(`Node with most memory consumption\\s+: ${a.server.replace(/\./g, '\\.')}`));
  t.match(res.stdout, new RegExp(`Node with longest uptime\\s+: ${a.server.replace(/\./g, '\\.')}`));
  t.match(res.stdout, /Pool-wide Hit Ratio\s+: 100%/);
  const average = /Average Item Size \(incl\/overhead\)\s+: (\d+) bytes/.exec(res.stdout);
  t.ok(average && Number(average[1]) >= 100, `items of 100-byte values average at least 100 bytes (${average?.[1]})`);
});

t.test('memcached-tool display, stats and settings', needs('memcached-tool'), async (t) => {
  const { server } = await loaded(t, 3);
  const display = await run(peerCommand('memcached-tool'), [TOOL, server, 'display']);
  t.equal(display.code, 0, display.stderr);
  t.match(display.stdout, /^\s+#\s+Item_Size\s+Max_age\s+Pages\s+Count/);
  const rows = display.stdout.trim().split('\n').slice(1);
  // Three 100-byte values under 5-byte keys: memcached's class 4 (192-byte chunks), in one segment.
  t.same(rows.map((r) => r.trim().split(/\s+/)), [['4', '192B', '0s', '1', '3', 'yes', '0', '0', '0']], 'the per-class table');

  const stats = await run(peerCommand('memcached-tool'), [TOOL, server, 'stats']);
  t.equal(stats.code, 0, stats.stderr);
  t.match(stats.stdout, /^\s+curr_items\s+3$/m);
  t.match(stats.stdout, /^\s+cmd_set\s+3$/m);
  t.match(stats.stdout, /^\s+lrutail_reflocked\s+0$/m);

  const settings = await run(peerCommand('memcached-tool'), [TOOL, server, 'settings']);
  t.equal(settings.code, 0, settings.stderr);
  t.match(settings.stdout, /^\s+maxbytes\s+4194304$/m);
  t.match(settings.stdout, /^\s+binding_protocol\s+auto-negotiate$/m);
});
