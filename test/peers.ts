// Optional peers: the real programs some tests drive (memcached, libmemcached's
// tools, Prometheus, a browser, client libraries in Python, PHP and Ruby,
// twemproxy). Every test that needs one asks here, so a
// fresh machine skips those tests with a reason instead of failing, and the
// runner (scripts/test.mjs) can end with one line naming what was skipped and
// how to install it. Not a process manager: tests still start their peers.
//
// Environment:
//   GROW_A_CACHE_HIDE_PEERS=memcached,promtool  treat these as missing (a name
//     matches a peer, its command or its Debian package; `all` hides every
//     peer), to try the fresh-machine path on a machine that has them.
//   GROW_A_CACHE_REQUIRE_PEERS=1  a missing peer fails the file (CI).
//   GROW_A_CACHE_PEER_LOG=FILE  set by scripts/test.mjs; each skipped test
//     appends one JSON line {labels, pkgs, reason, file} there.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants } from 'node:fs';
import { delimiter, join, relative } from 'node:path';

/** The memcached whose replies the byte-for-byte tables hold (Debian 12's). */
export const ORACLE_MEMCACHED_VERSION = '1.6.18';

const MEMCACHED_TOOL = '/usr/share/memcached/scripts/memcached-tool';

interface PeerSpec {
  /** Debian package that installs it. */
  pkg: string;
  /** Executables to look for on PATH, first found wins. */
  commands: string[];
  /** A file that must exist instead of a command on PATH. */
  file?: string;
  /** Extra check once found: a reason it will not do, or undefined. */
  check?: (path: string) => string | undefined;
}

const PEERS = {
  memcached: { pkg: 'memcached', commands: ['memcached'] },
  /** memcached at the version the oracle tables were recorded from. */
  'memcached-oracle': {
    pkg: 'memcached',
    commands: ['memcached'],
    check: (path: string) => {
      const found = memcachedVersionAt(path);
      return found === ORACLE_MEMCACHED_VERSION ? undefined : `needs memcached ${ORACLE_MEMCACHED_VERSION}, found ${found ?? 'no version'}`;
    },
  },
  'memcached-tool': { pkg: 'memcached', commands: ['perl'], file: MEMCACHED_TOOL },
  memccapable: { pkg: 'libmemcached-tools', commands: ['memccapable'] },
  memcstat: { pkg: 'libmemcached-tools', commands: ['memcstat'] },
  memcslap: { pkg: 'libmemcached-tools', commands: ['memcslap'] },
  promtool: { pkg: 'prometheus', commands: ['promtool'] },
  prometheus: { pkg: 'prometheus', commands: ['prometheus'] },
  chromium: { pkg: 'chromium', commands: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'] },
  /** Debian's python3 (a python3 earlier on PATH, e.g. pyenv's, does not see Debian's modules). */
  pymemcache: { pkg: 'python3-pymemcache', commands: ['/usr/bin/python3'], check: (path: string) => runsClean(path, ['-c', 'import pymemcache'], 'pymemcache') },
  'php-memcached': { pkg: 'php-cli php-memcached', commands: ['php'], check: (path: string) => runsClean(path, ['-r', 'exit(class_exists("Memcached") ? 0 : 1);'], 'the php memcached extension') },
  dalli: { pkg: 'ruby ruby-dalli', commands: ['ruby'], check: (path: string) => runsClean(path, ['-e', 'require "dalli"'], 'the dalli gem') },
  nutcracker: { pkg: 'nutcracker', commands: ['nutcracker'] },
} satisfies Record<string, PeerSpec>;

export type Peer = keyof typeof PEERS;

const hidden = new Set(
  (process.env['GROW_A_CACHE_HIDE_PEERS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

function isHidden(name: Peer, spec: PeerSpec): boolean {
  return hidden.has('all') || hidden.has(name) || hidden.has(spec.pkg) || spec.commands.some((c) => hidden.has(c));
}

/** undefined when `path args` exits 0, else why `what` will not do. */
function runsClean(path: string, args: string[], what: string): string | undefined {
  const r = spawnSync(path, args, { stdio: 'ignore', timeout: 20_000 });
  return r.error === undefined && r.status === 0 ? undefined : `${what} is not installed for ${path}`;
}

function onPath(command: string): string | undefined {
  if (command.startsWith('/')) {
    try {
      accessSync(command, constants.X_OK);
      return command;
    } catch {
      return undefined;
    }
  }
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

function memcachedVersionAt(path: string): string | undefined {
  const r = spawnSync(path, ['-V'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return r.stdout.trim().replace(/^memcached\s+/, '');
}

type Found = { path: string } | { missing: string };
const cache = new Map<Peer, Found>();

function find(name: Peer): Found {
  const known = cache.get(name);
  if (known !== undefined) return known;
  const spec: PeerSpec = PEERS[name];
  let found: Found;
  if (isHidden(name, spec)) {
    found = { missing: `${name} is hidden by GROW_A_CACHE_HIDE_PEERS` };
  } else {
    const path = spec.commands.map(onPath).find((p) => p !== undefined);
    if (path === undefined) {
      found = { missing: `${spec.commands[0]} is not installed` };
    } else if (spec.file !== undefined && !exists(spec.file)) {
      found = { missing: `${spec.file} is not installed` };
    } else {
      const wrong = spec.check?.(path);
      found = wrong === undefined ? { path } : { missing: wrong };
    }
  }
  cache.set(name, found);
  return found;
}

function exists(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why `name` cannot be used here, or undefined when it can. Records nothing. */
export function peerMissing(name: Peer): string | undefined {
  const found = find(name);
  return 'missing' in found ? found.missing : undefined;
}

/** Absolute path of the peer's executable (for memcached-tool: perl). Throws when missing. */
export function peerCommand(name: Peer): string {
  const found = find(name);
  if ('missing' in found) throw new Error(found.missing);
  return found.path;
}

/** The installed memcached's version (hidden or absent: undefined). */
export function memcachedVersion(): string | undefined {
  const found = find('memcached');
  return 'path' in found ? memcachedVersionAt(found.path) : undefined;
}

/** Path of memcached's memcached-tool script (run it with peerCommand('memcached-tool'), i.e. perl). */
export const MEMCACHED_TOOL_SCRIPT = MEMCACHED_TOOL;

/**
 * Options for a tap test that drives these peers: `{ skip: false }` when all
 * are here; otherwise `{ skip: reason }`, the miss recorded for the closing
 * summary, and under GROW_A_CACHE_REQUIRE_PEERS a failure as well.
 * Call it once per test, so the summary counts tests:
 * `t.test('name', needs('promtool'), async (t) => ...)`.
 */
export function needs(...peers: Peer[]): { skip: string | false } {
  const missing: Array<{ peer: Peer; label: string; pkg: string; reason: string }> = [];
  for (const peer of peers) {
    const reason = peerMissing(peer);
    if (reason === undefined) continue;
    // The oracle is memcached: named so when missing, by version when present but another release.
    const label = peer !== 'memcached-oracle' ? peer : reason.startsWith('needs ') ? `memcached ${ORACLE_MEMCACHED_VERSION} (found ${memcachedVersion() ?? '?'})` : 'memcached';
    missing.push({ peer, label, pkg: PEERS[peer].pkg, reason });
  }
  if (missing.length === 0) return { skip: false };
  const reason = missing.map((m) => m.reason).join('; ');
  record(missing);
  if (process.env['GROW_A_CACHE_REQUIRE_PEERS'] === '1') t.fail(`required peer missing (GROW_A_CACHE_REQUIRE_PEERS=1): ${reason}`);
  return { skip: reason };
}

/** One JSON line per skipped test: {labels, pkgs, reason, file}. */
function record(missing: Array<{ label: string; pkg: string; reason: string }>): void {
  const log = process.env['GROW_A_CACHE_PEER_LOG'];
  if (log === undefined || log === '') return;
  const entry = {
    labels: missing.map((m) => m.label),
    pkgs: missing.map((m) => m.pkg),
    reason: missing.map((m) => m.reason).join('; '),
    file: relative(process.cwd(), process.argv[1] ?? ''),
  };
  appendFileSync(log, JSON.stringify(entry) + '\n');
}
