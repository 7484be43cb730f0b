// memcached 1.6.18's own Perl tests (t/*.t) that pass against grow-a-cache
// (passing.txt), run through run.sh: each must still PASS. Needs perl and
// memcached's source tree: GROW_A_CACHE_MEMCACHED_SRC names it (.ci/run
// fetches it with fetch-source.sh, apt-get source); without either the
// file skips and says why. The ssl_*.t files (run.sh runs them with
// SSL_TEST=1, over -Z) also need Perl's IO::Socket::SSL (Debian's
// libio-socket-ssl-perl, which .ci/run installs): without it they skip,
// and fail under GROW_A_CACHE_REQUIRE_PEERS=1. Slow (a few minutes):
// getset.t alone sends tens of thousands of commands.

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

const listed = readFileSync(join(here, 'passing.txt'), 'latin1')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const tlsClient = perl && spawnSync('perl', ['-MIO::Socket::SSL', '-e', '1']).status === 0;
const noTls = tlsClient ? undefined : "Perl's IO::Socket::SSL is not installed (libio-socket-ssl-perl): memcached's ssl_*.t files cannot run";
const files = listed.filter((f) => tlsClient || !f.startsWith('ssl_'));

t.test('the ssl_*.t files can run', { skip: why ?? false }, async (t) => {
  if (noTls === undefined) t.pass('IO::Socket::SSL loads');
  else if (process.env['GROW_A_CACHE_REQUIRE_PEERS'] === '1') t.fail(`required (GROW_A_CACHE_REQUIRE_PEERS=1): ${noTls}`);
  else t.pass('IO::Socket::SSL loads', { skip: noTls });
});

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
    const at = lines.findIndex((l) => l.split(' ')[1] === f || l.startsWith(`PASS ${f} `));
    const line = at < 0 ? '(no result line)' : lines[at]!;
    // run.sh follows a FAIL line with the failing checks, indented: keep them in the report.
    const detail = [];
    for (let i = at + 1; at >= 0 && i < lines.length && lines[i]!.startsWith('    '); i++) detail.push(lines[i]!.trim());
    t.match(line, new RegExp(`^PASS ${f.replace('.', '\\.')} `), f, detail.length > 0 ? { failing: detail } : {});
  }
  t.equal(run.status, 0, 'run.sh reports no failure');
});
