// Authentication hardening: -Y edge cases (NUL bytes, tabs, odd sizes, a
// long padded payload) and its counters checked against the real memcached
// 1.6.18 byte for byte; credentials never reach the log; -S refuses to
// start without a password file.

import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { connect, readUntil } from '../integration/helpers/exchange.js';
import { startTestServer } from '../integration/helpers/server.js';
import { startMemcached } from '../integration/helpers/memcached.js';
import { needs } from '../peers.js';
import { runBin, serveBin } from './helpers/bin.js';

const dir = mkdtempSync(join(tmpdir(), 'gac-hard-auth-'));
const authFile = join(dir, 'authfile');
writeFileSync(authFile, 'foo:bar\nbaaaz:S3cr3t-pw\n');

/**
 * One step at a time: before authenticating, memcached 1.6.18 answers only
 * the first line of a read, so nothing is pipelined.
 */
const STEPS: Buffer[] = [
  Buffer.from('get a\r\n'),
  Buffer.from('set x 0 0 7\r\nfoo baz\r\n'),
  Buffer.from('set x 0 0 8\r\nfoo\0 bar\r\n'),
  Buffer.from('set x 0 0 7\r\nfoo\tbar\r\n'),
  Buffer.from('set x 0 0 +7\r\nfoo bax\r\n'),
  Buffer.from('set x 0 0 -7\r\n'),
  Buffer.from('set x 0 0 7\0zz\r\nfoo bay\r\n'),
  Buffer.from('\r\n'),
  Buffer.from(`set x 0 0 3000\r\nfoo bar${' '.repeat(2993)}\r\n`),
];

async function replies(target: number | string): Promise<string[]> {
  const socket: Socket = await connect(target);
  try {
    const out: string[] = [];
    for (const step of STEPS) {
      const reply = readUntil(socket, (got) => got.toString('latin1').endsWith('\r\n'));
      socket.write(step);
      out.push((await reply).reply.toString('latin1'));
    }
    const stats = readUntil(socket, (got) => got.toString('latin1').endsWith('END\r\n'));
    socket.write('stats\r\n');
    const lines = (await stats).reply.toString('latin1').split('\r\n');
    out.push(...lines.filter((l) => /^STAT auth_(cmds|errors) /.test(l)));
    return out;
  } finally {
    socket.destroy();
  }
}


t.test('-Y edge cases and auth counters match memcached 1.6.18', needs('memcached-oracle'), async (t) => {
  const mc = await startMemcached(['-Y', authFile]);
  t.teardown(() => mc.stop());
  const { port } = await startTestServer(t, { authFile, bindingProtocol: 'ascii' });
  const theirs = await replies(mc.path);
  const ours = await replies(port);
  t.same(ours, theirs);
  t.same(theirs.slice(-2), ['STAT auth_cmds 4', 'STAT auth_errors 3'], 'counted as memcached counts');
});

t.test('-Y: a payload too big to be credentials is swallowed, not buffered', async (t) => {
  // One thread: the test reads the Connection objects.
  const { server, port } = await startTestServer(t, { authFile, bindingProtocol: 'ascii', threads: 1 });
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const reply = readUntil(socket, (got) => got.toString('latin1').split('\r\n').length > 2);
  socket.write(`set x 0 0 ${50 * 1024 * 1024}\r\n`);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < 50; i++) {
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
  }
  socket.write('\r\nset x 0 0 7\r\nfoo bar\r\n');
  t.equal((await reply).reply.toString(), 'CLIENT_ERROR bad authentication token format\r\nSTORED\r\n');
  for (const conn of server.connections()) t.ok(conn.bufferedBytes.input <= 64 * 1024, `input held: ${conn.bufferedBytes.input}`);
});

t.test('credentials never reach the log, even at -vv', async (t) => {
  const { port, logLines } = await startTestServer(t, { authFile, bindingProtocol: 'ascii', verbosity: 3 });
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const reply = readUntil(socket, (got) => got.toString('latin1').split('\r\n').length > 3);
  socket.write('set x 0 0 13\r\nbaaaz wrongpw\r\nset x 0 0 15\r\nbaaaz S3cr3t-pw\r\nget x\r\n');
  t.equal((await reply).reply.toString(), 'CLIENT_ERROR authentication failure\r\nSTORED\r\nEND\r\n');
  // The log sink may run just after the reply is written: give it a moment (bounded).
  for (let i = 0; i < 100 && logLines.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const log = logLines.join('\n');
  t.ok(logLines.length > 0, 'commands were logged');
  t.notMatch(log, /S3cr3t-pw|wrongpw|baaaz/, 'no user or password in the log');
});

t.test('-S without a password file refuses to start', async (t) => {
  const noFile = runBin(['-S']);
  t.equal(noFile.status, 64, 'exit 64 (EX_USAGE), as memcached for an unusable -S');
  t.match(noFile.stderr, /-S needs a password file: set MEMCACHED_SASL_PWDB or --sasl-pwdb/);
  const missing = runBin(['-S'], { MEMCACHED_SASL_PWDB: join(dir, 'missing') });
  t.equal(missing.status, 1);
  t.match(missing.stderr, /cannot read SASL password file .*missing/);
  const pwdb = join(dir, 'pwdb');
  writeFileSync(pwdb, 'user:pass\n');
  const server = await serveBin(['-S', '--sasl-pwdb', pwdb]);
  server.kill('SIGTERM');
  t.same(await server.exited, { code: 0, signal: null }, 'with a password file it starts');
});
