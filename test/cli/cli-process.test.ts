// The built bin (`node dist/lib/cli/main.js`) as an operator runs it: -h, -V,
// bad values and their exit codes, serving, SIGTERM/SIGINT and `shutdown`.
// `npm test` builds first; a lone run builds here if dist/ is stale.

import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { exchange } from '../integration/helpers/exchange.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'dist', 'lib', 'cli', 'main.js');

try {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-stale.mjs')], { cwd: root, stdio: 'ignore' });
} catch {
  // A type error elsewhere still emits JavaScript; the checks below need only the bin.
}

function runBin(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start the server on an ephemeral port; resolves with the port and a way to wait for exit. */
function serve(...args: string[]): Promise<{ port: number; pid: number; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, '-p', '-1', '-v', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve({ port: Number(m[1]), pid: child.pid as number, exited, stderr: () => stderr });
    });
    void exited.then(() => reject(new Error(`exited before listening: ${stderr}`)));
  });
}

t.test('the bin exists', async (t) => {
  t.ok(existsSync(bin), bin);
});

t.test('-V prints the version and exits 0', async (t) => {
  const r = runBin('-V');
  t.equal(r.status, 0);
  t.match(r.stdout, /^memcached 1\.6\.18 \(grow-a-cache \d+\.\d+\.\d+\)\n$/);
});

t.test('-h prints memcached-style usage and exits 0', async (t) => {
  const r = runBin('-h');
  t.equal(r.status, 0);
  t.match(r.stdout, /-p, --port=<num>/);
  t.match(r.stdout, /-I, --max-item-size=<num>/);
});

t.test('bad options exit with memcached codes and messages', async (t) => {
  const bad = runBin('-I', '40m');
  t.equal(bad.status, 64);
  t.equal(bad.stderr, 'Cannot set item size limit higher than 1/2 of memory max.\n');
  const unknown = runBin('-Q');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /invalid option -- 'Q'/);
  const proto = runBin('-B', 'nope');
  t.equal(proto.status, 64);
  t.match(proto.stderr, /Invalid value for binding protocol: nope/);
  const sub = runBin('-o', 'nonsense');
  t.equal(sub.status, 1);
  t.equal(sub.stdout, 'Illegal suboption "nonsense"\n');
});

t.test('a port in use exits 71 like memcached', async (t) => {
  const first = await serve();
  t.teardown(() => {
    process.kill(first.pid, 'SIGKILL');
  });
  const second = runBin('-p', String(first.port));
  t.equal(second.status, 71);
  t.match(second.stderr, /failed to listen on one of interface\(s\) 127\.0\.0\.1/);
});

t.test('serves, then SIGTERM closes gracefully with exit 0', async (t) => {
  const server = await serve('-d');
  t.match(server.stderr(), /WARNING: -d: not daemonizing/);
  const r = await exchange(server.port, 'set a 0 0 1\r\nx\r\nget a\r\n');
  t.equal(r.reply.toString(), 'STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n');
  process.kill(server.pid, 'SIGTERM');
  t.same(await server.exited, { code: 0, signal: null });
});

t.test('SIGINT exits 0 as well', async (t) => {
  const server = await serve();
  process.kill(server.pid, 'SIGINT');
  t.same(await server.exited, { code: 0, signal: null });
});

t.test('the shutdown command stops the server with -A', async (t) => {
  const server = await serve('-A');
  const r = await exchange(server.port, 'shutdown\r\n', true);
  t.ok(r.closed);
  t.same(await server.exited, { code: 0, signal: null });
});

t.test('-t 4: a client connecting the moment the port opens is served (memcached t/ files do)', async (t) => {
  // A free port, then the server on it; connect every few ms until the port
  // takes a connection, which is before the worker threads are up.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const child = spawn(process.execPath, [bin, '-p', String(port), '-l', '127.0.0.1', '-t', '4', '-U', '0'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  t.teardown(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  let socket: net.Socket | undefined;
  while (socket === undefined) {
    socket = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (socket === undefined) await new Promise((r) => setTimeout(r, 5));
  }
  const reply = await new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.endsWith('\r\n')) resolve(text);
    });
    socket.on('close', () => resolve(text));
    socket.write('version\r\n');
  });
  socket.destroy();
  t.match(reply, /^VERSION \S+\r\n$/, 'answered, not closed');
});
