// -p -1 / -U -1 (ephemeral ports), -p 0 (no TCP listener) and memcached's
// MEMCACHED_PORT_FILENAME port file, run as the operator runs the bin, with
// one event loop and with worker threads; the file's lines are checked
// against the real memcached 1.6.18 where installed.

import t from 'tap';
import type { Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exchange } from '../integration/helpers/exchange.js';
import { needs, peerCommand } from '../peers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'dist', 'lib', 'cli', 'main.js');

try {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-stale.mjs')], { cwd: root, stdio: 'ignore' });
} catch {
  // A type error elsewhere still emits JavaScript; the checks below need only the bin.
}

const dir = mkdtempSync(join(tmpdir(), 'gac-portfile-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;

/** Start `command args` with the port file set; resolves with the file's text once it appears. */
async function startWithPortFile(command: string[], t: Test): Promise<{ text: string; child: ChildProcess }> {
  const file = join(dir, `ports.${++serial}`);
  const child = spawn(command[0]!, command.slice(1), { stdio: 'ignore', env: { ...process.env, MEMCACHED_PORT_FILENAME: file } });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  // Generous: on a loaded machine a start takes seconds (no timing is asserted).
  for (let i = 0; i < 1200; i++) {
    if (existsSync(file)) return { text: readFileSync(file, 'utf8'), child };
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before writing ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no port file ${file}`);
}

function ours(...args: string[]): string[] {
  return [process.execPath, bin, ...args];
}

function ports(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const m = /^(TCP|UDP) (INET6?): (\d+)$/.exec(line);
    if (m === null) throw new Error(`unexpected port file line ${JSON.stringify(line)}`);
    out[`${m[1]} ${m[2]}`] = Number(m[3]);
  }
  return out;
}

/**
 * `version` over UDP, asked again every 500 ms: with worker threads the port
 * file is written before the workers have bound the port, and a datagram
 * sent meanwhile is lost (README, What differs), as any UDP client allows for.
 */
function udpVersion(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const header = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0]);
    const ask = (): void => socket.send(Buffer.concat([header, Buffer.from('version\r\n')]), port, '127.0.0.1');
    const again = setInterval(ask, 500);
    const timer = setTimeout(() => {
      clearInterval(again);
      socket.close();
      reject(new Error('no UDP reply'));
    }, 30_000);
    socket.on('message', (m) => {
      clearTimeout(timer);
      clearInterval(again);
      socket.close();
      resolve(m.subarray(8).toString());
    });
    ask();
  });
}

for (const threads of ['1', '2']) {
  t.test(`-t ${threads}: -p -1 -U -1 bind free ports and write them to the port file`, async (t) => {
    const { text } = await startWithPortFile(ours('-p', '-1', '-U', '-1', '-l', '127.0.0.1', '-t', threads), t);
    const got = ports(text);
    t.same(Object.keys(got), ['TCP INET', 'UDP INET'], 'TCP first, then UDP, as memcached binds them');
    t.not(got['TCP INET'], 0);
    t.not(got['UDP INET'], 0);
    t.match((await exchange(got['TCP INET']!, 'version\r\n')).reply.toString(), /^VERSION /, 'the TCP port serves');
    // Each worker binds the port: several asks reach whichever one the kernel picks.
    for (let i = 0; i < 4; i++) t.match(await udpVersion(got['UDP INET']!), /^VERSION /, 'the UDP port serves');
  });

  t.test(`-t ${threads}: -p 0 opens no TCP port (only the UDP one asked for)`, async (t) => {
    const { text } = await startWithPortFile(ours('-p', '0', '-U', '-1', '-l', '127.0.0.1', '-t', threads), t);
    const got = ports(text);
    t.same(Object.keys(got), ['UDP INET'], 'no TCP line');
    t.match(await udpVersion(got['UDP INET']!), /^VERSION /);
  });

  t.test(`-t ${threads}: -p 0 -s: the unix socket only, no port file (as memcached)`, async (t) => {
    const sock = join(dir, `s${++serial}.sock`);
    const file = join(dir, `ports.${++serial}`);
    const child = spawn(process.execPath, [bin, '-p', '0', '-s', sock, '-t', threads], { stdio: 'ignore', env: { ...process.env, MEMCACHED_PORT_FILENAME: file } });
    t.teardown(() => {
      child.kill('SIGKILL');
    });
    let conns = '';
    for (let i = 0; i < 300 && conns === ''; i++) {
      await new Promise((r) => setTimeout(r, 50));
      conns = await exchange(sock, 'stats conns\r\n').then(
        (r) => r.reply.toString(),
        () => '',
      );
    }
    t.match(conns, /STAT \d+:addr unix:/);
    t.notMatch(conns, /tcp:|udp:/, 'no TCP or UDP listener');
    t.notOk(existsSync(file), 'no port file with a unix socket');
  });
}

t.test('-p 0 alone: no listener at all, an empty port file (issue_67.t "tcp port disabled")', async (t) => {
  const { text } = await startWithPortFile(ours('-p', '0', '-l', '127.0.0.1'), t);
  t.equal(text, '');
});

t.test('-U N without -p puts TCP on N too; -U -1 gives each its own free port', async (t) => {
  const { text } = await startWithPortFile(ours('-U', '-1', '-l', '127.0.0.1'), t);
  const got = ports(text);
  t.same(Object.keys(got), ['TCP INET', 'UDP INET']);
});

t.test('the real memcached writes the same lines', { skip: needs('memcached').skip }, async (t) => {
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  for (const args of [
    ['-p', '-1', '-U', '-1', '-l', '127.0.0.1'],
    ['-p', '0', '-U', '-1', '-l', '127.0.0.1'],
    ['-p', '0', '-l', '127.0.0.1'],
  ]) {
    const peer = await startWithPortFile([peerCommand('memcached'), ...user, ...args], t);
    peer.child.kill('SIGKILL');
    const own = await startWithPortFile(ours(...args), t);
    own.child.kill('SIGKILL');
    const [theirs, mine] = [ports(peer.text), ports(own.text)];
    t.same(Object.keys(mine), Object.keys(theirs), args.join(' '));
  }
});
