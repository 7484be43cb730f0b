// -e FILE makes the built server re-execute itself in place (same PID) with
// glibc.malloc.hugetlb=1 where transparent huge pages are "madvise" only
// (lib/cli/huge-pages.ts), so a restored heap is filled with 2 MiB pages;
// without -e, or when GLIBC_TUNABLES already names the tunable, it does not.
// Skipped (saying why) on machines where the re-execution does not apply.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REEXEC_MARK, hugePageEnvironment, hugePageFacts } from '../../lib/cli/huge-pages.js';
import { serveBin } from './helpers/bin.js';
import { tempDir, writeItems } from './helpers/warm.js';

const applies = hugePageEnvironment({}, hugePageFacts()) !== undefined;
// Four server starts, two of them starting Node twice: room for a loaded machine.
t.setTimeout(300_000);
const skip = applies ? false : 'needs Linux, glibc, Node with process.execve and transparent huge pages in "madvise" mode';

function environOf(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

function anonHugeKiB(pid: number): number {
  const m = /AnonHugePages:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
  return m !== null ? Number(m[1]) : 0;
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  delete env[REEXEC_MARK];
  return env;
};

t.test('with -e: re-executed in place with the tunable; the heap holds huge pages after a restore', { skip }, async (t) => {
  const file = join(tempDir(t), 'cache.img');
  const args = ['-m', '16', '-e', file];
  const first = await serveBin(args, { env: baseEnv() });
  t.teardown(() => first.kill('SIGKILL'));
  const env = environOf(first.pid);
  t.equal(env.get('GLIBC_TUNABLES'), 'glibc.malloc.hugetlb=1', 'the process started as this PID now runs with the tunable');
  t.equal(env.get(REEXEC_MARK), '1');
  await writeItems(first.port, 100, 7);
  first.kill('SIGTERM');
  t.same(await first.exited, { code: 0, signal: null }, 'saved and exited 0');
  const second = await serveBin(args, { env: baseEnv() });
  t.teardown(() => second.kill('SIGKILL'));
  t.match(second.stderr(), /warm restart: restored \d+ items/);
  t.ok(anonHugeKiB(second.pid) >= 2048, `restored heap in huge pages (${anonHugeKiB(second.pid)} KiB)`);
  second.kill('SIGTERM');
  await second.exited;
});

t.test('without -e, or with the tunable already set: not re-executed', { skip }, async (t) => {
  const plain = await serveBin(['-m', '16'], { env: baseEnv() });
  t.teardown(() => plain.kill('SIGKILL'));
  t.equal(environOf(plain.pid).get(REEXEC_MARK), undefined, 'no -e: runs as started');
  plain.kill('SIGTERM');
  await plain.exited;
  const file = join(tempDir(t), 'cache.img');
  const off = await serveBin(['-m', '16', '-e', file], { env: { ...baseEnv(), GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' } });
  t.teardown(() => off.kill('SIGKILL'));
  const env = environOf(off.pid);
  t.equal(env.get('GLIBC_TUNABLES'), 'glibc.malloc.hugetlb=0', "the operator's setting is kept");
  t.equal(env.get(REEXEC_MARK), undefined, 'not re-executed');
  off.kill('SIGTERM');
  await off.exited;
});
