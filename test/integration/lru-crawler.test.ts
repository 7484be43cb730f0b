// lru_crawler against our server and, where installed, the real memcached
// 1.6.18: the sub-commands' replies byte for byte, metadump's line format,
// -X, a dump that lets other clients in between its slices, and
// memcached-tool's `dump` and `keys` modes (Debian ships the tool with
// memcached; skipped when absent).

import t from 'tap';
import type { Test } from 'tap';
import { execFile } from 'node:child_process';
import { connect, readUntil, show } from './helpers/exchange.js';
import { startMemcached } from './helpers/memcached.js';
import { MEMCACHED_TOOL_SCRIPT, memcachedVersion, needs, peerCommand } from '../peers.js';
import { startTestServer } from './helpers/server.js';
import type { Settings } from '../../lib/cli/settings.js';

const version = memcachedVersion();
const skipMemcached = needs('memcached-oracle').skip;
const MEMCACHED_TOOL = MEMCACHED_TOOL_SCRIPT;

const CRAWLER_IN_USE = 'ERROR an unknown error happened\r\n';

/**
 * Send `request` on a fresh connection and read until `done` or close.
 * memcached releases a dump's client a moment after the dump ends and
 * answers the next dump with ERROR until then: such a reply is retried.
 */
async function talk(target: number | string, request: string, done: (s: string) => boolean): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const reply = await talkOnce(target, request, done);
    if (reply !== CRAWLER_IN_USE || attempt >= 40) return reply;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function talkOnce(target: number | string, request: string, done: (s: string) => boolean): Promise<string> {
  const socket = await connect(target);
  try {
    const pending = readUntil(socket, (got) => done(got.toString('latin1')));
    socket.write(Buffer.from(request, 'latin1'));
    return (await pending).reply.toString('latin1');
  } finally {
    socket.destroy();
  }
}

const lines = (n: number) => (s: string) => (s.match(/\r\n/g) ?? []).length >= n;
const dumpDone = (s: string) => s.endsWith('END\r\n') || /^(BADCLASS|NOTSTARTED|ERROR|CLIENT_ERROR|BUSY)/.test(s);

/** Replies that do not depend on the stored items. */
const SUBCOMMANDS: Array<[string, string]> = [
  ['lru_crawler metadump 0\r\n', 'BADCLASS invalid class id\r\n'],
  ['lru_crawler metadump 64\r\n', 'BADCLASS invalid class id\r\n'],
  ['lru_crawler metadump 1,x\r\n', 'BADCLASS invalid class id\r\n'],
  ['lru_crawler metadump 5\r\n', 'END\r\n'],
  ['lru_crawler crawl x\r\n', 'BADCLASS invalid class id\r\n'],
  ['lru_crawler tocrawl 5\r\n', 'OK\r\n'],
  ['lru_crawler tocrawl x\r\n', 'CLIENT_ERROR bad command line format\r\n'],
  ['lru_crawler sleep 100\r\n', 'OK\r\n'],
  ['lru_crawler sleep 2000000\r\n', 'CLIENT_ERROR sleep must be one second or less\r\n'],
  ['lru_crawler foo\r\n', 'ERROR\r\n'],
  ['lru_crawler\r\n', 'ERROR\r\n'],
  ['lru_crawler metadump all extra\r\n', 'ERROR\r\n'],
  ['lru_crawler enable\r\n', 'ERROR failed to start lru crawler thread\r\n'],
  ['version\r\nlru_crawler metadump all\r\n', 'VERSION {v}\r\nERROR cannot pipeline other commands before metadump\r\n'],
];

async function checkSubcommands(t: Test, target: number | string, v: string, switchable = true): Promise<void> {
  for (const [request, expected] of SUBCOMMANDS) {
    const want = expected.replace('{v}', v);
    const got = await talk(target, request, lines((want.match(/\r\n/g) ?? []).length));
    t.equal(show(got), show(want), show(request));
  }
  // The crawler can be switched off and on. (memcached's disable does not
  // wait for its thread to stop, so an enable right after it may fail there.)
  if (!switchable) return;
  const off = await talk(target, 'lru_crawler disable\r\nlru_crawler metadump all\r\nlru_crawler crawl 1\r\nlru_crawler enable\r\n', lines(4));
  t.equal(show(off), show('OK\r\nCLIENT_ERROR lru crawler disabled\r\nCLIENT_ERROR lru crawler disabled\r\nOK\r\n'), 'disable / enable');
}

const LINE = /^key=(\S+) exp=(-1|\d+) la=(\d+) cas=(\d+) fetch=(yes|no) cls=(\d+) size=(\d+)$/;

/**
 * `retries`: dumps to try until both keys show. Only for memcached itself,
 * whose crawler sometimes leaves a just-bumped item out of one dump; ours is
 * held to the first dump.
 */
async function checkMetadump(t: Test, target: number | string, retries = 0): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const stored = await talk(
    target,
    'set md:a/b 1 0 1\r\nx\r\nset md%20c 2 1000 3\r\nabc\r\nget md:a/b\r\n',
    (s) => s.endsWith('END\r\n'),
  );
  t.match(stored, /^STORED\r\nSTORED\r\nVALUE/);
  for (const target_ of ['all', 'hash', '1']) {
    let dump = await talk(target, `lru_crawler metadump ${target_}\r\n`, dumpDone);
    for (let i = 0; i < retries && !(dump.includes('key=md%3Aa%2Fb ') && dump.includes('key=md%2520c ')); i++) {
      await new Promise((r) => setTimeout(r, 100));
      dump = await talk(target, `lru_crawler metadump ${target_}\r\n`, dumpDone);
    }
    t.ok(dump.endsWith('\nEND\r\n'), `${target_}: ends with END`);
    const body = dump.slice(0, -'END\r\n'.length);
    t.notOk(body.includes('\r'), `${target_}: item lines end in a bare \\n`);
    const byKey = new Map<string, RegExpExecArray>();
    for (const line of body.split('\n').filter((l) => l !== '')) {
      const m = LINE.exec(line);
      t.ok(m, `line format: ${line}`);
      if (m) byKey.set(m[1]!, m);
    }
    const a = byKey.get('md%3Aa%2Fb');
    const c = byKey.get('md%2520c');
    t.ok(a && c, `${target_}: both keys, uri-encoded`);
    if (!a || !c) continue;
    t.equal(a[2], '-1', 'no expiry is -1');
    t.ok(Math.abs(Number(c[2]) - (now + 1000)) <= 2, 'exp is an absolute unix time');
    t.ok(Math.abs(Number(a[3]) - now) <= 2, 'la is an absolute unix time');
    t.equal(a[5], 'yes', 'a fetched item');
    t.equal(c[5], 'no', 'an item never fetched');
    t.equal(a[6], '1', 'small items are in class 1');
    t.ok(Number(a[4]) > 0 && Number(a[7]) > 0, 'cas and size are numbers');
  }
  // A get's reply may stand before a metadump (memcached allows it).
  const afterGet = await talk(target, 'get md:a/b\r\nlru_crawler metadump all\r\n', (s) => s.split('END\r\n').length >= 3);
  t.match(afterGet, /^VALUE md:a\/b 1 1\r\nx\r\nEND\r\nkey=/, 'get then metadump');
}

t.test('our server', async (t) => {
  const { port, server } = await startTestServer(t);
  await checkSubcommands(t, port, server.context.version);
  // Not replayed against memcached: after this reply memcached 1.6.18 keeps
  // the dump client registered and answers every later dump with ERROR.
  t.equal(await talk(port, 'lru_crawler metadump ,\r\n', lines(1)), 'NOTSTARTED no items to crawl\r\n');
  await checkMetadump(t, port);
});

t.test('memcached 1.6.18 answers the same', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached();
  t.teardown(() => mc.stop());
  // memcached starts its crawler thread after it accepts connections:
  // until then a dump answers ERROR.
  for (let i = 0; i < 100; i++) {
    if ((await talk(mc.path, 'lru_crawler metadump 5\r\n', lines(1))) === 'END\r\n') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await checkSubcommands(t, mc.path, version!, false);
  await checkMetadump(t, mc.path, 5);
});

async function checkDisabled(t: Test, target: number | string): Promise<void> {
  t.equal(await talk(target, 'lru_crawler metadump all\r\n', lines(1)), 'ERROR metadump not allowed\r\n');
  t.equal(await talk(target, 'lru_crawler crawl all\r\n', lines(1)), 'OK\r\n', 'crawl still allowed');
}

t.test('-X refuses metadump', async (t) => {
  const { port } = await startTestServer(t, { dumpEnabled: false } as Partial<Settings>);
  await checkDisabled(t, port);
});

t.test('memcached -X refuses metadump the same way', { skip: skipMemcached }, async (t) => {
  const mc = await startMemcached(['-X']);
  t.teardown(() => mc.stop());
  await checkDisabled(t, mc.path);
});

t.test('a large dump yields to other clients between slices', async (t) => {
  const { port, server } = await startTestServer(t, { maxBytes: 64 * 1024 * 1024 });
  const store = server.context.store;
  const value = Buffer.from('v');
  const items = 100_000;
  for (let i = 0; i < items; i++) store.store('set', Buffer.from(`slice:${i}`), value, 0, 0, 0);
  const dumper = await connect(port);
  t.teardown(() => dumper.destroy());
  const other = await connect(port);
  t.teardown(() => other.destroy());
  const order: string[] = [];
  let dumped = '';
  let asked = false;
  const dumpEnded = new Promise<void>((resolve) => {
    dumper.on('data', (d: Buffer) => {
      dumped += d.toString('latin1');
      if (!asked) {
        // The dump has started: another client asks now.
        asked = true;
        other.write('version\r\n');
      }
      if (dumped.endsWith('END\r\n')) {
        order.push('dump END');
        resolve();
      }
    });
  });
  const versionAnswered = new Promise<void>((resolve) => {
    other.on('data', () => {
      order.push('version');
      resolve();
    });
  });
  dumper.write('lru_crawler metadump all\r\n');
  await Promise.all([dumpEnded, versionAnswered]);
  t.same(order, ['version', 'dump END'], 'the other client was answered while the dump ran');
  t.equal(dumped.split('\n').length - 1, items + 1, 'every item, then END');
  // The connection serves requests again after END.
  dumper.write('version\r\n');
  const again = await readUntil(dumper, (b) => b.toString().endsWith('\r\n'));
  t.match(again.reply.toString(), /^VERSION /);
});

t.test('memcached-tool dump and keys work against us', needs('memcached-tool'), async (t) => {
  const { port } = await startTestServer(t);
  const stored = await talk(port, 'set tool:a 3 0 5\r\nhello\r\nset tool%b 0 1000 2\r\nhi\r\n', lines(2));
  t.equal(stored, 'STORED\r\nSTORED\r\n');
  // Asynchronously: our server runs in this process.
  const tool = (mode: string): Promise<{ stdout: string; code: number }> =>
    new Promise((resolve) => {
      execFile(peerCommand('memcached-tool'), [MEMCACHED_TOOL, `127.0.0.1:${port}`, mode], { encoding: 'latin1', timeout: 20_000 }, (err, stdout) => {
        resolve({ stdout, code: err ? 1 : 0 });
      });
    });
  const dump = await tool('dump');
  t.equal(dump.code, 0);
  t.match(dump.stdout, /add tool:a 3 0 5\r\nhello\r\n/, 'dump: key, flags, no expiry, value');
  t.match(dump.stdout, /add tool%b 0 \d{10} 2\r\nhi\r\n/, 'dump: an absolute expiry');
  const keys = await tool('keys');
  t.equal(keys.code, 0);
  t.match(keys.stdout, /^key=tool%3Aa exp=-1 la=\d+ cas=\d+ fetch=yes cls=1 size=\d+$/m);
  t.match(keys.stdout, /^key=tool%25b exp=\d+ la=\d+ cas=\d+ fetch=yes cls=1 size=\d+$/m);
});
