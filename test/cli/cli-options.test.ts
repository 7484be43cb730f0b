// memcached's command line parsed in-process: flags, defaults, getopt
// clusters, and memcached's messages and exit codes for bad values.

import t from 'tap';
import { atoi, parseCommandLine, parseItemSize } from '../../lib/cli/cli-options.js';
import type { CliResult } from '../../lib/cli/cli-options.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from '../../lib/cli/settings.js';
import type { Settings } from '../../lib/cli/settings.js';

function settingsOf(result: CliResult): Settings {
  if (result.kind !== 'run') throw new Error(`expected settings, got exit ${result.code}: ${result.stderr}${result.stdout}`);
  return result.settings;
}

function run(...argv: string[]): Settings {
  return settingsOf(parseCommandLine(argv));
}

function exitOf(...argv: string[]): { code: number; stdout: string; stderr: string } {
  const r = parseCommandLine(argv);
  if (r.kind !== 'exit') throw new Error('expected an exit');
  return r;
}

t.test('defaults are memcached defaults, except listening on 127.0.0.1', async (t) => {
  const s = run();
  t.same(s, { ...DEFAULT_SETTINGS });
  t.same(s.listen, ['127.0.0.1']);
  t.equal(s.port, 11211);
  t.equal(s.maxBytes, 64 * 1024 * 1024);
  t.equal(s.maxConns, 1024);
  t.equal(s.itemSizeMax, 1024 * 1024);
});

t.test('short and long flags', async (t) => {
  const s = run(
    '-p', '12345', '-m', '128', '-c', '10', '-t', '2', '-R', '7', '-b', '99', '-B', 'ascii',
    '-I', '2m', '-A', '-M', '-C', '-F', '-vv', '-l', '0.0.0.0', '-o', 'idle_timeout=5,hashpower=20,merge_segments=2,watcher_logbuf_size=8,worker_logbuf_size=16',
    '--metrics-listen', '127.0.0.1:9150',
  );
  t.equal(s.port, 12345);
  t.equal(s.maxBytes, 128 * 1024 * 1024);
  t.equal(s.maxConns, 10);
  t.equal(s.threads, 2);
  t.equal(s.reqsPerEvent, 7);
  t.equal(s.backlog, 99);
  t.equal(s.bindingProtocol, 'ascii');
  t.equal(s.itemSizeMax, 2 * 1024 * 1024);
  t.equal(s.shutdownEnabled, true);
  t.equal(s.evictionPolicy, 'none');
  t.equal(s.casEnabled, false);
  t.equal(s.flushEnabled, false);
  t.equal(s.verbosity, 2);
  t.same(s.listen, ['0.0.0.0']);
  t.equal(s.idleTimeout, 5);
  t.equal(s.hashPowerInit, 20);
  t.equal(s.mergeSegments, 2);
  t.equal(s.watcherLogbufSize, 8 * 1024, 'watcher_logbuf_size in KiB');
  t.equal(s.workerLogbufSize, 16 * 1024, 'worker_logbuf_size in KiB');
  t.equal(s.metricsListen, '127.0.0.1:9150');

  const l = run('--port=4000', '--memory-limit', '32', '--conn-limit=5', '--enable-shutdown', '--verbose', '--listen', '127.0.0.1,::1');
  t.equal(l.port, 4000);
  t.equal(l.maxBytes, 32 * 1024 * 1024);
  t.equal(l.maxConns, 5);
  t.equal(l.shutdownEnabled, true);
  t.equal(l.verbosity, 1);
  t.same(l.listen, ['127.0.0.1', '::1']);
});

t.test('getopt clusters and attached values', async (t) => {
  const c = run('-Avv', '-p11211', '-I1m', '-l', 'x');
  t.same([c.shutdownEnabled, c.verbosity, c.port, c.itemSizeMax, c.listen], [true, 2, 11211, 1024 * 1024, ['x']]);
  const s = run('-vvv', '-p11311', '-MI512k');
  t.equal(s.verbosity, 3);
  t.equal(s.port, 11311);
  t.equal(s.evictionPolicy, 'none');
  t.equal(s.itemSizeMax, 512 * 1024);
  t.same(run('-l', 'a', '-l', 'b,c').listen, ['a', 'b', 'c'], '-l repeats and commas add up');
  t.equal(run('-p', '1', '-p', '2').port, 2, 'the last value wins');
  t.equal(run('-p', '-1').port, EPHEMERAL_PORT, '-p -1: an ephemeral port, as memcached');
  t.equal(run('-p', '0').port, 0, '-p 0: no TCP listener, as memcached');
  const tlsTuning = parseCommandLine(['-o', 'ssl_keyformat=1,ssl_wbuf_size=64']);
  t.equal(tlsTuning.kind, 'run', 'ssl_keyformat=1 (PEM) and ssl_wbuf_size are accepted');
  if (tlsTuning.kind === 'run') t.same(tlsTuning.warnings, ["-o ssl_wbuf_size: ignored: Node's TLS socket has no such buffer (each batch of replies goes to OpenSSL whole)"]);
  const unlimited = parseCommandLine(['-o', 'read_buf_mem_limit=0,resp_obj_mem_limit=5']);
  t.equal(unlimited.kind, 'run', 'read_buf_mem_limit=0 (unlimited, memcached\'s default) is accepted');
  if (unlimited.kind === 'run') t.same(unlimited.warnings, ['DEPRECATED: resp_obj_mem_limit no longer used. See read_buf_mem_limit,']);
  t.same([run('-U', '-1').port, run('-U', '-1').udpPort], [EPHEMERAL_PORT, EPHEMERAL_PORT], '-U -1 without -p: TCP ephemeral too');
  t.equal(run('-a', '755').unixMask, 0o755, '-a is octal');
  t.equal(run('-s', '/tmp/x.sock').unixSocket, '/tmp/x.sock');
});

t.test('numbers follow atoi, -I takes k/m suffixes', async (t) => {
  t.equal(atoi('42'), 42);
  t.equal(atoi('  42abc'), 42);
  t.equal(atoi('abc'), 0);
  t.equal(atoi('-3'), -3);
  t.equal(parseItemSize('1024'), 1024);
  t.equal(parseItemSize('4k'), 4096);
  t.equal(parseItemSize('4K'), 4096);
  t.equal(parseItemSize('2m'), 2 * 1024 * 1024);
  t.equal(parseItemSize('2M'), 2 * 1024 * 1024);
});

t.test('-h, -V and -i print and exit 0', async (t) => {
  const h = exitOf('-h');
  t.equal(h.code, 0);
  t.match(h.stdout, /^memcached 1\.6\.18 \(grow-a-cache /);
  t.match(h.stdout, /-p, --port=<num>/);
  t.match(h.stdout, /--metrics-listen/);
  const v = exitOf('--version');
  t.equal(v.code, 0);
  t.match(v.stdout, /^memcached 1\.6\.18 \(grow-a-cache \d+\.\d+\.\d+\)\n$/);
  t.equal(exitOf('-i').code, 0);
});

t.test("bad values: memcached's messages and exit codes", async (t) => {
  const cases: Array<[string[], number, RegExp]> = [
    [['-Q'], 1, /invalid option -- 'Q'\nIllegal argument "\?"/],
    [['--bogus'], 1, /unrecognized option '--bogus'/],
    [['--bogus=1'], 1, /unrecognized option '--bogus'/],
    [['--port'], 1, /option '--port' requires an argument/],
    [['--enable-shutdown=1'], 1, /option '--enable-shutdown' doesn't allow an argument/],
    [['-p'], 1, /option requires an argument -- 'p'/],
    [['-I', '40m'], 64, /^Cannot set item size limit higher than 1\/2 of memory max\.\n$/],
    [['-m', '0'], 64, /^Cannot set item size limit higher than 1\/2 of memory max\.\n$/],
    [['-I', '500'], 64, /^Item max size cannot be less than 1024 bytes\.\n$/],
    [['-m', '4096', '-I', '2000m'], 64, /^Cannot set item size limit higher than a gigabyte\.\n$/],
    [['-B', 'foo'], 64, /^Invalid value for binding protocol: foo\n -- should be one of auto, binary, or ascii\n$/],
    [['-c', 'abc'], 1, /^Maximum connections must be greater than 0\n$/],
    [['-t', '0'], 1, /^Number of threads must be greater than 0\n$/],
    [['-R', '0'], 1, /^Number of requests per event must be greater than 0\n$/],
    [['-p', '70000'], 64, /^ERROR: Invalid port number 70000\.\n$/],
    [['-U', '70000'], 64, /^ERROR: Invalid port number 70000\.\n$/],
    [['-p', '-2'], 64, /^ERROR: Invalid port number -2\.\n$/],
    [['-o', 'read_buf_mem_limit=1'], 1, /^read_buf_mem_limit=1 is not supported: grow-a-cache has no memory limit on connection buffers/],
    [['-o', 'read_buf_mem_limit'], 1, /^Missing read_buf_mem_limit argument\n$/],
    [['-o', 'read_buf_mem_limit=x'], 1, /^could not parse argument to read_buf_mem_limit\n$/],
    [['-p', '1', '-U', '-2'], 64, /^ERROR: Invalid UDP port number -2\.\n$/],
    [['-o', 'hashpower=3'], 1, /^Initial hashtable multiplier of 3 is too low\n$/],
    [['-o', 'hashpower=70'], 1, /^Initial hashtable multiplier of 70 is too high\n/],
    [['-o', 'hashpower'], 1, /^Missing numeric argument for hashpower\n$/],
    [['-o', 'idle_timeout'], 1, /^Missing numeric argument for idle_timeout\n$/],
    [['-o', 'merge_segments'], 1, /^Missing numeric argument for merge_segments\n$/],
    [['-o', 'watcher_logbuf_size'], 1, /^Missing watcher_logbuf_size argument\n$/],
    [['-o', 'worker_logbuf_size=-1'], 1, /^could not parse argument to worker_logbuf_size\n$/],
    [['-o', 'merge_segments=1'], 1, /^merge_segments must be from 2 to 8\n$/],
    [['-o', 'merge_segments=9'], 1, /^merge_segments must be from 2 to 8\n$/],
    [['-o', 'hash_algorithm=md5'], 1, /^Unknown hash_algorithm option/],
    [['-f', '1'], 1, /^Factor must be greater than 1\n$/],
    [['-n', '0'], 1, /^Chunk size must be greater than 0\n$/],
    [['-S', '-B', 'ascii', '--sasl-pwdb', '/x'], 64, /^ERROR: You cannot allow the ASCII protocol while using SASL\.\n$/],
    [['-S'], 64, /password file/],
    [['-Y', '/tmp/auth', '-B', 'binary'], 64, /^ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens\.\n$/],
    [['-Y', '/tmp/auth', '-S', '--sasl-pwdb', '/x'], 64, /cannot be used together/],
    [['-Z'], 64, /certificate chain/],
    [['-Z', '-o', 'ssl_chain_cert=/x,ssl_kernel_tls'], 64, /^Kernel TLS offload is not available\n$/],
    [['-o', 'ssl_keyformat=2'], 1, /^ssl_keyformat=2 is not supported: keys are read as PEM \(1\) only\n$/],
    [['-o', 'ssl_keyformat=x'], 1, /^could not parse argument to ssl_keyformat\n$/],
    [['-o', 'ssl_wbuf_size=x'], 1, /^could not parse argument to ssl_wbuf_size\n$/],
    [['-l', 'notls:127.0.0.1:1'], 71, /^'notls' option is valid only when SSL is enabled\n$/],
  ];
  for (const [argv, code, message] of cases) {
    const r = exitOf(...argv);
    t.equal(r.code, code, `${argv.join(' ')} exits ${code}`);
    t.match(r.stderr, message, `${argv.join(' ')}: ${JSON.stringify(r.stderr)}`);
  }
  const sub = exitOf('-o', 'bogus');
  t.equal(sub.code, 1);
  t.equal(sub.stdout, 'Illegal suboption "bogus"\n', 'memcached prints this one on stdout');
});

t.test('-o no_modern starts the LRU crawler disabled, as memcached 1.6.18', async (t) => {
  t.equal(settingsOf(parseCommandLine([])).lruCrawler, true, 'enabled by default (modern)');
  t.equal(settingsOf(parseCommandLine(['-o', 'no_modern'])).lruCrawler, false, 'no_modern: disabled');
  t.equal(settingsOf(parseCommandLine(['-o', 'no_modern,lru_crawler'])).lruCrawler, true, 'a later lru_crawler wins');
  const r = parseCommandLine(['-o', 'no_modern']);
  if (r.kind === 'run') t.ok(r.warnings.some((w) => w.startsWith('-o no_modern') && w.includes('crawler starts disabled')), 'says what it does');
});

t.test('flags with no meaning here are accepted with a warning', async (t) => {
  const r = parseCommandLine(['-d', '-P', '/tmp/pid', '-r', '-k', '-L', '-f', '1.5', '-n', '64', '-u', 'memcache', '-D', ':', '-N', '2', '-X', '-W', '-o', 'no_lru_crawler,modern,maxconns_fast,hash_algorithm=murmur3']);
  const s = settingsOf(r);
  t.equal(s.port, 11211, 'still a normal configuration');
  if (r.kind !== 'run') return;
  for (const flag of ['-d', '-P', '-r', '-k', '-L', '-f', '-n', '-u', '-N']) {
    t.ok(r.warnings.some((w) => w.startsWith(flag + ':')), `warning for ${flag}`);
  }
  t.ok(r.warnings.some((w) => w.startsWith('-o modern')), 'warning for an ignored -o');
  // These have a meaning now: no warning, and the settings follow them.
  t.notOk(r.warnings.some((w) => w.startsWith('-D') || w.includes('no_lru_crawler')), '-D and -o no_lru_crawler are applied');
  t.equal(s.prefixDelimiter, ':');
  t.equal(s.detailEnabled, true, '-D turns stats detail on, as memcached');
  t.equal(s.lruCrawler, false);
  t.equal(s.dumpEnabled, false, '-X');
  t.equal(s.watchEnabled, false, '-W');
  t.ok(r.warnings.every((w) => !w.includes('\n')), 'one line each');
  const extra = parseCommandLine(['-p', '1', 'stray']);
  t.equal(extra.kind, 'run', 'non-option arguments are ignored, as getopt leaves them');
  if (extra.kind === 'run') t.match(extra.warnings.join('\n'), /ignoring non-option arguments: stray/);
});

t.test('-e / --memory-file / -o memory_file name the warm restart image', async (t) => {
  t.equal(settingsOf(parseCommandLine([])).memoryFile, undefined, 'off by default');
  t.equal(settingsOf(parseCommandLine(['-e', '/tmp/cache.img'])).memoryFile, '/tmp/cache.img');
  t.equal(settingsOf(parseCommandLine(['--memory-file=/tmp/a'])).memoryFile, '/tmp/a');
  t.equal(settingsOf(parseCommandLine(['-o', 'memory_file=/tmp/b'])).memoryFile, '/tmp/b');
  const r = parseCommandLine(['-e', '/tmp/cache.img']);
  t.ok(r.kind === 'run' && r.warnings.every((w) => !w.startsWith('-e')), 'no "ignored" warning any more');
  t.equal(exitOf('-o', 'memory_file').code, 1, 'memory_file needs a value');
});

t.test('-o warm_restart_sync asks for a durable image; off by default', async (t) => {
  t.equal(settingsOf(parseCommandLine(['-e', '/tmp/c'])).warmRestartSync, false, 'off by default');
  t.equal(settingsOf(parseCommandLine(['-e', '/tmp/c', '-o', 'warm_restart_sync'])).warmRestartSync, true);
  t.equal(settingsOf(parseCommandLine(['-o', 'memory_file=/tmp/c,warm_restart_sync'])).warmRestartSync, true, 'with memory_file in one -o');
});

t.test('SASL: -S selects the binary protocol and needs a password file', async (t) => {
  const viaFlag = run('-S', '--sasl-pwdb', '/etc/pw');
  t.equal(viaFlag.saslEnabled, true);
  t.equal(viaFlag.bindingProtocol, 'binary');
  t.equal(viaFlag.saslPwdb, '/etc/pw');
  const viaEnv = settingsOf(parseCommandLine(['-S'], { MEMCACHED_SASL_PWDB: '/etc/pw2' }));
  t.equal(viaEnv.saslPwdb, '/etc/pw2');
  t.equal(run('-S', '-B', 'binary', '--sasl-pwdb', '/x').bindingProtocol, 'binary');
});

t.test('-Y selects the ASCII protocol', async (t) => {
  const s = run('-Y', '/etc/auth');
  t.equal(s.authFile, '/etc/auth');
  t.equal(s.bindingProtocol, 'ascii');
});

t.test('-o ssl_* options are kept for stats settings', async (t) => {
  const s = run('-o', 'ssl_chain_cert=/c.pem,ssl_key=/k.pem,ssl_ca_cert=/ca.pem,ssl_verify_mode=2');
  t.equal(s.tlsChainCert, '/c.pem');
  t.equal(s.tlsKey, '/k.pem');
  t.equal(s.tlsCaCert, '/ca.pem');
  t.equal(s.tlsVerifyMode, 2);
  t.equal(exitOf('-o', 'ssl_verify_mode=9').code, 1);
  t.equal(exitOf('-o', 'ssl_key').code, 1);
});

t.test('-m above what the store can address is refused, not clamped', async (t) => {
  t.equal(settingsOf(parseCommandLine(['-m', '1048576'])).maxBytes, 2 ** 40, '1 TiB is kept as given');
  t.equal(settingsOf(parseCommandLine(['-m', '8388607'])).maxBytes, 8388607 * 1024 * 1024, 'the largest -m (8 TiB less 1 MiB) too');
  const over = parseCommandLine(['-m', '8388608']);
  t.equal(over.kind, 'exit');
  if (over.kind !== 'exit') return;
  t.equal(over.code, 64, "memcached's exit code for a bad option (EX_USAGE)");
  t.match(over.stderr, /^ERROR: -m 8388608 is more than this server supports: at most 8388607 MiB of item memory\n$/);
});

t.test('T_MEMD_INITIAL_MALLOC: memcached test hook, counted against -m before the heap', async (t) => {
  const env = (value: string): Settings => settingsOf(parseCommandLine(['-m', '4098'], { T_MEMD_INITIAL_MALLOC: value }));
  t.equal(settingsOf(parseCommandLine(['-m', '4098'])).initialMallocBytes, 0, 'unset: none');
  t.equal(env('4294967328').initialMallocBytes, 4294967328, "64bit.t's value");
  t.equal(env(' 12 trailing').initialMallocBytes, 12, 'strtoll: leading blanks, anything after a blank');
  t.equal(env('+7').initialMallocBytes, 7);
  for (const ignored of ['', 'abc', '12x', '99999999999999999999', ' ']) {
    t.equal(env(ignored).initialMallocBytes, 0, `${JSON.stringify(ignored)} is not a number to memcached: ignored`);
  }
  const mib = 1024 * 1024;
  t.equal(env(String(4098 * mib - mib)).initialMallocBytes, 4097 * mib, 'leaving one 1 MiB segment: accepted');
  const tooBig = parseCommandLine(['-m', '4098'], { T_MEMD_INITIAL_MALLOC: String(4098 * mib - mib + 1) });
  t.equal(tooBig.kind, 'exit');
  if (tooBig.kind === 'exit') {
    t.equal(tooBig.code, 64);
    t.match(tooBig.stderr, /T_MEMD_INITIAL_MALLOC=4296015873 leaves less than one segment \(1048576 bytes\) of -m 4098: at most 4296015872 bytes/);
  }
  const negative = parseCommandLine([], { T_MEMD_INITIAL_MALLOC: '-5' });
  t.equal(negative.kind === 'exit' ? negative.stderr : '', 'ERROR: T_MEMD_INITIAL_MALLOC=-5 is negative: it is a count of bytes\n');
});
