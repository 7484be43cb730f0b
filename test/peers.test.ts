// test/peers.ts and the closing line of npm test (scripts/peer-summary.mjs):
// a missing, hidden or wrong-version peer gives a skip reason and a record,
// GROW_A_CACHE_REQUIRE_PEERS turns it into a failure, and the records become
// one line with the apt-get command. Peers are faked with a PATH of scripts.

import t, { type Test } from 'tap';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSkips, summaryLine } from '../scripts/peer-summary.mjs';
import type * as Peers from './peers.js';

const ENV = ['PATH', 'GROW_A_CACHE_HIDE_PEERS', 'GROW_A_CACHE_REQUIRE_PEERS', 'GROW_A_CACHE_PEER_LOG'] as const;

/** A directory of fake programs: name → what `-V` prints. */
function fakeBin(programs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gac-peers-bin-'));
  for (const [name, version] of Object.entries(programs)) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho '${version}'\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

interface Loaded {
  peers: typeof Peers;
  failures: string[];
  log: string;
}

/** A fresh copy of test/peers.ts under `env` (read at load and at call), its failures captured. */
async function load(t: Test, env: Partial<Record<(typeof ENV)[number], string>>): Promise<Loaded> {
  const saved = ENV.map((k) => [k, process.env[k]] as const);
  t.teardown(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const log = join(mkdtempSync(join(tmpdir(), 'gac-peers-log-')), 'skips.jsonl');
  for (const k of ENV) delete process.env[k];
  Object.assign(process.env, { GROW_A_CACHE_PEER_LOG: log }, env);
  const failures: string[] = [];
  const fakeTap = { fail: (message: string) => failures.push(message) };
  const peers = await t.mockImport<typeof Peers>('./peers.js', { tap: { default: fakeTap } });
  return { peers, failures, log };
}

t.test('a peer on PATH runs; one that is not skips with a reason and a record', async (t) => {
  const { peers, failures, log } = await load(t, { PATH: fakeBin({ memcached: 'memcached 1.6.18', promtool: 'promtool' }) });
  t.same(peers.needs('memcached', 'promtool'), { skip: false });
  t.equal(peers.peerCommand('promtool').endsWith('/promtool'), true);
  t.same(peers.needs('prometheus'), { skip: 'prometheus is not installed' });
  t.same(peers.needs('memcached-oracle'), { skip: false }, 'the oracle version');
  t.same(failures, []);
  t.same(readSkips(log), [{ labels: ['prometheus'], pkgs: ['prometheus'], reason: 'prometheus is not installed', file: readSkips(log)[0]?.file }]);
  t.throws(() => peers.peerCommand('prometheus'), /prometheus is not installed/);
});

t.test('memcached at another version skips the oracle tests, not the others', async (t) => {
  const { peers, log } = await load(t, { PATH: fakeBin({ memcached: 'memcached 1.6.21' }) });
  t.same(peers.needs('memcached'), { skip: false });
  t.same(peers.needs('memcached-oracle'), { skip: 'needs memcached 1.6.18, found 1.6.21' });
  t.equal(peers.memcachedVersion(), '1.6.21');
  t.same(readSkips(log)[0]?.labels, ['memcached 1.6.18 (found 1.6.21)']);
});

t.test('GROW_A_CACHE_HIDE_PEERS hides by name, command or package', async (t) => {
  const PATH = fakeBin({ memcached: 'memcached 1.6.18', promtool: 'x', prometheus: 'x', memcstat: 'x' });
  const byPackage = await load(t, { PATH, GROW_A_CACHE_HIDE_PEERS: 'prometheus' });
  t.match(byPackage.peers.needs('promtool').skip, /hidden by GROW_A_CACHE_HIDE_PEERS/, 'the prometheus package holds promtool');
  t.same(byPackage.peers.needs('memcstat'), { skip: false });
  const byName = await load(t, { PATH, GROW_A_CACHE_HIDE_PEERS: ' memcached ,promtool' });
  t.match(byName.peers.needs('memcached-oracle').skip, /hidden/);
  t.equal(byName.peers.memcachedVersion(), undefined);
  t.same(byName.peers.needs('prometheus'), { skip: false });
  const all = await load(t, { PATH, GROW_A_CACHE_HIDE_PEERS: 'all' });
  t.match(all.peers.needs('memcstat').skip, /hidden/);
});

t.test('GROW_A_CACHE_REQUIRE_PEERS fails instead of skipping quietly', async (t) => {
  const { peers, failures } = await load(t, { PATH: fakeBin({}), GROW_A_CACHE_REQUIRE_PEERS: '1' });
  t.same(peers.needs('memccapable'), { skip: 'memccapable is not installed' }, 'still skipped: the test would only time out');
  t.same(failures, ['required peer missing (GROW_A_CACHE_REQUIRE_PEERS=1): memccapable is not installed']);
});

t.test('the closing line names the peers once and the packages that install them', async (t) => {
  t.equal(summaryLine([]), 'skipped peers: none');
  const record = (labels: string[], pkgs: string[]) => ({ labels, pkgs, reason: '', file: 'x.test.ts' });
  t.equal(
    summaryLine([record(['promtool'], ['prometheus']), record(['memcached', 'memcslap'], ['memcached', 'libmemcached-tools']), record(['memcached'], ['memcached'])]),
    'skipped peers: memcached, memcslap, promtool (3 tests) — install with: sudo apt-get install -y libmemcached-tools memcached prometheus',
  );
  t.equal(summaryLine([record(['chromium'], ['chromium'])]), 'skipped peers: chromium (1 test) — install with: sudo apt-get install -y chromium');
  const file = join(mkdtempSync(join(tmpdir(), 'gac-peers-read-')), 'skips.jsonl');
  t.same(readSkips(file), [], 'no log: nothing skipped');
  writeFileSync(file, JSON.stringify(record(['a'], ['b'])) + '\n');
  t.same(readSkips(file), [record(['a'], ['b'])]);
  t.equal(readFileSync(file, 'utf8').split('\n').length, 2);
});
