// A stop signal that arrives while the server is still starting (after the
// -e image was read, before every worker is up: a port may already accept
// connections then, so a harness may already signal) stops the server once
// it has started, gracefully, saving the cache; it does not end the process
// unsaved. The bin as a child process, -t 4 so the start has a window.

import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ensureBuilt } from './helpers/bin.js';

t.test('SIGTERM during start-up: the server starts, then stops gracefully and saves the image', async (t) => {
  ensureBuilt();
  const image = join(mkdtempSync(join(tmpdir(), 'gac-early-')), 'cache.image');
  const child = spawn(process.execPath, [BIN, '-p', '-1', '-U', '0', '-l', '127.0.0.1', '-t', '4', '-v', '-e', image], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  let signalled = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    // Printed while the store is set up, before the listeners and workers.
    if (!signalled && /cold start: no image file/.test(stderr)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  t.ok(signalled, 'the signal was sent during start-up');
  t.same(exit, { code: 0, signal: null }, 'a graceful exit, not death by the signal');
  t.match(stderr, /listening on 127\.0\.0\.1:\d+/, 'the start finished first');
  t.match(stderr, /warm restart: saved 0 items/, 'the image was saved');
  t.ok(existsSync(image), 'the image file exists');
});
