// libmemcached's conformance checker, binary half: `memccapable -b` runs 27
// checks (noop, version, stat, and quit, set, flush, add, replace, delete,
// get, getk, incr, decr, append, prepend each with its quiet form) against
// its own server, which it flushes.

import t from 'tap';
import { spawn } from 'node:child_process';
import { startTestServer } from '../binary/server.js';
import { needs, peerCommand } from '../peers.js';

const BINARY_CHECKS = 27;

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Asynchronous: the server under test runs in this process's event loop.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

t.test('memccapable -b passes every binary check', needs('memccapable'), async (t) => {
  const { server, port } = await startTestServer();
  t.teardown(() => server.close());
  const { code, output } = await run(peerCommand('memccapable'), ['-b', '-h', '127.0.0.1', '-p', String(port), '-t', '10']);
  const results = output.split('\n').filter((l) => /^binary /.test(l));
  const failed = results.filter((l) => !/\[pass\]\s*$/.test(l));
  t.strictSame(failed, [], 'no failed or skipped check');
  t.equal(results.length, BINARY_CHECKS, `all ${BINARY_CHECKS} binary checks ran`);
  t.match(output, /All tests passed/);
  t.equal(code, 0, 'exit status 0');
});
