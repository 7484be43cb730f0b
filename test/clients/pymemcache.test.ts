// pymemcache, the Python client, against our server (default -t 4): its
// Client, PooledClient (eight threads on one pool) and HashClient
// (consistent hashing over three of our servers). The single-server
// transcript is held to the real memcached's line by line; a few lines are
// then checked by value. The script is test/clients/scripts/pymemcache_client.py.

import t from 'tap';
import { expectLines, heldToMemcached, ourServers, scriptTranscript } from './helpers.js';
import { needs, peerCommand } from '../peers.js';

const SCRIPT = 'pymemcache_client.py';

t.test('pymemcache Client and PooledClient: the same transcript as memcached', needs('pymemcache', 'memcached'), async (t) => {
  await heldToMemcached(t, peerCommand('pymemcache'), SCRIPT, {
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
  const lines = await scriptTranscript(t, peerCommand('pymemcache'), SCRIPT, await ourServers(t, 3));
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
