// libmemcached's conformance checker, ASCII half: `memccapable -a` must pass
// all 27 of its checks. It flushes the server, so it gets one of its own.
// Skipped when libmemcached-tools is not installed (CI installs it).

import t from 'tap';
import { spawn } from 'node:child_process';
import { startTestServer } from './helpers/server.js';
import { needs, peerCommand } from '../peers.js';

t.test('memccapable -a passes every ASCII check', needs('memccapable'), async (t) => {
  const { port } = await startTestServer(t);
  const child = spawn(peerCommand('memccapable'), ['-a', '-t', '5', '-h', '127.0.0.1', '-p', String(port)]);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

  const results = [...output.matchAll(/^(ascii \S+(?: noreply)?)\s+\[(\w+)\]$/gm)];
  for (const [, name, verdict] of results) t.equal(verdict, 'pass', name as string);
  t.equal(results.length, 27, 'all 27 ASCII checks ran');
  t.match(output, /All tests passed/);
  t.equal(code, 0, 'exit status 0');
});
