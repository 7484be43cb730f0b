// The `memcached` npm client (text protocol) as a real client against our
// server: every command it offers that a cache user relies on.

import t from 'tap';
import Memcached from 'memcached';
import { startTestServer } from './helpers/server.js';

/** Promise wrapper for the client's (err, result) callbacks. */
function call<T>(fn: (cb: (err: unknown, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)));
  });
}

t.test('memcached npm client', async (t) => {
  const { port } = await startTestServer(t);
  const client = new Memcached(`127.0.0.1:${port}`, { retries: 0, timeout: 2000, idle: 1000 });
  t.teardown(() => client.end());

  t.equal(await call<boolean>((cb) => client.set('k1', 'hello', 0, cb)), true, 'set');
  t.equal(await call((cb) => client.get('k1', cb)), 'hello', 'get');
  t.equal(await call((cb) => client.get('missing', cb)), undefined, 'get miss');

  t.equal(await call<boolean>((cb) => client.set('obj', { a: 1, b: [2, 3] }, 0, cb)), true, 'set JSON');
  t.same(await call((cb) => client.get('obj', cb)), { a: 1, b: [2, 3] }, 'JSON round-trips through flags');

  const binary = Buffer.from([0, 1, 2, 13, 10, 255]);
  await call<boolean>((cb) => client.set('bin', binary, 0, cb));
  const gotBinary = await call<Buffer>((cb) => client.get('bin', cb));
  t.ok(Buffer.isBuffer(gotBinary) && gotBinary.equals(binary), 'binary value');

  const withCas = await call<{ [key: string]: unknown; cas: string }>((cb) => client.gets('k1', cb));
  t.equal(withCas.k1, 'hello', 'gets value');
  t.match(withCas.cas, /^\d+$/, 'gets cas');
  t.equal(await call<boolean>((cb) => client.cas('k1', 'swapped', withCas.cas, 0, cb)), true, 'cas with the current token');
  t.equal(await call<boolean>((cb) => client.cas('k1', 'again', withCas.cas, 0, cb)), false, 'cas with a stale token');
  t.equal(await call((cb) => client.get('k1', cb)), 'swapped');

  // The client turns NOT_STORED into an error.
  await t.rejects(call<boolean>((cb) => client.add('k1', 'nope', 0, cb)), { message: 'Item is not stored' }, 'add existing');
  t.equal(await call<boolean>((cb) => client.add('k2', 'new', 0, cb)), true, 'add new');
  t.equal(await call<boolean>((cb) => client.replace('k2', 'replaced', 0, cb)), true, 'replace existing');
  await t.rejects(call<boolean>((cb) => client.replace('k3', 'x', 0, cb)), { message: 'Item is not stored' }, 'replace missing');
  t.equal(await call((cb) => client.get('k2', cb)), 'replaced');

  t.equal(await call<boolean>((cb) => client.append('k2', '-end', cb)), true, 'append');
  t.equal(await call<boolean>((cb) => client.prepend('k2', 'start-', cb)), true, 'prepend');
  t.equal(await call((cb) => client.get('k2', cb)), 'start-replaced-end');

  await call<boolean>((cb) => client.set('n', 10, 0, cb));
  t.equal(await call((cb) => client.incr('n', 5, cb)), 15, 'incr');
  t.equal(await call((cb) => client.decr('n', 20, cb)), 0, 'decr floors at 0');
  t.equal(await call((cb) => client.incr('no-such-counter', 1, cb)), false, 'incr missing');

  // The client's touch callback gets only an error argument.
  await call<unknown>((cb) => client.touch('k2', 100, (err) => cb(err, undefined)));
  t.pass('touch');

  t.same(
    await call((cb) => client.getMulti(['k1', 'k2', 'missing'], cb)),
    { k1: 'swapped', k2: 'start-replaced-end' },
    'getMulti',
  );

  t.equal(await call<boolean>((cb) => client.del('k1', cb)), true, 'del');
  t.equal(await call<boolean>((cb) => client.del('k1', cb)), false, 'del missing');
  t.equal(await call((cb) => client.get('k1', cb)), undefined);

  const versions = await call<Array<{ version: string }>>((cb) => client.version(cb));
  t.match(versions[0]?.version, /^1\.6\.18/, 'version');

  const stats = await call<Array<Record<string, unknown>>>((cb) => client.stats(cb));
  t.ok(stats[0] && 'curr_items' in stats[0], 'stats parse');

  t.same(await call((cb) => client.flush(cb)), [true], 'flush');
  t.equal(await call((cb) => client.get('k2', cb)), undefined, 'flushed');
});
