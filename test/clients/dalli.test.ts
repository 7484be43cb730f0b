// Dalli, Ruby's memcached client (Debian's ruby-dalli 3.0, binary
// protocol), against our server. One script (scripts/dalli_client.rb) drives
// Dalli as a Rails-style application does and prints a transcript.
// On one server our transcript must equal the real memcached's, line by
// line; a few lines are then checked by value. Over three of our servers it
// checks Dalli's consistent hashing ring, and with SASL the right password
// and a wrong one.
// Not here: Dalli's own correctness, or SASL against memcached (Debian's
// memcached takes its passwords from Cyrus SASL, not a plain file).

import t, { type Test } from 'tap';
import { join } from 'node:path';
import { needs, peerCommand } from '../peers.js';
import { startTestServer } from '../integration/helpers/server.js';
import { expectLines, heldToMemcached, ourServers, scriptTranscript } from './helpers.js';

const SCRIPT = 'dalli_client.rb';

/** Run the Dalli script with `args` against servers of ours: its transcript. */
const runDalli = (t: Test, args: string[]): Promise<Map<string, string>> => scriptTranscript(t, peerCommand('dalli'), SCRIPT, args);

t.test('Dalli on one server: the same transcript as memcached', needs('dalli', 'memcached'), async (t) => {
  await heldToMemcached(t, peerCommand('dalli'), SCRIPT, {
    get: '"hello"',
    'get_multi': '[["m1", "one"], ["m2", "two"]]',
    'fetch hit': '"computed"',
    'get appended': '"start-middle-end"',
    'set_cas stale': 'false',
    'get after stale cas': '"swapped"',
    'incr with initial creates': '10',
    'decr below zero': '0',
    'incr non-numeric': '"raised Dalli::DalliError (Response error 6: Incr/decr on a non-numeric value)"',
    'get hash': '{"name"=>"Ada", "tags"=>["a", "b"], "nested"=>{1=>:sym}}',
    'get binary intact': 'true',
    'decompressed on read': '1',
    'get 512 KiB intact': 'true',
    'get key over 250 bytes': '"long value"',
    'multi quiet writes': '[["q-existing", "old"], ["q1", "one"], ["q2", "two"], ["q3", {"n"=>3}]]',
  });
});

t.test('Dalli ring over three of our servers', needs('dalli'), async (t) => {
  const servers = await ourServers(t, 3);
  const lines = await runDalli(t, servers);
  expectLines(t, lines, {
    'ring get_multi count': '300',
    'ring get_multi values': 'true',
    'ring server 0 holds some': 'true',
    'ring server 1 holds some': 'true',
    'ring server 2 holds some': 'true',
    'ring keys held across servers': '300',
    'ring get deleted': 'nil',
    'ring incr': '42',
    'ring get after flush': '0',
  });
});

t.test('Dalli with SASL PLAIN on our server', needs('dalli'), async (t) => {
  const dir = t.testdir({ pwdb: 'alice:s3cret\n' });
  const { port } = await startTestServer(t, { saslEnabled: true, saslPwdb: join(dir, 'pwdb') });
  const server = `127.0.0.1:${port}`;

  t.test('the right password stores and reads', async (t) => {
    const lines = await runDalli(t, ['--sasl', 'alice', 's3cret', server]);
    expectLines(t, lines, { 'sasl set': '"a positive int"', 'sasl get': '"sasl value"', 'sasl incr with initial': '5' });
  });

  t.test('a wrong password fails with Dalli\'s error', async (t) => {
    const lines = await runDalli(t, ['--sasl', 'alice', 'wrong', server]);
    expectLines(t, lines, {
      'sasl set': '"raised Dalli::DalliError (Error authenticating: 0x20)"',
      'sasl get': '"raised Dalli::DalliError (Response error 32: Authentication required)"',
    });
  });
});
