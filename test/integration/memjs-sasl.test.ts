// memjs with SASL PLAIN against a server started with -S and a password
// file: the right password works, a wrong one and none at all are refused.

import t from 'tap';
import { join } from 'node:path';
import memjs from 'memjs';
import { clearMemcacheEnv, startTestServer } from '../binary/server.js';

clearMemcacheEnv();

const silent = { log: () => {} };
/** What memjs rejects with when the server answers status 0x20 (a string, not an Error). */
const AUTH_FAILED = 'Memcached server authentication failed!';
const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'resolved',
    (err: unknown) => err,
  );

t.test('memjs SASL', async (t) => {
  const dir = t.testdir({ pwdb: 'alice:s3cret\nbob:hunter2\n' });
  const { server, port, logLines } = await startTestServer({ saslEnabled: true, saslPwdb: join(dir, 'pwdb'), verbosity: 1 });
  t.teardown(() => server.close());
  const connect = (creds: { username?: string; password?: string }) => {
    const c = memjs.Client.create(`127.0.0.1:${port}`, { timeout: 5, retries: 1, logger: silent, ...creds });
    t.teardown(() => c.close());
    return c;
  };

  t.test('the right password authenticates', async (t) => {
    const client = connect({ username: 'alice', password: 's3cret' });
    t.equal(await client.set('k', 'v'), true);
    t.equal((await client.get('k')).value?.toString(), 'v');
    t.strictSame(await client.increment('n', 1, { initial: 5 }), { success: true, value: 5 });
    t.equal(server.context.counters.authCmds, 1);
    t.equal(server.context.counters.authErrors, 0);
  });

  t.test('a wrong password is refused', async (t) => {
    const client = connect({ username: 'alice', password: 'hunter2' });
    t.equal(await failure(client.get('k')), AUTH_FAILED);
    t.ok(server.context.counters.authErrors >= 1);
    t.ok(logLines.every((l) => !l.includes('hunter2') && !l.includes('s3cret')), 'no password in the log');
  });

  t.test('an unknown user is refused', async (t) => {
    const client = connect({ username: 'mallory', password: 's3cret' });
    t.equal(await failure(client.set('k', 'x')), AUTH_FAILED);
  });

  t.test('no credentials: commands are refused', async (t) => {
    // One client per command: after the server closes the refused
    // connection, memjs can lose a request it sends before it has seen the
    // close (its 'close' handler clears the new socket) - a client race.
    t.equal(await failure(connect({}).get('k')), AUTH_FAILED);
    t.equal(await failure(connect({}).set('k', 'x')), AUTH_FAILED);
    t.equal(await failure(connect({}).increment('n', 1, {})), AUTH_FAILED);
  });

  t.test('the refused attempts changed nothing', async (t) => {
    const client = connect({ username: 'bob', password: 'hunter2' });
    t.equal((await client.get('k')).value?.toString(), 'v');
  });
});
