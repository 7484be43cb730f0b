// php-memcached, PHP's libmemcached-based Memcached class, against our
// server (default -t 4): the text and the binary protocol, consistent
// hashing over three of our servers, and SASL. The text and binary
// transcripts are held to the real memcached's line by line; then a few
// lines are checked by value. The script is
// test/clients/scripts/php_memcached_client.php.
// Not here: SASL against memcached (it has no SASL set up here), nor
// libmemcached's own tools (test/peers.ts names them).

import t from 'tap';
import type { Test } from 'tap';
import { join } from 'node:path';
import { expectLines, heldToMemcached, ourServers, scriptTranscript } from './helpers.js';
import { startTestServer } from '../integration/helpers/server.js';
import { needs, peerCommand } from '../peers.js';

const SCRIPT = 'php_memcached_client.php';

/** Run the script against servers of ours only (no memcached to compare with); its transcript. */
const runOnOurs = (t: Test, args: string[]): Promise<Map<string, string>> => scriptTranscript(t, peerCommand('php-memcached'), SCRIPT, args);

/** One of our servers with SASL on and a password file holding `user:password`. */
async function saslServer(t: Test, user: string, password: string): Promise<string> {
  const dir = t.testdir({ pwdb: `${user}:${password}\n` });
  const { port } = await startTestServer(t, { saslEnabled: true, saslPwdb: join(dir, 'pwdb') });
  return `127.0.0.1:${port}`;
}

t.test('php-memcached, text protocol: the same transcript as memcached', needs('php-memcached', 'memcached'), async (t) => {
  await heldToMemcached(t, peerCommand('php-memcached'), SCRIPT, {
    'binary protocol': 'false',
    get: '"hello"',
    'get miss result': '"16 RES_NOTFOUND"',
    'getMulti preserve order': '{"m3":"three","m1":"one","nope":null,"m2":"two"}',
    'get appended': '"start-replaced-end"',
    'cas current': 'true',
    'cas stale': 'false',
    'cas stale result': '"12 RES_DATA_EXISTS"',
    'increment wraps at 2^64': '1',
    'get negative ttl': 'false',
    'get array': '["array",{"a":[1,2,3],"b":null}]',
    'get class instance': '["Point",3,4]',
    'get user flags': '65535',
    'compressed item is stored smaller than the value': 'true',
    'get compressed intact': 'true',
    'get 512 KiB intact': 'true',
    'set over 1 MiB': 'false',
    'set key of 251 bytes result': '"33 RES_BAD_KEY_PROVIDED"',
    'get after noreply': '{"quiet":"shh"}',
    'get item set after the immediate flush': '"v"',
  });
});

t.test('php-memcached, binary protocol: the same transcript as memcached', needs('php-memcached', 'memcached'), async (t) => {
  const binary = {
    'binary protocol': 'true',
    get: '"hello"',
    'add existing result': '"12 RES_DATA_EXISTS"',
    'cas stale': 'false',
    'get array': '["array",{"a":[1,2,3],"b":null}]',
    'get 512 KiB intact': 'true',
    'get key with space': '"v"',
    'get negative ttl': '"v"',
    'increment with initial missing': '100',
    'increment with initial existing': '105',
    'decrement with initial existing': '95',
    'get after noreply': '{"quiet":"shh"}',
  };
  await heldToMemcached(t, peerCommand('php-memcached'), SCRIPT, binary, ['--binary']);
});

t.test('php-memcached consistent hashing spreads keys over three of our servers', needs('php-memcached'), async (t) => {
  const lines = await runOnOurs(t, await ourServers(t, 3));
  expectLines(t, lines, {
    'ring distribution is not modula': 'true',
    'ring hash is md5': 'true',
    'ring setMulti': 'true',
    'ring getMulti count': '300',
    'ring getMulti values': 'true',
    'ring server 0 holds some': 'true',
    'ring server 1 holds some': 'true',
    'ring server 2 holds some': 'true',
    'ring get deleted': 'false',
    'ring increment': '42',
  });
});

t.test('php-memcached SASL PLAIN against our server', needs('php-memcached'), async (t) => {
  const server = await saslServer(t, 'alice', 's3cret');
  t.test('the right password stores and reads', async (t) => {
    const lines = await runOnOurs(t, ['--sasl', 'alice', 's3cret', server]);
    expectLines(t, lines, { 'sasl set': 'true', 'sasl get': '"sasl-value"' });
  });
  t.test('a wrong password is refused', async (t) => {
    const lines = await runOnOurs(t, ['--sasl', 'alice', 'hunter2', server]);
    expectLines(t, lines, { 'sasl set': 'false', 'sasl set result': '"41 RES_AUTH_FAILURE"', 'sasl get': 'false' });
  });
});
