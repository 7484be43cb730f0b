// Thousands of concurrent connections, each served, against the built
// server. Both the server and the client run as child processes under a
// raised fd limit (`ulimit -n`), so the test does not depend on the limit
// of the process running tap; the count is sized to what the hard limit
// allows. Also checks -c at that scale: connections past it are told and
// closed, the others keep working.

import t from 'tap';
import { spawn } from 'node:child_process';
import { hardFdLimit, rssBytes, serveBin, withFdLimit } from './helpers/bin.js';

/** Connections wanted; fewer when the hard fd limit is lower. */
const WANTED = 5000;
/** fds each process needs beyond one per connection. */
const FD_SPARE = 200;

/**
 * The client: opens `count` connections in batches, keeps them all open,
 * then on every one stores and reads back its own key. Prints a JSON summary.
 */
const CLIENT = `
import net from 'node:net';
const [port, count, holdMs] = process.argv.slice(1).map(Number);
const sockets = [];
let refused = 0;
function open() {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => { got += d; });
    s.once('connect', () => resolve({ s, read: () => got, reset: () => { got = ''; } }));
    s.once('error', () => resolve(null));
  });
}
for (let i = 0; i < count; i += 250) {
  const batch = await Promise.all(Array.from({ length: Math.min(250, count - i) }, open));
  for (const c of batch) if (c) sockets.push(c);
}
const answered = await Promise.all(sockets.map((c, i) => new Promise((resolve) => {
  const value = 'v' + i;
  const expect = 'STORED\\r\\nVALUE c' + i + ' 0 ' + value.length + '\\r\\n' + value + '\\r\\nEND\\r\\n';
  const check = () => {
    const got = c.read();
    if (got === expect) return resolve('ok');
    if (got.startsWith('ERROR Too many open connections')) return resolve('refused');
    if (got.length >= expect.length) return resolve('wrong: ' + JSON.stringify(got.slice(0, 80)));
  };
  c.s.on('data', check);
  c.s.on('close', () => resolve(c.read().startsWith('ERROR Too many open connections') ? 'refused' : 'closed: ' + JSON.stringify(c.read().slice(0, 80))));
  c.s.write('set c' + i + ' 0 0 ' + value.length + '\\r\\n' + value + '\\r\\nget c' + i + '\\r\\n');
  check();
})));
const tally = {};
for (const a of answered) tally[a.startsWith('wrong') || a.startsWith('closed') ? a : a] = (tally[a] ?? 0) + 1;
process.stdout.write(JSON.stringify({ opened: sockets.length, tally }) + '\\n');
await new Promise((r) => setTimeout(r, holdMs));
for (const c of sockets) c.s.destroy();
`;

function runClient(port: number, count: number, fdLimit: number): Promise<{ opened: number; tally: Record<string, number> }> {
  const cmd = withFdLimit(fdLimit, [process.execPath, '--input-type=module', '-e', CLIENT, String(port), String(count), '0']);
  const child = spawn(cmd[0] as string, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') reject(new Error(`client exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as { opened: number; tally: Record<string, number> });
    });
  });
}

const hard = hardFdLimit();
const count = Math.max(100, Math.min(WANTED, hard - FD_SPARE));
const fdLimit = count + FD_SPARE;

t.test(`${count} concurrent connections are all served`, async (t) => {
  if (count < WANTED) t.comment(`hard fd limit ${hard}: testing ${count} connections`);
  const server = await serveBin(['-c', String(count + 100)], { fdLimit });
  t.teardown(() => server.kill('SIGKILL'));
  const rssBefore = rssBytes(server.pid);
  const r = await runClient(server.port, count, fdLimit);
  t.equal(r.opened, count, 'every connection was accepted');
  t.same(r.tally, { ok: count }, 'every connection stored and read back its own key');
  const rssAfter = rssBytes(server.pid);
  if (rssBefore !== undefined && rssAfter !== undefined) {
    t.comment(`server RSS ${(rssBefore / 1048576).toFixed(0)} MiB idle, ${(rssAfter / 1048576).toFixed(0)} MiB after ${count} connections`);
  }
  server.kill('SIGTERM');
  t.same(await server.exited, { code: 0, signal: null }, 'and it still shuts down cleanly');
});

t.test('-c holds under a burst: the excess is told and closed, the rest served', async (t) => {
  const limit = Math.floor(count / 2);
  const server = await serveBin(['-c', String(limit)], { fdLimit });
  t.teardown(() => server.kill('SIGKILL'));
  const r = await runClient(server.port, count, fdLimit);
  t.equal((r.tally['ok'] ?? 0) + (r.tally['refused'] ?? 0), r.opened, `only served or refused: ${JSON.stringify(r.tally)}`);
  t.equal(r.tally['ok'], limit, `exactly -c ${limit} served`);
  t.equal(r.tally['refused'], r.opened - limit, 'the rest got "ERROR Too many open connections"');
});
