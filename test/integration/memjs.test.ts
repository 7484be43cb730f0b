// memjs (binary protocol only) as a real client against a started server:
// every operation it offers. Its known bugs are tested around, not fixed on
// the server side (design/ecosystem.md §4): prepend sends APPEND, set sends
// flags 0, promise decrement needs an options object, flush says true.

import t from 'tap';
import type { Socket } from 'node:net';
import memjs from 'memjs';
import { clearMemcacheEnv, startTestServer } from '../binary/server.js';

clearMemcacheEnv();

const silent = { log: () => {} };

t.test('memjs against grow-a-cache', async (t) => {
  const { server, port, clock } = await startTestServer();
  const client = memjs.Client.create(`127.0.0.1:${port}`, { timeout: 5, retries: 1, logger: silent });
  t.teardown(async () => {
    client.close();
    await server.close();
  });

  t.test('set and get', async (t) => {
    t.equal(await client.set('k', 'hello'), true);
    const hit = await client.get('k');
    t.equal(hit.value?.toString(), 'hello');
    t.same(hit.flags, Buffer.alloc(4), 'memjs sends flags 0; they come back as 4 raw bytes');
    t.strictSame(await client.get('missing'), { value: null, flags: null });
    const bin = Buffer.from([0, 1, 2, 255, 13, 10]);
    await client.set('bin', bin);
    t.same((await client.get('bin')).value, bin, 'binary-safe values');
    const big = Buffer.alloc(500_000, 0x61);
    await client.set('big', big);
    t.equal((await client.get('big')).value?.length, big.length);
  });

  t.test('expiration uses the server clock', async (t) => {
    await client.set('ttl', 'v', { expires: 10 });
    clock.advanceSeconds(9);
    t.equal((await client.get('ttl')).value?.toString(), 'v');
    clock.advanceSeconds(2);
    t.equal((await client.get('ttl')).value, null);
  });

  t.test('add and replace', async (t) => {
    t.equal(await client.add('a', '1'), true);
    t.equal(await client.add('a', '2'), false, 'add on an existing key');
    t.equal(await client.replace('a', '3'), true);
    t.equal(await client.replace('nokey', '3'), false, 'replace on a missing key');
    t.equal((await client.get('a')).value?.toString(), '3');
    t.equal((await client.get('nokey')).value, null);
  });

  t.test('delete', async (t) => {
    await client.set('d', 'x');
    t.equal(await client.delete('d'), true);
    t.equal(await client.delete('d'), false);
    t.equal((await client.get('d')).value, null);
  });

  t.test('increment and decrement create from initial', async (t) => {
    t.strictSame(await client.increment('ctr', 5, { initial: 10 }), { success: true, value: 10 }, 'missing key created with initial');
    t.strictSame(await client.increment('ctr', 5, { initial: 10 }), { success: true, value: 15 });
    t.strictSame(await client.decrement('ctr', 3, {}), { success: true, value: 12 });
    t.strictSame(await client.decrement('ctr', 100, {}), { success: true, value: 0 }, 'decrement floors at 0');
    t.strictSame(await client.decrement('newctr', 1, { initial: 7 }), { success: true, value: 7 });
    // 12 -> 0 keeps the two-byte length, space-padded, as memcached's in-place decr.
    t.equal((await client.get('ctr')).value?.toString(), '0 ', 'stored as decimal text');
    await client.set('text', 'abc');
    await t.rejects(client.increment('text', 1, {}), /MemJS INCREMENT/, 'non-numeric value');
  });

  t.test('append, and prepend (which memjs sends as APPEND)', async (t) => {
    await client.set('s', 'mid');
    t.equal(await client.append('s', '>'), true);
    t.equal(await client.prepend('s', '<'), true);
    t.equal((await client.get('s')).value?.toString(), 'mid><', 'memjs prepend appends (client bug, opcode 0x0E)');
    // memcached answers 0x05 NOT_STORED for a missing key, which memjs turns into an error.
    await t.rejects(client.append('nokey', 'x'), /MemJS APPEND/);
    await t.rejects(client.prepend('nokey', 'x'), /MemJS PREPEND/);
  });

  t.test('touch', async (t) => {
    await client.set('touchme', 'v', { expires: 5 });
    t.equal(await client.touch('touchme', 100), true);
    t.equal(await client.touch('nokey', 100), false);
    clock.advanceSeconds(50);
    t.equal((await client.get('touchme')).value?.toString(), 'v', 'alive past the original expiry');
    clock.advanceSeconds(51);
    t.equal((await client.get('touchme')).value, null);
  });

  t.test('stats, statsWithKey, resetStats', async (t) => {
    const stats = await new Promise<Record<string, string>>((resolve, reject) =>
      client.stats((err, _server, s) => (err || !s ? reject(err) : resolve(s))),
    );
    t.match(stats.version, /^1\.6\./);
    t.ok(Number(stats.cmd_get) > 0, 'cmd_get counts the gets above');
    t.ok('curr_items' in stats && 'pid' in stats);
    const settings = await new Promise<Record<string, string>>((resolve, reject) =>
      client.statsWithKey('settings', (err, _server, s) => (err || !s ? reject(err) : resolve(s))),
    );
    t.equal(settings.maxconns, '1024');
    const bogus = await new Promise<Error | null>((resolve) => client.statsWithKey('bogus', (err) => resolve(err)));
    t.match(bogus?.message, /MemJS STATS \(bogus\)/, 'unknown group is an error');
    const reset = await new Promise<Record<string, string> | null>((resolve, reject) =>
      client.resetStats((err, _server, s) => (err ? reject(err) : resolve(s))),
    );
    t.strictSame(reset, {}, 'reset answers with the terminator only');
    t.equal(server.context.counters.cmdGet, 0);
  });

  t.test('flush', async (t) => {
    await client.set('f', 'v');
    t.strictSame(await client.flush(), { [`127.0.0.1:${port}`]: true });
    t.equal((await client.get('f')).value, null);
  });

  t.test('quit closes the connection', async (t) => {
    await client.get('x'); // make sure the socket exists
    const socket = (client.servers[0] as unknown as { _socket?: Socket })._socket;
    t.ok(socket, 'memjs has a socket');
    const closed = new Promise<void>((resolve) => socket?.once('close', () => resolve()));
    client.quit();
    await closed;
    t.pass('the server closed after answering Quit');
    // memjs reconnects on the next request.
    t.equal(await client.set('after', 'quit'), true);
  });

  t.test('many clients pipelining', async (t) => {
    const others = Array.from({ length: 4 }, () => memjs.Client.create(`127.0.0.1:${port}`, { timeout: 5, retries: 1, logger: silent }));
    t.teardown(() => others.forEach((c) => c.close()));
    await Promise.all(others.flatMap((c, i) => Array.from({ length: 50 }, (_, j) => c.set(`p${i}:${j}`, `v${i}:${j}`))));
    const values = await Promise.all(others.flatMap((c, i) => Array.from({ length: 50 }, (_, j) => c.get(`p${i}:${j}`))));
    t.ok(values.every((v, n) => v.value?.toString() === `v${Math.floor(n / 50)}:${n % 50}`));
  });
});
