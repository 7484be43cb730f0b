// -Y: ASCII authentication against a real server (the same table
// oracle.test.ts checks against memcached), plus counters and file errors.

import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from './helpers/server.js';
import { connect, readUntil } from './helpers/exchange.js';
import { runCase } from './helpers/cases.js';
import { AUTH_CASES, AUTH_FILE_TEXT } from './cases/auth-cases.js';
import { AsciiAuthFileError, loadAuthFile, parseAuthFile } from '../../lib/auth/ascii-auth.js';
import { startServer } from '../../lib/server/server.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from '../../lib/cli/settings.js';
import type * as AsciiAuthModule from '../../lib/auth/ascii-auth.js';

const dir = mkdtempSync(join(tmpdir(), 'gac-auth-'));
const file = join(dir, 'authfile');
writeFileSync(file, AUTH_FILE_TEXT);

t.test('ASCII auth exchanges', async (t) => {
  const { server, port } = await startTestServer(t, { authFile: file, bindingProtocol: 'ascii' });
  for (const c of AUTH_CASES) await t.test(c.name, (t) => runCase(t, port, c));
  t.equal(server.context.counters.authCmds, 3, 'auth_cmds');
  t.equal(server.context.counters.authErrors, 1, 'auth_errors');
});

t.test('a malformed auth payload and a value over the limit', async (t) => {
  const { port } = await startTestServer(t, { authFile: file, bindingProtocol: 'ascii', itemSizeMax: 1024 });
  const socket = await connect(port);
  t.teardown(() => socket.destroy());
  const lines = (n: number) => (got: Buffer) => got.toString('latin1').split('\r\n').length > n;
  let reply = readUntil(socket, lines(2));
  // The CRLF after the 7 data bytes is missing; the real one then reads as an empty line.
  socket.write('set foo 0 0 7\r\nfoo barXY\r\n');
  t.equal((await reply).reply.toString(), 'CLIENT_ERROR bad command line termination\r\nCLIENT_ERROR unauthenticated\r\n');
  reply = readUntil(socket, lines(2));
  socket.write(`set foo 0 0 5000\r\n${'x'.repeat(5000)}\r\nget a\r\n`);
  t.equal((await reply).reply.toString(), 'CLIENT_ERROR bad authentication token format\r\nCLIENT_ERROR unauthenticated\r\n', 'the oversized payload is swallowed');
});

t.test('auth file parsing', async (t) => {
  const table = parseAuthFile('a:b\r\nc:d:e\n\n');
  t.ok(table.check(Buffer.from('a'), Buffer.from('b')));
  t.ok(table.check(Buffer.from('c'), Buffer.from('d:e')), 'the password is everything after the first colon');
  t.notOk(table.check(Buffer.from('a'), Buffer.from('d:e')));
  t.notOk(table.check(Buffer.from('x'), Buffer.from('b')));
  t.throws(() => parseAuthFile('nocolon\n'), AsciiAuthFileError);
  t.throws(() => loadAuthFile(join(dir, 'missing')), AsciiAuthFileError);
  const many = Array.from({ length: 10 }, (_, i) => `u${i}:p${i}`).join('\n');
  const capped = parseAuthFile(many);
  t.ok(capped.check(Buffer.from('u7'), Buffer.from('p7')));
  t.notOk(capped.check(Buffer.from('u8'), Buffer.from('p8')), 'memcached reads 8 entries');
  await t.rejects(startServer({ ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, authFile: join(dir, 'missing') }), AsciiAuthFileError);
});

t.test('every attempt compares user and password of every entry, whatever matches', async (t) => {
  // Count the constant-time comparisons: the work must not depend on
  // whether the user exists, the password is right, or which entry matched.
  let compares = 0;
  const crypto = await import('node:crypto');
  const { parseAuthFile: parseCounted } = await t.mockImport<typeof AsciiAuthModule>(
    '../../lib/auth/ascii-auth.js',
    {
      'node:crypto': {
        ...crypto,
        timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
          compares++;
          return crypto.timingSafeEqual(a, b);
        },
      },
    },
  );
  const table = parseCounted('alice:secret\nbob:hunter2\ncarol:pw\n');
  const attempts: Array<[string, string, boolean]> = [
    ['alice', 'secret', true],
    ['carol', 'pw', true],
    ['alice', 'wrong', false],
    ['mallory', 'secret', false],
    ['mallory', 'x', false],
  ];
  for (const [user, password, ok] of attempts) {
    compares = 0;
    t.equal(table.check(Buffer.from(user), Buffer.from(password)), ok, `${user}/${password}`);
    t.equal(compares, 6, `${user}/${password}: 3 entries x (user + password)`);
  }
});
