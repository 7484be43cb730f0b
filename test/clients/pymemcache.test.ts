// pymemcache, the Python client, against our server (default -t 4): its
// Client, PooledClient (eight threads on one pool) and HashClient
// (consistent hashing over three of our servers). The single-server
// transcript is held to the real memcached's line by line; a few lines are
// then checked by value. The script is test/clients/scripts/pymemcache_client.py.

import t from 'tap';
import { compareScript, oursAndMemcached, runScript, SCRIPTS, transcript } from './helpers.js';
import { startTestServer } from '../integration/helpers/server.js';
import { needs, peerCommand } from '../peers.js';
import { join } from 'node:path';

const SCRIPT = 'pymemcache_client.py';

t.test('pymemcache Client and PooledClient: the same transcript as memcached', needs('pymemcache', 'memcached'), async (t) => {
  const servers = await oursAndMemcached(t);
  const ours = await compareScript(t, peerCommand('pymemcache'), SCRIPT, servers);
  t.equal(ours.get('get'), "b'hello'", 'a stored value reads back');
  t.equal(ours.get('get dict'), "{'a': [1, 2, 3], 'b': None}", 'a pickled value round-trips through its flags');
  t.equal(ours.get('get 512 KiB intact'), 'True');
  t.equal(ours.get('cas stale'), 'False', 'a stale CAS token loses');
  t.equal(ours.get('incr wraps at 2^64'), '1');
  t.equal(ours.get('value over 1 MiB'), "'MemcacheServerError'", 'an item over -I is refused');
  t.equal(ours.get('pool counter'), "b'800'", 'eight threads x 100 incr on one pool sum exactly');
  t.equal(ours.get('pool values'), 'True');
});

t.test('pymemcache HashClient spreads keys over three of our servers', needs('pymemcache'), async (t) => {
  const ports = [];
  for (let i = 0; i < 3; i++) ports.push((await startTestServer(t)).port);
  const run = await runScript(peerCommand('pymemcache'), [join(SCRIPTS, SCRIPT), ...ports.map((p) => `127.0.0.1:${p}`)]);
  t.equal(run.code, 0, run.stderr);
  const lines = transcript(run.stdout);
  t.equal(lines.get('ring set_many failed keys'), '[]', 'every key stored');
  t.equal(lines.get('ring get_many'), 'True', 'every key reads back through the ring');
  for (let i = 0; i < 3; i++) t.equal(lines.get(`ring server ${i} holds some`), 'True', `server ${i} holds a share`);
  t.equal(lines.get('ring get deleted'), 'None');
  t.equal(lines.get('ring incr'), '42');
});
