// memcached 1.6.18's own Perl tests (t/*.t) that pass against grow-a-cache
// (passing.txt), run through run.sh: each must still PASS. Needs perl and
// memcached's source tree: GROW_A_CACHE_MEMCACHED_SRC names it (.ci/run
// fetches it with fetch-source.sh, apt-get source); without either the
// file skips and says why. Slow (a few minutes): getset.t alone sends
// tens of thousands of commands.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = process.env['GROW_A_CACHE_MEMCACHED_SRC'];
const perl = spawnSync('perl', ['-e', '1']).status === 0;
const why =
  src === undefined
    ? 'GROW_A_CACHE_MEMCACHED_SRC is not set (memcached 1.6.18 source: test/memcached-suite/fetch-source.sh DIR)'
    : !existsSync(join(src, 't', 'lib', 'MemcachedTest.pm'))
      ? `${src} has no t/lib/MemcachedTest.pm`
      : !perl
        ? 'perl is not installed'
        : undefined;

const files = readFileSync(join(here, 'passing.txt'), 'latin1')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

// The root's timeout is the file's: tap's 120 s would cut the run short.
if (why === undefined) t.setTimeout(20 * 60 * 1000);

t.test("memcached's t/ files that pass", { skip: why ?? false }, async (t) => {
  t.setTimeout(20 * 60 * 1000);
  const run = spawnSync('sh', [join(here, 'run.sh'), src!, ...files], {
    encoding: 'latin1',
    env: { ...process.env, SUITE_FILE_TIMEOUT: '300' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = run.stdout.split('\n');
  for (const f of files) {
    const line = lines.find((l) => l.split(' ')[1] === f || l.startsWith(`PASS ${f} `));
    t.match(line ?? '(no result line)', new RegExp(`^PASS ${f.replace('.', '\\.')} `), f);
  }
  t.equal(run.status, 0, 'run.sh reports no failure');
});
