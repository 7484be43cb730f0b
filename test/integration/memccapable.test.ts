// libmemcached's conformance checker, ASCII half: `memccapable -a` must pass
// all 27 of its checks. It flushes the server, so it gets one of its own.
// Skipped when libmemcached-tools is not installed (CI installs it).

import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { startTestServer } from './helpers/server.js';

const installed = spawnSync('memccapable', ['-h'], { encoding: 'utf8' }).error === undefined;

t.test('memccapable -a passes every ASCII check', { skip: installed ? false : 'memccapable is not installed' }, async (t) => {
  const { port } = await startTestServer(t);
  const child = spawn('memccapable', ['-a', '-t', '5', '-h', '127.0.0.1', '-p', String(port)]);
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
