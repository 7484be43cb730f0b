// Observability through the real server (lib/server/server.ts): `stats` groups over
// the text and binary protocols, memcached's tools against it, /metrics
// following the commands a client sends, and -vv logs without values or
// passwords.

import t, { type Test } from 'tap';
import { startServer } from '../../lib/server/server.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from '../../lib/cli/settings.js';
import type { Settings } from '../../lib/cli/settings.js';
import { RawClient, parseStatLines, run, scrapeMetrics } from './helpers.js';
import { MEMCACHED_TOOL_SCRIPT as TOOL, needs, peerCommand } from '../peers.js';
import { waitFor } from '../integration/helpers/watcher.js';

async function start(t: Test, extra: Partial<Settings> = {}, sasl = false) {
  const lines: string[] = [];
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    port: EPHEMERAL_PORT,
    listen: ['127.0.0.1'],
    maxBytes: 8 * 1024 * 1024,
    metricsListen: '127.0.0.1:0',
    ...extra,
  };
  const server = await startServer(settings, {
    logSink: (line) => lines.push(line),
    ...(sasl ? { sasl: { mechanisms: 'PLAIN', verifyPlain: () => undefined } } : {}),
  });
  t.teardown(() => server.close());
  return { server, lines };
}


t.test('stats over the text protocol follow what clients do', async (t) => {
  const { server } = await start(t);
  const c = await RawClient.open(server.port);
  t.teardown(() => c.close());
  t.equal(await c.call('set a 0 0 5\r\nhello\r\n', /STORED\r\n$/), 'STORED\r\n');
  t.equal(await c.call('set b 0 0 1\r\nx\r\n', /STORED\r\n$/), 'STORED\r\n');
  await c.call('get a\r\n');
  await c.call('get nope\r\n');
  await c.call('delete b\r\n', /DELETED\r\n$/);

  const stats = parseStatLines(await c.call('stats\r\n'));
  t.equal(stats.get('cmd_get'), '2');
  t.equal(stats.get('cmd_set'), '2');
  t.equal(stats.get('get_hits'), '1');
  t.equal(stats.get('get_misses'), '1');
  t.equal(stats.get('delete_hits'), '1');
  t.equal(stats.get('curr_items'), '1');
  t.equal(stats.get('curr_connections'), '1');
  t.equal(stats.get('limit_maxbytes'), String(8 * 1024 * 1024));
  t.ok(Number(stats.get('bytes_read')) > 0);
  t.ok(Number(stats.get('bytes_written')) > 0);
  t.match(stats.get('version'), /^1\.6\.18/);

  // gomemcache (memcached_exporter) reads these three on one connection, each to END.
  for (const group of ['', ' slabs', ' items']) {
    const reply = await c.call(`stats${group}\r\n`);
    t.match(reply, /END\r\n$/, `stats${group} ends with END`);
    for (const line of reply.split('\r\n').slice(0, -2)) t.equal(line.split(' ').length, 3, `3 fields: ${line}`);
  }
  t.match(await c.call('stats items\r\n'), /^STAT items:1:number 1\r\nSTAT items:1:age \d+\r\n/);
  t.match(await c.call('stats slabs\r\n'), /^STAT 1:chunk_size 96\r\n(?:STAT 1:\w+ \d+\r\n)+STAT active_slabs 1\r\nSTAT total_malloced \d+\r\nEND\r\n$/);
  t.equal(await c.call('stats sizes\r\n'), 'STAT sizes_status disabled\r\nEND\r\n');
  t.match(await c.call('stats conns\r\n'), /STAT \d+:addr tcp:127\.0\.0\.1:\d+\r\n(?:.*\r\n)*STAT \d+:state conn_\w+\r\n/);
  t.equal((await c.call('stats settings\r\n')).split('\r\n').filter((l) => !/^STAT \S+ \S+$/.test(l)).join('|'), 'END|', 'settings: only STAT lines');
  t.equal(await c.call('stats foo\r\n'), 'ERROR\r\n');
  t.equal(await c.call('stats reset\r\n'), 'RESET\r\n');
  const after = parseStatLines(await c.call('stats\r\n'));
  t.equal(after.get('get_hits'), '0');
  t.equal(after.get('curr_items'), '1');
});

t.test('memstat (text and binary) and memcached-tool read the server', needs('memcstat', 'memcached-tool'), async (t) => {
  const { server } = await start(t);
  const c = await RawClient.open(server.port);
  t.teardown(() => c.close());
  for (let i = 0; i < 5; i++) await c.call(`set k${i} 0 0 3\r\nabc\r\n`, /STORED\r\n$/);
  const addr = `127.0.0.1:${server.port}`;

  const text = await run(peerCommand('memcstat'), [`--servers=${addr}`]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /^\tcurr_items: 5$/m);
  t.match(text.stdout, /^\tcmd_set: 5$/m);

  const binary = await run(peerCommand('memcstat'), ['--binary', `--servers=${addr}`]);
  t.equal(binary.code, 0, binary.stderr);
  t.match(binary.stdout, /^\tcurr_items: 5$/m);

  const analyze = await run(peerCommand('memcstat'), [`--servers=${addr}`, '--analyze']);
  t.equal(analyze.code, 0, analyze.stderr);
  t.match(analyze.stdout, /Average Item Size \(incl\/overhead\)\s+: [1-9]\d* bytes/);

  const display = await run(peerCommand('memcached-tool'), [TOOL, addr, 'display']);
  t.equal(display.code, 0, display.stderr);
  t.match(display.stdout, /Item_Size/);
  const stats = await run(peerCommand('memcached-tool'), [TOOL, addr, 'stats']);
  t.match(stats.stdout, /^\s+curr_items\s+5$/m);
});

t.test('/metrics follows the commands clients send', async (t) => {
  const { server } = await start(t);
  t.ok(server.metricsPort, 'metrics endpoint started');
  const c = await RawClient.open(server.port);
  t.teardown(() => c.close());
  for (let i = 0; i < 6; i++) await c.call(`get missing${i}\r\n`);
  await c.call('set x 0 0 1\r\n1\r\n', /STORED\r\n$/);
  await c.call('incr x 5\r\n', /6\r\n$/);
  const body = await scrapeMetrics(server.metricsPort!);
  t.match(body, /^memcached_commands_total\{command="get",status="miss"\} 6$/m);
  t.match(body, /^memcached_commands_total\{command="incr",status="hit"\} 1$/m);
  t.match(body, /^memcached_commands_total\{command="set",status="hit"\} 1$/m);
  t.match(body, /^memcached_current_connections 1$/m);
  t.match(body, /^memcached_current_items 1$/m);
  t.match(body, /^memcached_requests_total\{protocol="text"\} 8$/m);
  await t.test('promtool check metrics accepts the scrape', needs('promtool'), async (t) => {
    const checked = await run(peerCommand('promtool'), ['check', 'metrics'], body);
    t.equal(checked.code, 0, checked.stdout + checked.stderr);
  });
});

t.test('-vv logs commands and replies, never values', async (t) => {
  const { server, lines } = await start(t, { verbosity: 2 });
  const c = await RawClient.open(server.port);
  t.teardown(() => c.close());
  await c.call('set secretkey 0 0 12\r\nVALUE-SECRET\r\n', /STORED\r\n$/);
  await c.call('get secretkey\r\n');
  await c.call('get nothing\r\n');
  await c.call('set counter 0 0 4\r\n7100\r\n', /STORED\r\n$/);
  await c.call('incr counter 1\r\n', /7101\r\n$/);
  // Worker threads post their log lines; the reply can reach the client first.
  await waitFor(() => lines.some((l) => /^>\d+ \[number\]$/.test(l)), 'the incr reply logged', () => lines.join('\n'));
  const log = lines.join('\n');
  t.match(log, /^>\d+ \[number\]$/m, 'incr result hidden');
  t.notMatch(log, '7101');
  t.match(log, /^<\d+ new auto-negotiating client connection$/m);
  t.match(log, /^<\d+ set secretkey 0 0 12$/m);
  t.match(log, /^>\d+ STORED$/m);
  t.match(log, /^<\d+ get secretkey$/m);
  t.match(log, /^>\d+ END$/m);
  t.notMatch(log, 'VALUE-SECRET');
});

t.test('quiet by default', async (t) => {
  const { server, lines } = await start(t);
  const c = await RawClient.open(server.port);
  await c.call('set k 0 0 1\r\nv\r\n', /STORED\r\n$/);
  c.close();
  t.same(lines, []);
});

t.test('-vv never logs a SASL password', async (t) => {
  const { server, lines } = await start(t, { verbosity: 2, saslEnabled: true }, true);
  const c = await RawClient.open(server.port);
  t.teardown(() => c.close());
  const mechanism = Buffer.from('PLAIN');
  const data = Buffer.from('\0alice\0hunter2-password');
  const header = Buffer.alloc(24);
  header[0] = 0x80;
  header[1] = 0x21; // SASL auth
  header.writeUInt16BE(mechanism.length, 2);
  header.writeUInt32BE(mechanism.length + data.length, 8);
  header.writeUInt32BE(0xabcd, 12);
  // Any complete binary reply header (24 bytes or more) ends the wait.
  await c.call(Buffer.concat([header, mechanism, data]), /^\x81[\s\S]{23}/);
  await waitFor(() => lines.some((l) => l.includes('sasl_auth PLAIN')), 'the SASL request logged', () => lines.join('\n'));
  const log = lines.join('\n');
  t.notMatch(log, 'hunter2');
  t.match(log, /sasl_auth PLAIN/);
});
