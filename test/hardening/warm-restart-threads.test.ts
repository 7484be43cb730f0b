// -e FILE with worker threads (-t 2): the image is saved after the workers
// stop and restored before they start, with the saved hash index used as
// it is (the store is created with the image's hash seed), and every item
// reads back through the workers. Its own file: the single-thread cases in
// warm-restart.test.ts already take most of a file's time budget.

import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serveBin } from './helpers/bin.js';
import { checkItems, statsOf, tempDir, writeItems } from './helpers/warm.js';

t.test('-t 2: SIGTERM saves, the next start restores the index as saved', async (t) => {
  const file = join(tempDir(t), 'cache.img');
  const args = ['-m', '16', '-t', '2', '-e', file];
  const first = await serveBin(args);
  t.teardown(() => first.kill('SIGKILL'));
  const items = await writeItems(first.port, 300, 4);
  const written = Date.now();
  first.kill('SIGTERM');
  t.same(await first.exited, { code: 0, signal: null }, 'exit 0');
  t.ok(existsSync(file), 'image written');
  // Down long enough for the 2-second items to expire.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3100 - (Date.now() - written))));
  const second = await serveBin(args);
  t.teardown(() => second.kill('SIGKILL'));
  t.match(second.stderr(), /warm restart: restored \d+ items .*hash index restored/, 'warm, with the saved index');
  const live = await checkItems(t, second.port, items);
  t.equal((await statsOf(second.port)).get('curr_items'), String(live), 'curr_items matches');
  second.kill('SIGTERM');
  await second.exited;
});
