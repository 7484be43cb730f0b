// The benchmark clients end to end against an in-process fake server.
import t from 'tap';
import { FakeMemcached } from './fake-memcached.js';
import { TextConnection, fetchStatsText } from '../../benchmarks/core/text-connection.js';
import { runLoad } from '../../benchmarks/loadgen/load-engine.js';
import { runFill, memoryKey } from '../../benchmarks/memory/fill-verify.js';
import { runReplay, type ReplayConfig } from '../../benchmarks/hitratio/replayer.js';
import { profileByName } from '../../benchmarks/hitratio/profiles.js';

async function withFake<T>(options: ConstructorParameters<typeof FakeMemcached>[0], fn: (port: number, fake: FakeMemcached) => Promise<T>): Promise<T> {
  const fake = new FakeMemcached(options);
  const port = await fake.listen();
  try {
    return await fn(port, fake);
  } finally {
    await fake.close();
  }
}

t.test('text connection: pipelined requests, replies in order', async (t) => {
  await withFake({}, async (port) => {
    const conn = await TextConnection.open('127.0.0.1', port);
    const seen: string[] = [];
    conn.sendMany('set a 1 0 1\r\nx\r\nset b 2 0 2\r\nyy\r\n', 'line', 2, (r) => seen.push(r.kind === 'line' ? r.line : '?'));
    const got = await conn.request('get a b c\r\n', 'values');
    t.same(seen, ['STORED', 'STORED']);
    t.equal(got.kind, 'values');
    if (got.kind === 'values') t.same(got.values.map((v) => [v.key, v.flags, v.data.toString()]), [['a', 1, 'x'], ['b', 2, 'yy']]);
    t.match(await fetchStatsText(conn), /STAT curr_items 2/);
    conn.send('bogus\r\n', 'line');
    await conn.whenPendingBelow(1);
    await conn.drain();
    t.equal(conn.pending, 0);
    conn.close();
  });
});

t.test('text connection: a broken stream fails pending requests', async (t) => {
  await withFake({}, async (port) => {
    const conn = await TextConnection.open('127.0.0.1', port);
    let failed: Error | undefined;
    conn.onFailure((err) => (failed = err));
    // Two requests sent as one: the second reply arrives with nothing pending.
    await conn.request('version\r\nversion\r\n', 'line');
    await new Promise((resolve) => conn.onFailure(resolve));
    await t.rejects(conn.drain(), /no request pending/);
    t.ok(failed, 'failure listeners are told');
    t.throws(() => conn.send('version\r\n', 'line'));
  });
});

t.test('load generator runs a preloaded get/set mix', async (t) => {
  await withFake({}, async (port, fake) => {
    const r = await runLoad({
      host: '127.0.0.1',
      port,
      serverPid: process.pid,
      connections: 5,
      depth: 4,
      warmupMs: 50,
      durationMs: 300,
      keyCount: 500,
      keySize: 32,
      valueSize: 100,
      getRatio: 0.5,
      keysPerGet: 3,
      preload: true,
      seed: 1,
    });
    t.equal(fake.items.size, 500, 'every key preloaded');
    t.ok([...fake.items.keys()].every((k) => k.length === 32 && k.startsWith('key:')), '32-byte keys');
    t.ok(r.ops > 0, 'requests completed');
    t.equal(r.errors, 0);
    t.equal(r.getHitRatio, 1, 'all keys present');
    t.ok(r.keysPerSec > r.opsPerSec, 'multi-get counts each key');
    t.ok(r.p50Us <= r.p99Us && r.p99Us <= r.p999Us);
    t.ok(Number.isFinite(r.serverCpuUsPerOp));
  });
});

t.test('load generator in open loop sends at the asked rate and reports latency from the schedule', async (t) => {
  await withFake({}, async (port) => {
    const r = await runLoad({
      host: '127.0.0.1', port, serverPid: 0, connections: 4, depth: 1, warmupMs: 100, durationMs: 1000,
      keyCount: 100, keySize: 16, valueSize: 10, getRatio: 0, keysPerGet: 1, preload: false, seed: 2, ratePerSec: 400,
    });
    // 400/s for ~1 s: a closed loop against a local fake would do thousands.
    t.ok(r.ops >= 300 && r.ops <= 500, `about 400 requests in one second (${r.ops})`);
    t.equal(r.errors, 0);
    t.ok(Number.isFinite(r.scheduledP99Us), 'latency from the schedule is reported');
  });
  const closed = await withFake({}, (port) =>
    runLoad({ host: '127.0.0.1', port, serverPid: 0, connections: 1, depth: 1, warmupMs: 0, durationMs: 100, keyCount: 10, keySize: 16, valueSize: 10, getRatio: 0, keysPerGet: 1, preload: false, seed: 3 }),
  );
  t.ok(Number.isNaN(closed.scheduledP99Us), 'a closed loop has no schedule');
});

t.test('load generator rejects bad shapes', async (t) => {
  const base = { host: '127.0.0.1', port: 1, serverPid: 0, connections: 1, warmupMs: 0, durationMs: 0, keyCount: 1, keySize: 32, valueSize: 1, getRatio: 1, preload: false, seed: 1 };
  await t.rejects(runLoad({ ...base, depth: 0, keysPerGet: 1 }), /depth/);
  await t.rejects(runLoad({ ...base, depth: 1, keysPerGet: 101 }), /keysPerGet/);
  await t.rejects(runLoad({ ...base, depth: 2, keysPerGet: 1, ratePerSec: 100 }), /open-loop rate needs depth 1/);
});

t.test('memory fill keeps what the server keeps and checks bytes', async (t) => {
  const config = { host: '127.0.0.1', port: 0, items: 5000, keySize: 14, valueSize: 50, batch: 64, window: 500, keysPerGet: 100, seed: 3 };
  await withFake({ capacity: 3000 }, async (port, fake) => {
    const r = await runFill({ ...config, port });
    t.equal(r.stored, 5000);
    t.equal(r.kept, 3000, 'FIFO fake keeps the last 3000');
    t.equal(r.corrupt, 0);
    t.equal(r.currItems, 3000);
    t.ok(fake.items.has(memoryKey(4999, 14)));
    t.equal(memoryKey(7, 14), 'key:0000000007');
  });
  await withFake({ corruptEveryNthGet: 10 }, async (port) => {
    const r = await runFill({ ...config, port });
    t.equal(r.corrupt, 500, 'every tenth value flipped is caught');
    t.equal(r.kept, 4500);
  });
});

function replayConfig(port: number, over: Partial<ReplayConfig> = {}): ReplayConfig {
  return {
    host: '127.0.0.1',
    port,
    profile: profileByName('cluster52'),
    keySpace: 2000,
    requests: 6000,
    ratePerSec: 1e9,
    connections: 3,
    window: 16,
    seed: 9,
    ttl: { compression: 360, minSec: 10 },
    toleranceMs: 1500,
    ...over,
  };
}

t.test('replay against a well-behaved cache: no capacity misses, nothing wrong', async (t) => {
  await withFake({}, async (port) => {
    const r = await runReplay(replayConfig(port));
    t.equal(r.requests, 6000);
    t.equal(r.hits + r.misses, r.gets);
    t.equal(r.capacity, 0);
    t.equal(r.expired, 0);
    t.ok(r.compulsory > 0, 'first touches miss');
    t.equal(r.wrongValues, 0);
    t.equal(r.expiredServed, 0);
    t.ok(r.hits > r.misses, 'a Zipf workload mostly hits');
    t.ok(r.sets >= r.misses, 'every miss is followed by a set');
    t.ok(r.workingSetBytes > 0 && r.distinctKeys > 0);
  });
});

t.test('replay finds capacity misses and wrong values', async (t) => {
  const small = await withFake({ capacity: 100 }, (port) => runReplay(replayConfig(port)));
  t.ok(small.capacity > 0, 'a small cache loses stored keys');
  t.equal(small.wrongValues, 0);
  const lossy = await withFake({ loseEveryNthSet: 3 }, (port) => runReplay(replayConfig(port, { profile: profileByName('cluster29') })));
  t.ok(lossy.wrongValues > 0, 'lost overwrites show up as wrong values');
  const corrupt = await withFake({ corruptEveryNthGet: 50 }, (port) => runReplay(replayConfig(port)));
  t.ok(corrupt.wrongValues > 0, 'corrupted bytes show up as wrong values');
});

t.test('replay is deterministic against a deterministic cache', async (t) => {
  const a = await withFake({ capacity: 300 }, (port) => runReplay(replayConfig(port, { connections: 1 })));
  const b = await withFake({ capacity: 300 }, (port) => runReplay(replayConfig(port, { connections: 1 })));
  t.same([a.gets, a.hits, a.compulsory, a.capacity, a.sets], [b.gets, b.hits, b.compulsory, b.capacity, b.sets]);
});
