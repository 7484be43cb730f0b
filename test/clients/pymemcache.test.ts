// pymemcache, the Python client, against our server (default -t 4): its
// Client, PooledClient (eight threads on one pool) and HashClient
// (consistent hashing over three of our servers). The single-server
// transcript is held to the real memcached's line by line; a few lines are
// then checked by value. The script is test/clients/scripts/pymemcache_client.py.

import t from 'tap';
import { compareScript, expectLines, oursAndMemcached, scriptTranscript } from './helpers.js';
import { startTestServer } from '../integration/helpers/server.js';
import { needs, peerCommand } from '../peers.js';

const SCRIPT = 'pymemcache_client.py';

t.test('pymemcache Client and PooledClient: the same transcript as memcached', needs('pymemcache', 'memcached'), async (t) => {
  const servers = await oursAndMemcached(t);
  const ours = await compareScript(t, peerCommand('pymemcache'), SCRIPT, servers);
  expectLines(t, ours, {
    get: "b'hello'",
    'get dict': "{'a': [1, 2, 3], 'b': None}",
    'get 512 KiB intact': 'True',
    'cas stale': 'False',
    'incr wraps at 2^64': '1',
    'value over 1 MiB': "'MemcacheServerError'",
    // Eight threads x 100 incr on one pool sum exactly.
    'pool counter': "b'800'",
    'pool values': 'True',
  });
});

t.test('pymemcache HashClient spreads keys over three of our servers', needs('pymemcache'), async (t) => {
  const ports = [];
  for (let i = 0; i < 3; i++) ports.push((await startTestServer(t)).port);
  const lines = await scriptTranscript(t, peerCommand('pymemcache'), SCRIPT, ports.map((p) => `127.0.0.1:${p}`));
  expectLines(t, lines, {
    'ring set_many failed keys': '[]',
    'ring get_many': 'True',
    'ring server 0 holds some': 'True',
    'ring server 1 holds some': 'True',
    'ring server 2 holds some': 'True',
    'ring get deleted': 'None',
    'ring incr': '42',
  });
});
