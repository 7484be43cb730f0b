// Server lifecycle and the expiry client against the real memcached (the
// Debian package, installed here and in CI) and the fake.
import t from 'tap';
import { startServer, oneShot } from '../../benchmarks/servers/server-process.js';
import { commandSpec, memcachedSpec } from '../../benchmarks/servers/server-specs.js';
import { runExpiry, ttlForKey, type ExpiryConfig } from '../../benchmarks/expiry/expiry-run.js';
import { FakeMemcached } from './fake-memcached.js';
import { needs, peerCommand } from '../peers.js';

function expiryConfig(port: number): ExpiryConfig {
  return { host: '127.0.0.1', port, writeSeconds: 0.5, ratePerSec: 2000, keySize: 14, valueSize: 100, ttlMinSec: 1, ttlMaxSec: 1, settleSeconds: 1.5, pollMs: 100, seed: 4 };
}

t.test('TTL plan: even keys expire, odd keys do not', async (t) => {
  t.equal(ttlForKey(1, 3, 2, 5), 0);
  for (let i = 0; i < 100; i += 2) {
    const ttl = ttlForKey(1, i, 2, 5);
    t.ok(ttl >= 2 && ttl <= 5, `key ${i}: ${ttl}`);
  }
});

t.test('a cache that never expires is caught serving expired keys', async (t) => {
  const fake = new FakeMemcached();
  const port = await fake.listen();
  try {
    const r = await runExpiry(expiryConfig(port));
    t.ok(r.written > 0);
    t.equal(r.noTtlKept, r.noTtlWritten);
    t.equal(r.noTtlHitRatio, 1);
    t.equal(r.servedAfterExpiry, r.written - r.noTtlWritten, 'every TTL key still served');
    t.ok(r.samples.length > 3, 'stats sampled');
    t.equal(r.reclaimBySegments, undefined, 'no segment stats on this server');
    t.ok(Number.isNaN(r.reclaimByItems.lagSec), 'never reclaimed');
  } finally {
    await fake.close();
  }
});

t.test('memcached: start on a free port, stats, expiry, stop', needs('memcached'), async (t) => {
  const server = await startServer(memcachedSpec(peerCommand('memcached')), { memoryMb: 8, core: undefined });
  try {
    t.ok(server.alive);
    t.ok(server.pid > 0);
    const stats = await server.stats();
    t.equal(stats.get('limit_maxbytes'), String(8 * 1048576));
    t.match(await oneShot(server.port, 'version\r\n', /\r\n$/), /^VERSION 1\./);
    t.ok(server.cpuSeconds() >= 0);
    t.ok(server.rssBytes() > 0);
    const r = await runExpiry(expiryConfig(server.port));
    t.equal(r.servedAfterExpiry, 0, 'memcached never serves an expired key');
    t.equal(r.noTtlHitRatio, 1);
    t.equal(r.corrupt, 0);
  } finally {
    await server.stop();
  }
  t.notOk(server.alive, 'stopped');
});

t.test('a server that cannot start is reported with its stderr', async (t) => {
  await t.rejects(startServer(commandSpec('broken', `${process.execPath} -e process.stderr.write("nope");process.exit(3)`), { memoryMb: 8, core: undefined }), /exited during start/);
  await t.rejects(startServer(commandSpec('missing', '/nonexistent/server'), { memoryMb: 8, core: undefined }), /ENOENT/);
});
