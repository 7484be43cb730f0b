// Differential check of the parser tables against a real memcached (the
// Debian package, installed by .ci/run): every table case whose outcome does
// not depend on stored data (errors, swallows, closes, version, mn) is sent
// to memcached over a unix socket, and its reply bytes and whether it closed
// must equal what our parser's outcomes say. Skipped where memcached is not
// installed at the version the tables hold (test/peers.ts).

import t from 'tap';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { replay } from '../../protocol/text/replay.js';
import { DEFAULT_LIMITS } from '../../protocol/request.js';
import type { Case } from './parse-cases.js';
import { META_CASES, TEXT_CASES } from './parse-cases.js';
import { needs, peerCommand } from '../peers.js';

/** Upper bound on one exchange; a hang means a wrong table, reported as a failure. */
const EXCHANGE_LIMIT_MS = 5000;
const SENTINEL = 'mn\r\n';
const SENTINEL_REPLY = 'MN\r\n';

t.test('tables agree with memcached', needs('memcached-oracle'), async (tt) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gac-parse-'));
  const socketPath = path.join(dir, 'mc.sock');
  const args = ['-s', socketPath, '-U', '0', '-m', '64'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const server: ChildProcess = spawn(peerCommand('memcached'), args, { stdio: 'ignore' });
  tt.teardown(() => {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  await waitForSocket(socketPath);
  const versionReply = (await exchange(socketPath, 'version\r\n' + SENTINEL, false)).bytes.slice(0, -SENTINEL_REPLY.length);
  tt.match(versionReply, /^VERSION \S+\r\n$/, 'memcached answers version');
  let compared = 0;
  for (const c of [...TEXT_CASES, ...META_CASES]) {
    const expected = transcript(c, versionReply);
    if (expected === null) continue;
    compared++;
    const input = expected.closed ? c.input : c.input + SENTINEL;
    const want = expected.closed ? expected.bytes : expected.bytes + SENTINEL_REPLY;
    const got = await exchange(socketPath, input, expected.closed, want.length);
    tt.equal(JSON.stringify(got.bytes), JSON.stringify(want), `${c.name}: reply bytes`);
    tt.equal(got.closed, expected.closed, `${c.name}: closed`);
  }
  tt.ok(compared > 100, `compared ${compared} cases`);
});

/** What memcached should send for a case, or null if it depends on data. */
function transcript(c: Case, versionReply: string): { bytes: string; closed: boolean } | null {
  if (c.oracle === false || c.limits !== undefined) return null;
  const result = replay([Buffer.from(c.input, 'latin1')], DEFAULT_LIMITS);
  if (result.leftover !== 0 && !result.closed) return null;
  if (result.swallowing !== 0) return null;
  let bytes = '';
  for (const outcome of result.outcomes) {
    if (outcome.kind === 'ok') {
      if (outcome.request.type === 'version') bytes += versionReply;
      else if (outcome.request.type === 'mn') bytes += 'MN\r\n';
      else return null;
    } else {
      bytes += outcome.reply.toString('latin1');
    }
  }
  return { bytes, closed: result.closed };
}

/** Send `input` on a new connection; read until the sentinel reply or the close. */
/**
 * Send `input`, collect the reply until the sentinel's reply ends it (and at
 * least `minBytes` arrived: a case whose own reply is `MN` must not stop early),
 * or until the server closes.
 */
function exchange(socketPath: string, input: string, expectClose: boolean, minBytes = 0): Promise<{ bytes: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    let bytes = '';
    let closed = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes, closed });
    };
    const timer = setTimeout(finish, EXCHANGE_LIMIT_MS);
    socket.on('data', (chunk) => {
      bytes += chunk.toString('latin1');
      if (!expectClose && bytes.length >= minBytes && bytes.endsWith(SENTINEL_REPLY)) finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => {
      closed = true;
      finish();
    });
    socket.write(Buffer.from(input, 'latin1'));
  });
}

/** memcached creates its socket shortly after start: retry connecting, bounded. */
async function waitForSocket(socketPath: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(socketPath);
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`memcached did not open ${socketPath}`);
}
