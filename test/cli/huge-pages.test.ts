// lib/cli/huge-pages.ts: when the server re-executes itself with glibc's
// huge-page malloc tunable (a pure decision over the machine's facts), and
// what this machine's facts read as.

import t from 'tap';
import { REEXEC_MARK, hugePageEnvironment, hugePageFacts, type HugePageFacts } from '../../lib/cli/huge-pages.js';

const MADVISE = 'always [madvise] never\n';
const facts = (over: Partial<HugePageFacts> = {}): HugePageFacts => ({ platform: 'linux', thpMode: MADVISE, glibc: true, canExec: true, ...over });

t.test('Linux, glibc, huge pages on request only: re-execute with the tunable and the mark', async (t) => {
  const env = hugePageEnvironment({ PATH: '/bin', HOME: '/h' }, facts());
  t.same(env, { PATH: '/bin', HOME: '/h', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1', [REEXEC_MARK]: '1' });
});

t.test('other glibc tunables are kept, the huge-page one appended', async (t) => {
  const env = hugePageEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, facts());
  t.equal(env?.GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
});

t.test('no re-execution when it would do nothing or was already done', async (t) => {
  t.equal(hugePageEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, facts()), undefined, 'the operator chose (=0 turns it off)');
  t.equal(hugePageEnvironment({ [REEXEC_MARK]: '1' }, facts()), undefined, 'already re-executed (never loops)');
  t.equal(hugePageEnvironment({}, facts({ thpMode: '[always] madvise never\n' })), undefined, 'huge pages always: not needed');
  t.equal(hugePageEnvironment({}, facts({ thpMode: 'always madvise [never]\n' })), undefined, 'huge pages off: no use');
  t.equal(hugePageEnvironment({}, facts({ thpMode: '' })), undefined, 'no THP support');
  t.equal(hugePageEnvironment({}, facts({ glibc: false })), undefined, 'another libc ignores the tunable');
  t.equal(hugePageEnvironment({}, facts({ platform: 'darwin' })), undefined, 'not Linux');
  t.equal(hugePageEnvironment({}, facts({ canExec: false })), undefined, 'no process.execve');
});

t.test("this machine's facts", async (t) => {
  const f = hugePageFacts();
  t.equal(f.platform, process.platform);
  t.equal(f.canExec, typeof (process as unknown as { execve?: unknown }).execve === 'function');
  if (process.platform === 'linux') {
    // Node's Linux builds link glibc unless built for musl (process.report says which).
    const header = (process.report?.getReport() as unknown as { header?: { glibcVersionRuntime?: string } }).header;
    t.equal(f.glibc, header?.glibcVersionRuntime !== undefined, 'glibc detected as process.report says');
  } else {
    t.equal(f.thpMode, '');
    t.equal(f.glibc, false);
  }
});
